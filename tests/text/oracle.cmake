# Oracle tests of the text module and of `leakbound score` (tests/oracle/text_*.py, cli_score*.py).
lb_oracle_test(text_stem text_stem.py)
lb_oracle_test(text_lower text_lower.py)
lb_oracle_test(text_rouge text_rouge.py)
lb_oracle_test(cli_score cli_score.py)
lb_oracle_test(text_keywords text_keywords.py)
