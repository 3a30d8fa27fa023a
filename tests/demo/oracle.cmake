# BPE tokenizer training (`leakbound tokenizer train`) against a naive Python trainer and HF
# tokenizers (npm binding).
lb_oracle_test(tokenizer_train tokenizer_train.py)
