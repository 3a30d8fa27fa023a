# HF logits warpers (temperature, top-k, top-p) against a torch transcription of transformers'.
lb_oracle_test(sample_warp sample_warp.py)
