#!/usr/bin/python3
"""A small PhiForCausalLM checkpoint whose activations stay O(1) (tests/oracle/model_ref.py's
random weights, not init's N(0, 0.02), whose logits are nearly flat and full of near ties), to
check that export_gguf.py's phi2 GGUF and leakbound agree on greedy continuations.

usage: /usr/bin/python3 bench/sampler/make_phi_check.py TOKENIZER_JSON OUT_DIR [bf16|f32]
"""
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/oracle"))
import model_ref  # noqa: E402


def main():
    tok, out = sys.argv[1], sys.argv[2]
    dt = {"bf16": torch.bfloat16, "f32": torch.float32}[sys.argv[3] if len(sys.argv) > 3 else "bf16"]
    V = len(json.load(open(tok, encoding="utf-8"))["model"]["vocab"])
    cfg = model_ref.phi_cfg(vocab_size=V, hidden_size=256, intermediate_size=1024,
                            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                            max_position_embeddings=256, bos_token_id=V - 1, eos_token_id=V - 1,
                            torch_dtype="bfloat16" if dt == torch.bfloat16 else "float32")
    named = [(n, t.to(dt)) for n, t in model_ref.random_weights(cfg, torch.Generator().manual_seed(5))]
    model_ref.write_checkpoint(out, {k: v for k, v in cfg.items() if not k.startswith("_")}, named)
    shutil.copy(tok, os.path.join(out, "tokenizer.json"))


if __name__ == "__main__":
    main()
