# `leakbound demo --quick` end to end; its report checked for structure and sanity.
lb_oracle_test(demo_quick ../demo/check_demo.py)
# Same seed, same bytes: every command under --threads 1, 2, 3 and each LEAKBOUND_ISA the CPU has.
lb_oracle_test(demo_determinism ../demo/check_determinism.py)
