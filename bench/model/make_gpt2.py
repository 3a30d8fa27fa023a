#!/usr/bin/python3
"""Write a GPT-2-124M-shaped random checkpoint (HF layout, F32, ~500 MB) for the model benchmarks.

usage: make_gpt2.py OUT_DIR
config.json is GPT-2's (vocab 50257, 12 layers, 12 heads, 768 wide, 1024 positions); tensor
names and shapes are those of the released gpt2 model.safetensors (Conv1D weights (in, out),
no "transformer." prefix, head tied to wte). Values are random (seeded); speed does not care.
"""
import json
import os
import struct
import sys

import numpy as np

CONFIG = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257,
          "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024, "n_ctx": 1024,
          "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
          "bos_token_id": 50256, "eos_token_id": 50256, "tie_word_embeddings": True}


def tensors(rng):
    D, V, P, L = 768, 50257, 1024, 12
    out = [("wte.weight", (V, D), 0.02), ("wpe.weight", (P, D), 0.01)]
    for l in range(L):
        p = f"h.{l}."
        out += [(p + "ln_1.weight", (D,), None), (p + "ln_1.bias", (D,), 0.0),
                (p + "attn.c_attn.weight", (D, 3 * D), 0.02), (p + "attn.c_attn.bias", (3 * D,), 0.0),
                (p + "attn.c_proj.weight", (D, D), 0.02), (p + "attn.c_proj.bias", (D,), 0.0),
                (p + "ln_2.weight", (D,), None), (p + "ln_2.bias", (D,), 0.0),
                (p + "mlp.c_fc.weight", (D, 4 * D), 0.02), (p + "mlp.c_fc.bias", (4 * D,), 0.0),
                (p + "mlp.c_proj.weight", (4 * D, D), 0.02), (p + "mlp.c_proj.bias", (D,), 0.0)]
    out += [("ln_f.weight", (D,), None), ("ln_f.bias", (D,), 0.0)]
    for name, shape, std in out:
        if std is None:
            a = np.ones(shape, np.float32)
        elif std == 0.0:
            a = np.zeros(shape, np.float32)
        else:
            a = rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        yield name, a


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(124)
    arrays = list(tensors(rng))
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, a in arrays:
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    tmp = os.path.join(out, "model.safetensors.tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, a in arrays:
            f.write(a.astype("<f4", copy=False).tobytes())
    os.replace(tmp, os.path.join(out, "model.safetensors"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    print(f"{out}: {sum(a.size for _, a in arrays)} parameters, {off / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
