# Oracle tests of the text module (tests/oracle/text_*.py; `score` is tests/cli's cli_score).
lb_oracle_test(text_stem text_stem.py)
lb_oracle_test(text_lower text_lower.py)
lb_oracle_test(text_rouge text_rouge.py)
lb_oracle_test(text_keywords text_keywords.py)
