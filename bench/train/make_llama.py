#!/usr/bin/python3
"""Write a Llama-shaped random checkpoint of GPT-2-124M's size (HF layout, F32) for the training
benchmark: vocab 32000, 12 layers, 768 wide, 12 heads, 4 kv heads, SwiGLU 2048, untied head
(~125 M parameters).

usage: make_llama.py OUT_DIR"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "oracle"))
import model_ref  # noqa: E402

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000,
          "hidden_size": 768, "intermediate_size": 2048, "num_hidden_layers": 12,
          "num_attention_heads": 12, "num_key_value_heads": 4, "max_position_embeddings": 1024,
          "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
          "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
          "torch_dtype": "float32"}

if __name__ == "__main__":
    named = model_ref.random_weights(CONFIG, torch.Generator().manual_seed(0))
    named = [(n, t * 0.02 if t.dim() == 2 else t) for n, t in named]
    model_ref.write_checkpoint(sys.argv[1], CONFIG, named)
