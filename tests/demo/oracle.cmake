# `leakbound demo --quick` end to end; its report checked for structure and sanity.
lb_oracle_test(demo_quick ../demo/check_demo.py)
# The same quick demo again under another --threads: identical demo.json rows. It reuses
# demo_quick's run (LB_WORK/demo/quick) as the first of the two, so CI pays for one more demo.
lb_oracle_test(demo_quick_threads ../demo/check_demo_threads.py)
set_tests_properties(oracle.demo_quick PROPERTIES FIXTURES_SETUP demo_quick_run)
set_tests_properties(oracle.demo_quick_threads PROPERTIES FIXTURES_REQUIRED demo_quick_run)
# Same seed, same bytes: every command under --threads 1, 2, 3 and each LEAKBOUND_ISA the CPU has.
lb_oracle_test(demo_determinism ../demo/check_determinism.py)
