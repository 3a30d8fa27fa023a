# `leakbound demo --quick` end to end; its report checked for structure and sanity.
lb_oracle_test(demo_quick ../demo/check_demo.py)
