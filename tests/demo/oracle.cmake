# BPE tokenizer training (`leakbound tokenizer train`) against a naive Python trainer and HF
# tokenizers (npm binding).
lb_oracle_test(tokenizer_train tokenizer_train.py)
# `leakbound demo --quick` end to end; its report checked for structure and sanity.
lb_oracle_test(demo_quick ../demo/check_demo.py)
