#!/usr/bin/python3
"""Oracle for `leakbound tokenize`: its JSONL output equals Hugging Face tokenizers' (npm
binding) for encode (add_special_tokens True, and False with --no-special), for decode
(skip_special_tokens True, and False with --keep-special), with --tokenizer FILE and --model DIR;
and every bad input exits 2 with a message naming the file (and line), leaving stdout empty."""
import json
import os
import shutil
import subprocess

import tokenizer_common as tc

CLI = os.environ.get("LB_CLI", "")


def run(args, stdin_path=None):
    with open(stdin_path or os.devnull, "rb") as f:
        return subprocess.run([CLI, "tokenize"] + args, stdin=f, capture_output=True)


def lines(stdout):
    return [json.loads(l) for l in stdout.decode("utf-8").split("\n") if l]


def expect_error(tag, args, must_name, stdin_path=None):
    r = run(args, stdin_path)
    msg = r.stderr.decode("utf-8", "replace")
    if r.returncode != 2 or r.stdout or any(m not in msg for m in must_name):
        tc.fail(f"{tag}: want exit 2, empty stdout, message naming {must_name}; got exit {r.returncode}, "
                f"{len(r.stdout)} stdout bytes, stderr {msg.strip()!r}")
    print(f"{tag}: exit 2, {msg.strip()}")


def main():
    tc.need_node()
    toks = tc.real_tokenizers()
    texts = tc.corpus_lines(10_000 if tc.SANITIZED else 60_000)
    texts.append("raw line\u2028separator\u2029inside")
    d = tc.work_dir("cli")
    bad = 0
    for name in ("llama2", "gpt2"):
        tok = toks[name]
        _, hf = tc.run_both(tok, texts, "cli_" + name)
        # Input: JSON strings and {"text": ...} objects, alternating, raw UTF-8 (U+2028 unescaped),
        # with a blank line that must be skipped.
        inp = os.path.join(d, name + ".in.jsonl")
        with open(inp, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"text": t, "n": i} if i % 2 else t, ensure_ascii=False) + "\n")
                if i == 3:
                    f.write("\n")
        model_dir = os.path.join(d, name + "_model")
        os.makedirs(model_dir, exist_ok=True)
        shutil.copy(tok, os.path.join(model_dir, "tokenizer.json"))
        ids_in = os.path.join(d, name + ".ids.jsonl")
        with open(ids_in, "w") as f:
            for h in hf:
                f.write(json.dumps(h["ids"]) + "\n")
        cases = [
            ("encode --tokenizer", ["--tokenizer", tok, inp], None, "ids"),
            ("encode --model", ["--model", model_dir], inp, "ids"),
            ("encode --no-special", ["--tokenizer", tok, "--no-special", "-"], inp, "ids_plain"),
            ("decode", ["--tokenizer", tok, "--decode", ids_in], None, "dec_skip"),
            ("decode --keep-special", ["--model", model_dir, "--decode", "--keep-special"], ids_in, "dec_keep"),
        ]
        for tag, args, stdin_path, field in cases:
            r = run(args, stdin_path)
            if r.returncode:
                tc.fail(f"{name} {tag}: exit {r.returncode}: {r.stderr.decode()}")
            got = lines(r.stdout)
            want = [h[field] for h in hf]
            n_bad = sum(g != w for g, w in zip(got, want)) + abs(len(got) - len(want))
            print(f"{name} {tag}: {len(got)} lines, {n_bad} mismatches")
            bad += n_bad

    tok = toks["gpt2"]
    bad_in = os.path.join(d, "bad.jsonl")
    with open(bad_in, "w") as f:
        f.write('"fine"\n{"text": "fine too"}\n{"txt": "no text field"}\n"never reached"\n')
    expect_error("object without text", ["--tokenizer", tok, bad_in], ["bad.jsonl:3"])
    with open(bad_in, "w") as f:
        f.write('"fine"\n"broken\n')
    expect_error("malformed JSON line", ["--tokenizer", tok, bad_in], ["bad.jsonl:2"])
    with open(bad_in, "w") as f:
        f.write('[1, 2]\n[3, -4]\n')
    expect_error("negative id", ["--tokenizer", tok, "--decode", bad_in], ["bad.jsonl:2"])
    with open(bad_in, "w") as f:
        f.write('[1, 2]\n[50257]\n')
    expect_error("id outside the vocabulary", ["--tokenizer", tok, "--decode", bad_in], ["bad.jsonl:2", "50257"])
    doc = json.load(open(tok, encoding="utf-8"))
    doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "BertPreTokenizer"}]}
    unk = os.path.join(d, "unknown_type.json")
    json.dump(doc, open(unk, "w"))
    expect_error("unknown component", ["--tokenizer", unk, inp], ["unknown_type.json", "BertPreTokenizer"])
    doc = json.load(open(tok, encoding="utf-8"))
    doc["model"]["type"] = "WordPiece"
    json.dump(doc, open(unk, "w"))
    expect_error("unknown model", ["--tokenizer", unk, inp], ["unknown_type.json", "WordPiece"])
    doc = json.load(open(tok, encoding="utf-8"))
    doc["model"]["merges"][7] = "nosuchtoken Ġthe"
    json.dump(doc, open(unk, "w"))
    expect_error("merge outside the vocabulary", ["--tokenizer", unk, inp], ["unknown_type.json", "merges[7]"])
    trunc = os.path.join(d, "truncated.json")
    with open(tok, "rb") as f, open(trunc, "wb") as g:
        g.write(f.read()[:5000])
    expect_error("truncated tokenizer.json", ["--tokenizer", trunc, inp], ["truncated.json"])
    expect_error("missing model dir", ["--model", os.path.join(d, "nope")], ["nope/tokenizer.json"])
    expect_error("no tokenizer", [inp], ["--tokenizer"])
    r = subprocess.run([CLI, "tokenize", "--help"], capture_output=True)
    if r.returncode != 0 or b"--decode" not in r.stdout:
        tc.fail("--help must exit 0 and describe --decode")
    if bad:
        tc.fail(f"{bad} mismatching lines")
    print("OK")


if __name__ == "__main__":
    main()
