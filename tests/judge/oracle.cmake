# The judge metric (include/leakbound/judge.h) through score and eval: label probabilities of a
# random Llama judge against the float64 PyTorch reference, and the error cases
# (tests/oracle/judge_cli.py).
lb_oracle_test(judge_oracle judge_cli.py oracle)
lb_oracle_test(judge_eval judge_cli.py eval)
lb_oracle_test(judge_errors judge_cli.py errors)
lb_oracle_test(judge_samples judge_cli.py samples)
lb_oracle_test(judge_report judge_cli.py report)
lb_oracle_test(judge_labels judge_cli.py labels)
# --judge-tokenizer: a judge folder without tokenizer.json; the judge sha256 covers it.
lb_oracle_test(judge_tokenizer judge_cli.py tokenizer)
