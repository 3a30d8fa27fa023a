#!/usr/bin/python3
"""A Llama-2-7B-shaped BF16 checkpoint folder whose weights are a sparse file (a hole: all
zeros, no disk used), for `leakbound inspect`'s memory plan. config.json has
Llama-2-7B's sizes (32 layers, hidden 4096, 32 heads, MLP 11008, vocabulary 32000, context
4096); model.safetensors has every tensor with its real shape, dtype BF16. Not for sampling
(its logits are all zero).

usage: /usr/bin/python3 bench/model/sparse_llama7b.py DIR
"""
import json
import os
import struct
import sys

D, I, L, V, H, P = 4096, 11008, 32, 32000, 32, 4096


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": V,
           "hidden_size": D, "intermediate_size": I, "num_hidden_layers": L,
           "num_attention_heads": H, "num_key_value_heads": H, "max_position_embeddings": P,
           "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
           "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
           "torch_dtype": "bfloat16"}
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
    shapes = [("model.embed_tokens.weight", [V, D])]
    for i in range(L):
        p = f"model.layers.{i}."
        shapes += [(p + "input_layernorm.weight", [D]), (p + "post_attention_layernorm.weight", [D])]
        shapes += [(p + f"self_attn.{n}_proj.weight", [D, D]) for n in "qkvo"]
        shapes += [(p + "mlp.gate_proj.weight", [I, D]), (p + "mlp.up_proj.weight", [I, D]),
                   (p + "mlp.down_proj.weight", [D, I])]
    shapes += [("model.norm.weight", [D]), ("lm_head.weight", [V, D])]
    hdr, off = {}, 0
    for name, shape in shapes:
        n = 2
        for s in shape:
            n *= s
        hdr[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(hdr).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        f.truncate(8 + len(h) + off)


if __name__ == "__main__":
    main()
