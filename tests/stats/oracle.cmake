# stats oracles: the C library (through tests/stats/driver_stats) against scipy/statsmodels
# and independent numpy code; the `leakbound bound` CLI against the same reference.
lb_oracle_test(stats_cp stats_cp.py)
lb_oracle_test(stats_conbo stats_conbo.py)
lb_oracle_test(stats_exact stats_exact.py)
lb_oracle_test(cli_bound cli_bound.py)
