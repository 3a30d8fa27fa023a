# lb_eval_checkpoint (include/leakbound/eval_checkpoint.h): a model folder's mean greedy and sampled
# scores against ROUGE recomputed in Python from `leakbound eval`'s samples (tests/oracle/eval_checkpoint.py).
lb_oracle_test(eval_checkpoint eval_checkpoint.py)
