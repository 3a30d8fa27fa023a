"""Shared PyTorch side of the training oracles: differentiable float64 forward of the three
families (model_ref.py's modules, with HF's attention_mask for right padding) and the losses of
The losses of docs/training.md written the way the reference unlearning code writes them."""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

import model_ref

DT = torch.float64


# The model oracles' config builders (model_ref), at the smaller sizes and fp32 the gradient
# checks use.
def llama_cfg(**kw):
    return model_ref.llama_cfg(**{"hidden_size": 32, "intermediate_size": 48,
                                  "max_position_embeddings": 64, **kw})


def phi_cfg(**kw):
    return model_ref.phi_cfg(**{"hidden_size": 32, "intermediate_size": 64,
                                "max_position_embeddings": 64, "torch_dtype": "float32", **kw})


def gpt2_cfg(**kw):
    return model_ref.gpt2_cfg(**{"n_embd": 32, "n_positions": 64, "n_ctx": 64,
                                 "bos_token_id": 1, "eos_token_id": 2, **kw})


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32", h
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).copy()
                                     .reshape(h["shape"])).to(DT)
    return out


def make_model(folder, cfg, seed, dtype="F32"):
    """Random checkpoint in HF layout with every tensor in dtype (F32, F16, BF16: rounded by
    torch); returns float64 leaf tensors of the values the file holds, by name."""
    gen = torch.Generator().manual_seed(seed)
    named = [(n, t.to(model_ref.ST_DTYPES[dtype])) for n, t in model_ref.random_weights(cfg, gen)]
    hf_cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    model_ref.write_checkpoint(folder, hf_cfg, named)
    return {n: t.to(DT).clone().requires_grad_(True) for n, t in named}


def _masked_attention(n):
    """model_ref.causal_attention plus HF's key padding mask: keys at positions >= n hidden."""
    def att(q, k, v, scale, window=None):
        T = q.shape[1]
        s = (q @ k.transpose(-1, -2)) * scale
        i = torch.arange(T)[:, None]
        j = torch.arange(T)[None, :]
        keep = (j <= i) & (j < n)
        if window:
            keep = keep & (j > i - window)
        s = s.masked_fill(~keep, float("-inf"))
        return torch.softmax(s, dim=-1) @ v
    return att


def logits_of(cfg, W, tokens, lens):
    """(B, T, V) float64, differentiable in W."""
    arch = cfg["architectures"][0]
    saved = model_ref.causal_attention
    out = []
    try:
        for ids, n in zip(tokens, lens):
            model_ref.causal_attention = _masked_attention(n)
            if arch == "PhiForCausalLM":
                out.append(model_ref.phi_forward(cfg, W, ids))
            elif arch == "GPT2LMHeadModel":
                out.append(model_ref.gpt2_forward(cfg, W, ids, cfg.get("_prefix", "transformer.")))
            else:
                out.append(model_ref.llama_forward(cfg, W, ids))
    finally:
        model_ref.causal_attention = saved
    return torch.stack(out)


def parts_of(logits, labels, ent_answer):
    """(token-mean CE, per-sequence summed NLL (B,), mean entropy) as the reference computes
    them: shift by one, ignore -100; entropy over every position (or the answer ones)."""
    lab = torch.tensor(labels)
    tl = lab[:, 1:]
    mask = tl != -100
    logp = F.log_softmax(logits, dim=-1)
    nll = -logp[:, :-1].gather(-1, tl.clamp(min=0)[..., None]).squeeze(-1) * mask
    ce = nll.sum() / mask.sum() if mask.sum() > 0 else nll.sum() * 0
    H = -(logp.exp() * logp).sum(-1)
    if ent_answer:
        m2 = torch.zeros(H.shape, dtype=DT)
        m2[:, :-1] = mask.to(DT)
        ent = (H * m2).sum() / m2.sum()
    else:
        ent = H.mean()
    return ce, nll.sum(1), ent


def objective(cfg, W, spec, micro, ref_nll_fn):
    """Total loss of one step (sum over micro-batches / len(micro)), the first micro-batch's
    parts [ce_f, ent_f, npo_f, ce_r, ent_r], and those parts averaged over the micro-batches."""
    meth, lam, beta = spec["method"], spec.get("lambda", 1.0), spec.get("beta", 0.05)
    ef, er, ea = spec.get("ent_f", 0.0), spec.get("ent_r", 0.0), spec.get("ent_answer", False)
    total, first, avg = 0, None, [0.0] * 5
    for mb in micro:
        f = mb["forget"]
        lf = logits_of(cfg, W, f["tokens"], f.get("lens", [len(f["tokens"][0])] * len(f["tokens"])))
        ce_f, s_f, ent_f = parts_of(lf, f["labels"], ea)
        loss = ef * ent_f
        npo = torch.zeros((), dtype=DT)
        if meth == "finetune":
            loss = loss + ce_f
        elif meth in ("ga", "gd"):
            loss = loss - ce_f
        else:
            s_ref = ref_nll_fn(f)
            npo = -(2.0 / beta) * F.logsigmoid(beta * (s_f - s_ref)).mean()
            loss = loss + npo
        ce_r = ent_r = torch.zeros((), dtype=DT)
        needs_r = meth in ("gd", "npo") or (meth != "finetune" and er != 0.0)
        if needs_r:
            r = mb["retain"]
            lr_ = logits_of(cfg, W, r["tokens"], r.get("lens", [len(r["tokens"][0])] * len(r["tokens"])))
            ce_r, _, ent_r = parts_of(lr_, r["labels"], ea)
            loss = loss + er * ent_r
            if meth in ("gd", "npo"):
                loss = loss + lam * ce_r
        total = total + loss / len(micro)
        here = [float(x) for x in (ce_f, ent_f, npo, ce_r, ent_r)]
        avg = [a + h / len(micro) for a, h in zip(avg, here)]
        if first is None:
            first = here
    return total, first, avg


def random_batch(gen, B, T, V, eos=2):
    """Right-padded question/answer rows: prompt labels -100, answer supervised, pad -100."""
    tokens, labels, lens = [], [], []
    for _ in range(B):
        n = int(torch.randint(T - 5, T + 1, (1,), generator=gen))
        k = int(torch.randint(2, 5, (1,), generator=gen))
        ids = torch.randint(3, V, (n,), generator=gen).tolist()
        ids[-1] = eos
        lab = [-100] * k + ids[k:]
        tokens.append(ids + [eos] * (T - n))
        labels.append(lab + [-100] * (T - n))
        lens.append(n)
    return {"tokens": tokens, "labels": labels, "lens": lens}
