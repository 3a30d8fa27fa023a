# Tokenizer oracles: Hugging Face tokenizers (npm binding, installed by scripts/setup-npm.sh).
lb_oracle_test(tokenizer_real tokenizer_real.py)
set_tests_properties(oracle.tokenizer_real PROPERTIES DEPENDS "" LABELS "oracle;tokenizer")
