"""Oracle for `leakbound tokenizer train` (byte-level BPE training).

1. Merges: a naive Python BPE trainer (GPT-2 regex via the `regex` module, GPT-2 byte alphabet,
   every pair recounted from scratch at each step, ties to the smallest (left id, right id))
   must learn exactly the merges and vocabulary that the C trainer wrote.
2. The written tokenizer.json loads in our tokenizer and in Hugging Face tokenizers (npm binding);
   both give identical ids and decodes on the training text and on unseen text (holdout
   authors, KJV verses, Unicode edge cases), and decode(encode(x)) == x.
3. Determinism: training twice gives the same bytes.
4. Bad input: invalid UTF-8, a too-small vocabulary, a missing file, a JSONL line without
   "answer" → exit 2 with the file (and line) named, no output file.
"""
import collections
import json
import os
import subprocess
import sys

import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_common import (EDGE_CASES, SANITIZED, compare, corpus_lines, fail, need_node,  # noqa: E402
                              run_both, work_dir)

CLI = os.environ.get("LB_CLI", "leakbound")
GPT2_RE = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()


def sequences(path):
    if path.endswith(".jsonl") or path.endswith(".json"):
        out = []
        for line in open(path, encoding="utf-8"):
            if line.strip():
                o = json.loads(line)
                out += [o["question"], o["answer"]]
        return out
    data = open(path, encoding="utf-8", newline="").read()
    return data.splitlines(keepends=True)


def reference_train(paths, vocab_size, min_freq, specials=("<|endoftext|>",)):
    words = collections.Counter()
    for p in paths:
        for s in sequences(p):
            for m in GPT2_RE.findall(s):
                words["".join(B2U[b] for b in m.encode("utf-8"))] += 1
    vocab = list(specials) + sorted(B2U.values(), key=ord)
    ids = {t: i for i, t in enumerate(vocab)}
    wl = [([ids[c] for c in w], n) for w, n in words.items()]
    merges = []
    while len(vocab) < vocab_size:
        counts = collections.Counter()
        for syms, n in wl:
            for a, b in zip(syms, syms[1:]):
                counts[(a, b)] += n
        if not counts:
            break
        (a, b), c = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if min_freq > 1 and c < min_freq:
            break
        tok = vocab[a] + vocab[b]
        if tok not in ids:
            ids[tok] = len(vocab)
            vocab.append(tok)
        x = ids[tok]
        merges.append(vocab[a] + " " + vocab[b])
        for k, (syms, n) in enumerate(wl):
            if len(syms) < 2:
                continue
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(x)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            wl[k] = (out, n)
    return {t: i for i, t in enumerate(vocab)}, merges


def train(out, files, vocab, extra=()):
    r = subprocess.run([CLI, "tokenizer", "train", "--vocab-size", str(vocab), "--out", out, *extra, *files],
                       capture_output=True, text=True)
    if r.returncode:
        fail(f"tokenizer train failed ({r.returncode}): {r.stderr.strip()}")
    return json.load(open(out, encoding="utf-8"))


def check_reference(tag, doc, files, vocab, min_freq):
    rv, rm = reference_train(files, vocab, min_freq)
    m = doc["model"]
    if m["merges"] != rm:
        k = next((i for i, (x, y) in enumerate(zip(m["merges"], rm)) if x != y), min(len(rm), len(m["merges"])))
        fail(f"{tag}: merges differ from the reference at rank {k}: C {m['merges'][k:k + 3]} "
             f"reference {rm[k:k + 3]} (C {len(m['merges'])}, reference {len(rm)} merges)")
    if m["vocab"] != rv:
        fail(f"{tag}: vocabulary differs from the reference")
    print(f"{tag}: {len(rm)} merges and {len(rv)} tokens equal to the Python reference")


def check_hf(tag, tok, texts):
    ours, theirs = run_both(tok, texts, tag)
    bad = compare(tag, texts, ours, theirs)
    rt = sum(h["dec_keep"] != t for t, h in zip(texts, theirs))
    rt += sum(o.get("dec_keep") != t for t, o in zip(texts, ours))
    if bad or rt:
        fail(f"{tag}: {bad} texts differ from HF, {rt} decode(encode(x)) != x")
    return sum(len(h["ids_plain"]) for h in theirs)


def expect_refusal(tag, args, want, out):
    r = subprocess.run([CLI, "tokenizer", "train", *args], capture_output=True, text=True)
    if r.returncode != 2 or want not in r.stderr:
        fail(f"{tag}: want exit 2 naming {want!r}, got {r.returncode}: {r.stderr.strip()}")
    if os.path.exists(out):
        fail(f"{tag}: {out} was written")
    print(f"{tag}: refused ({r.stderr.strip()})")


def main():
    need_node()
    d = work_dir("train")
    data = os.path.join(d, "data")
    r = subprocess.run([CLI, "data", "fictitious", "--seed", "3", "--authors", "12" if SANITIZED else "30",
                        "--out", data], capture_output=True, text=True)
    if r.returncode:
        fail(f"data fictitious failed: {r.stderr.strip()}")
    full, holdout = os.path.join(data, "full.jsonl"), os.path.join(data, "holdout.jsonl")
    # plain text: KJV verses and the edge cases, one per line
    plain = os.path.join(d, "plain.txt")
    lines = corpus_lines(60_000 if SANITIZED else 200_000)
    with open(plain, "w", encoding="utf-8", newline="") as f:
        for t in lines[:-len(EDGE_CASES)]:
            f.write(t.replace("\r", "").replace("\n", " ") + "\n")

    # 1. merges against the naive reference (JSONL with a min frequency; plain text without)
    tok_a = os.path.join(d, "tok_a.json")
    doc_a = train(tok_a, [full], 700, ["--min-frequency", "2"])
    check_reference("jsonl", doc_a, [full], 700, 2)
    tok_b = os.path.join(d, "tok_b.json")
    doc_b = train(tok_b, [plain, holdout], 600, ["--min-frequency", "0"])
    check_reference("plain+jsonl", doc_b, [plain, holdout], 600, 0)
    if len(doc_a["model"]["vocab"]) != 700 or doc_a["added_tokens"][0]["content"] != "<|endoftext|>":
        fail("jsonl: want 700 tokens with <|endoftext|> as added token 0")

    # 2. our tokenizer and HF agree on training and unseen text
    train_texts = sequences(full)[: 400 if SANITIZED else 4000]
    unseen = sequences(holdout) + lines[-len(EDGE_CASES):] + lines[:300]
    n = check_hf("train-text", tok_a, train_texts)
    n += check_hf("unseen-text", tok_a, unseen)
    n += check_hf("unseen-text-b", tok_b, unseen + train_texts[:200])
    print(f"HF agreement: {n} ids")

    # 3. determinism
    tok_c = os.path.join(d, "tok_c.json")
    train(tok_c, [full], 700, ["--min-frequency", "2"])
    if open(tok_a, "rb").read() != open(tok_c, "rb").read():
        fail("two trainings on the same input wrote different bytes")
    print("determinism: identical bytes")

    # 4. bad input
    bad_utf8 = os.path.join(d, "bad.txt")
    with open(bad_utf8, "wb") as f:
        f.write(b"good line\nbad \xff byte\n")
    no_answer = os.path.join(d, "noanswer.jsonl")
    with open(no_answer, "w") as f:
        f.write('{"question": "q", "answer": "a"}\n{"question": "q"}\n')
    out = os.path.join(d, "never.json")
    if os.path.exists(out):
        os.remove(out)
    expect_refusal("invalid UTF-8", ["--vocab-size", "300", "--out", out, bad_utf8], f"{bad_utf8}:2", out)
    expect_refusal("no answer", ["--vocab-size", "300", "--out", out, no_answer], f"{no_answer}:2", out)
    expect_refusal("small vocab", ["--vocab-size", "200", "--out", out, full], "at least 257", out)
    expect_refusal("missing file", ["--vocab-size", "300", "--out", out, os.path.join(d, "nope.txt")],
                   "nope.txt", out)
    print("OK")


if __name__ == "__main__":
    main()
