# Tokenizer oracles: Hugging Face tokenizers (npm binding, installed by scripts/setup-npm.sh).
lb_oracle_test(tokenizer_real tokenizer_real.py)
lb_oracle_test(tokenizer_synth tokenizer_synth.py)
lb_oracle_test(tokenizer_cli tokenizer_cli.py)
# BPE tokenizer training (`leakbound tokenizer train`) against a naive Python trainer and HF
# tokenizers (npm binding).
lb_oracle_test(tokenizer_train tokenizer_train.py)
