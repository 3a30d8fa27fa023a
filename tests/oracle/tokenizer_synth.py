#!/usr/bin/python3
"""Oracle: tokenizer components the real files do not exercise, against Hugging Face tokenizers
(npm binding). Each variant swaps components into a real vocabulary (Mistral's SentencePiece BPE,
GPT-2's byte-level BPE) or into a small character BPE trained here (continuing_subword_prefix,
end_of_word_suffix, unk with and without fuse_unk, merges in the ["a", "b"] form), then runs the
same texts through the C library and HF: zero mismatches allowed in encode (with/without
special tokens) and decode (skipping/keeping specials)."""
import collections
import copy
import json
import os

import tokenizer_common as tc

EXTRA_TEXTS = [
    "a <sep> b", "a<sep>b", "  <sep>  ", "<sep>", "x <sep>\n\ny", "hello world", "sayhello there",
    "hello", " hello ", "HELLO there", "Hello, hello!", "hello_world", "ﬁve ①② ＡＢＣ", "MiXeD 123 4567",
    "abc123def 45 6", "one,two.three!four?", "end.", "   ", "spaces  between   words",
    "tab\tand\nnewline", "İi ΣΣ", "ääkkönen café naïve", "CAFÉ Café cafe\u0301 xcafé",
]


def lit(s):
    return {"String": s}


def rx(s):
    return {"Regex": s}


def template(single_pre, single_post, specials):
    single = [{"SpecialToken": {"id": t, "type_id": 0}} for t in single_pre] + \
             [{"Sequence": {"id": "A", "type_id": 0}}] + \
             [{"SpecialToken": {"id": t, "type_id": 0}} for t in single_post]
    return {"type": "TemplateProcessing", "single": single,
            "pair": single + [{"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for t, i in specials.items()}}


def added(i, content, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": i, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def sp_variants(base):
    """Variants of Mistral's SentencePiece-style BPE (byte_fallback, unk, fuse_unk)."""
    v = {}
    meta_first = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    d = copy.deepcopy(base)
    d.update(normalizer=None, pre_tokenizer=meta_first,
             decoder={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True},
             post_processor=template(["<s>"], ["</s>"], {"<s>": 1, "</s>": 2}))
    v["sp_metaspace_first"] = d

    for direction, n in (("Right", 12), ("Left", 7)):
        t = copy.deepcopy(d)
        t["truncation"] = {"direction": direction, "max_length": n, "strategy": "LongestFirst", "stride": 0}
        v[f"sp_truncation_{direction.lower()}"] = t

    d = copy.deepcopy(base)
    d.update(normalizer=None,
             pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
             decoder={"type": "Sequence", "decoders": [
                 {"type": "Replace", "pattern": lit("▁"), "content": " "}, {"type": "ByteFallback"},
                 {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})
    v["sp_metaspace_always_split"] = d

    d = copy.deepcopy(base)
    d.update(normalizer={"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
             pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": True},
             decoder={"type": "Sequence", "decoders": [
                 {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never"}]})
    v["sp_nfkc_lower_never"] = d

    d = copy.deepcopy(base)
    d.update(normalizer={"type": "Sequence", "normalizers": [
                 {"type": "Strip", "strip_left": True, "strip_right": True},
                 {"type": "Replace", "pattern": rx("\\s+"), "content": " "},
                 {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": lit(" "), "content": "▁"}]},
             pre_tokenizer={"type": "Digits", "individual_digits": True},
             decoder={"type": "Sequence", "decoders": [
                 {"type": "Replace", "pattern": lit("▁"), "content": " "}, {"type": "ByteFallback"},
                 # Per token, before Fuse: HF's Strip panics on an empty string when stop > 0.
                 {"type": "Strip", "content": " ", "start": 0, "stop": 1}, {"type": "Fuse"}]},
             post_processor=template(["<s>", "<s>"], [], {"<s>": 1}))
    v["sp_strip_regex_digits"] = d

    d = copy.deepcopy(base)
    # "hello" is also in the model vocabulary (HF then uses the model's id); "Café" is matched in
    # its normalized form (NFD + lowercase).
    d["added_tokens"] += [added(32000, "<sep>", lstrip=True, rstrip=True),
                          added(base["model"]["vocab"]["hello"], "hello", special=False, normalized=True,
                                single_word=True),
                          added(32001, "Café", special=False, normalized=True)]
    d.update(normalizer={"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}]},
             pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
             decoder={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True})
    v["sp_added_flags"] = d
    return v


def byte_variants(base):
    """Variants of GPT-2's byte-level BPE."""
    v = {}
    bl = lambda **kw: dict({"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                            "use_regex": False}, **kw)
    d = copy.deepcopy(base)
    d.update(normalizer={"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
             pre_tokenizer={"type": "Sequence", "pretokenizers": [
                 {"type": "Digits", "individual_digits": True}, bl(add_prefix_space=True, use_regex=True)]},
             post_processor={"type": "Sequence", "processors": [
                 bl(), template([], ["<|endoftext|>"], {"<|endoftext|>": 50256})]})
    v["bl_nfkc_lower_digits"] = d

    d = copy.deepcopy(base)
    d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": rx("[0-9]+"), "behavior": "Isolated", "invert": False},
        {"type": "Split", "pattern": lit(" "), "behavior": "MergedWithNext", "invert": False}, bl()]}
    v["bl_split_isolated_mergednext"] = d

    d = copy.deepcopy(base)
    d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": rx("\\p{L}+"), "behavior": "Removed", "invert": True}, bl()]}
    v["bl_split_invert_removed"] = d

    d = copy.deepcopy(base)
    d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": rx("[,.!?]"), "behavior": "MergedWithPrevious", "invert": False},
        {"type": "Split", "pattern": rx("\\s"), "behavior": "Contiguous", "invert": False},
        bl(add_prefix_space=True)]}
    d["model"]["merges"] = [m.split(" ", 1) for m in d["model"]["merges"]]
    d["model"]["ignore_merges"] = True
    v["bl_prev_contiguous_array_merges"] = d

    d = copy.deepcopy(base)
    d.update(normalizer={"type": "Sequence", "normalizers": [{"type": "NFD"},
                                                             {"type": "Strip", "strip_left": True, "strip_right": False}]},
             pre_tokenizer={"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, bl()]},
             decoder={"type": "Sequence", "decoders": [bl(), {"type": "Replace", "pattern": rx("[aeiou]"), "content": "*"}]})
    v["bl_whitespace_nfd"] = d

    d = copy.deepcopy(base)
    d.update(pre_tokenizer={"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, bl()]}, decoder=None)
    v["bl_whitespacesplit_nodecoder"] = d
    return v


def char_bpe(texts, n_merges, prefix, suffix):
    """A small character BPE in HF's layout, trained here on texts (words split on whitespace)."""
    words = collections.Counter(w for t in texts for w in t.split())

    def spell(w):
        syms = [w[0]] + [prefix + c for c in w[1:]]
        syms[-1] += suffix
        return syms

    corpus = {tuple(spell(w)): c for w, c in words.items()}
    vocab = {"[UNK]": 0}
    for syms in corpus:
        for s in syms:
            vocab.setdefault(s, len(vocab))
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for syms, c in corpus.items():
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        new = a + b[len(prefix):]
        merges.append([a, b])
        vocab.setdefault(new, len(vocab))
        nc = {}
        for syms, c in corpus.items():
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            nc[tuple(out)] = nc.get(tuple(out), 0) + c
        corpus = nc
    return vocab, merges


def char_variants(texts):
    v = {}
    vocab, merges = char_bpe(texts, 400, "##", "</w>")
    for fuse in (False, True):
        d = {"version": "1.0", "truncation": None, "padding": None,
             "added_tokens": [added(0, "[UNK]")],
             "normalizer": {"type": "Lowercase"},
             "pre_tokenizer": {"type": "Whitespace"},
             "post_processor": None,
             "decoder": {"type": "Sequence", "decoders": [
                 {"type": "Replace", "pattern": lit("</w>"), "content": " "},
                 {"type": "Replace", "pattern": lit("##"), "content": ""},
                 {"type": "Strip", "content": " ", "start": 0, "stop": 1}, {"type": "Fuse"}]},
             "model": {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                       "end_of_word_suffix": "</w>", "fuse_unk": fuse, "byte_fallback": False,
                       "vocab": vocab, "merges": merges}}
        v[f"char_prefix_suffix_unk_fuse{int(fuse)}"] = d
    return v


def main():
    tc.need_node()
    real = tc.real_tokenizers()
    texts = tc.corpus_lines(15_000 if tc.SANITIZED else 120_000) + EXTRA_TEXTS
    sp_base = json.load(open(real["llama2"], encoding="utf-8"))
    gpt2_base = json.load(open(real["gpt2"], encoding="utf-8"))
    variants = {}
    variants.update(sp_variants(sp_base))
    variants.update(byte_variants(gpt2_base))
    kjv = open(tc.kjv_text(), encoding="utf-8").read().split("\n")[:1500]
    variants.update(char_variants(kjv))
    d = tc.work_dir("synth")
    bad = 0
    for name, doc in variants.items():
        path = os.path.join(d, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        ours, theirs = tc.run_both(path, texts, name)
        bad += tc.compare(name, texts, ours, theirs)
        if name.startswith(("sp_added", "char_")):
            bad += tc.compare_vocab(path, name)
    if bad:
        tc.fail(f"{bad} mismatching texts")
    print("OK")


if __name__ == "__main__":
    main()
