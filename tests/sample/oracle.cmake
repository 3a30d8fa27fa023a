# HF logits warpers (temperature, top-k, top-p) against a torch transcription of transformers'.
lb_oracle_test(sample_warp sample_warp.py)
# Batched sampler: Philox KAT, determinism across batch/threads/KV budget, greedy = generate,
# samples.jsonl format, --resume, error exits (sample_cli.py); chi-square of >= 100,000 draws
# against HF's warpers on the PyTorch reference logits, ties, a later step, adaptive T.
lb_oracle_test(sample_cli sample_cli.py)
lb_oracle_test(sample_stats sample_stats.py)
# eval: scores = `leakbound score`, report.json = `leakbound bound` on the same scores, sanity,
# report.md tables, SVG structure, keywords/conbo/adaptive, error exits (sample_eval.py).
lb_oracle_test(sample_eval sample_eval.py)
# Batch invariance: samples byte-identical for --batch 1/2/3/64 x 1/2 threads on a model whose
# draws hinge on the last bits of the products (sample_invariance.py).
lb_oracle_test(sample_invariance sample_invariance.py)
# eval with no --model/--data: the bundled default (examples/default) and its documented defaults.
lb_oracle_test(sample_eval_default sample_eval_default.py)
# eval --samples FILE: its own samples.jsonl, plain/vLLM/OpenAI/HF shapes give eval's numbers;
# bounds vs scipy, scores vs `score`, keywords vs re; provenance of the file; malformed files.
lb_oracle_test(eval_samples eval_samples.py)
# eval --leak-threshold: per-question leaked/hidden_leak and the shares with Clopper-Pearson
# bounds recomputed with numpy/scipy from the scored lines; report.md's Leakage section.
lb_oracle_test(eval_leak eval_leak.py)
# eval --samples: peak RSS per question (1,000 vs 11,000 questions) <= 10 KiB: report.md's
# tables are streamed, not held cell by cell.
lb_oracle_test(eval_memory eval_memory.py)
