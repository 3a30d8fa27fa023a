# leakbound tofu: every per-item definition recomputed with PyTorch (float64) on tiny GPT-2
# checkpoints, aggregates, rank AUCs, ks_2samp forget quality (scipy), privleak, model utility,
# --reference, and the bad inputs (missing/empty perturbed answers, another tokenizer, a
# question filling --max-length).
lb_oracle_test(tofu_oracle tofu_oracle.py)
