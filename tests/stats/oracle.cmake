# stats oracles: the C library (through tests/stats/driver_stats) against scipy/statsmodels
# and independent numpy code (the `bound` command's test is tests/cli's cli_bound).
lb_oracle_test(stats_cp stats_cp.py)
lb_oracle_test(stats_conbo stats_conbo.py)
lb_oracle_test(stats_exact stats_exact.py)
