#!/usr/bin/python3
"""Seed corpora for the libFuzzer targets in tests/fuzz/ (run by scripts/fuzz.sh).

    tests/fuzz/make_corpus.py OUTDIR

writes OUTDIR/<target>/<name> for every target: real files from the repository
(examples/default: the model's config.json, tokenizer.json and weights header, the forget/retain
sets, examples/samples.jsonl; the chat templates of tests/oracle/data_chat_templates.py) cut to
the target's -max_len, plus hand-written edge cases (well-formed variants that reach deeper code,
and malformed ones that each name one way a file can lie). Deterministic: same tree, same files.
Seeds that the library refuses are intended; seeds of known, still open crashes are not included
(they live in tests/fuzz/regressions/<target>/ once found)."""
import ast
import copy
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = os.path.join(ROOT, "examples", "default")
MODEL = os.path.join(DEFAULT, "model")


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


class Corpus:
    def __init__(self, out, target, max_len):
        self.dir = os.path.join(out, target)
        self.max_len = max_len
        os.makedirs(self.dir, exist_ok=True)
        self.n = 0

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > self.max_len:
            data = data[:self.max_len]
        with open(os.path.join(self.dir, "%03d_%s" % (self.n, name)), "wb") as f:
            f.write(data)
        self.n += 1


def jdump(v):
    return json.dumps(v, ensure_ascii=False)


# ---------------------------------------------------------------------------------- safetensors
def st_file(tensors, meta=None, pad=True, data=None):
    """A safetensors file: tensors = [(name, dtype, shape, raw bytes)]."""
    header, blob = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    if meta is not None:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + (blob if data is None else data)


def st_raw(header_obj, data=b"", hlen=None):
    h = header_obj if isinstance(header_obj, bytes) else json.dumps(header_obj).encode()
    return struct.pack("<Q", len(h) if hlen is None else hlen) + h + data


def safetensors(c):
    real = read(os.path.join(MODEL, "model.safetensors"))
    (hlen,) = struct.unpack("<Q", real[:8])
    hdr = json.loads(real[8:8 + hlen])
    c.add("real_truncated", real)                      # the real header, data cut by max_len
    # The real header with every tensor shrunk to 2 elements, laid out again: a valid file that
    # holds the real names and dtypes.
    small = [(k, v["dtype"], [2], real[8 + hlen + v["data_offsets"][0]:][:2 * (4 if v["dtype"] == "F32" else 2)])
             for k, v in sorted(hdr.items()) if k != "__metadata__"][:12]
    c.add("real_names_small", st_file(small, hdr.get("__metadata__", {"format": "pt"})))
    f32 = struct.pack("<4f", 1.0, -2.5, float("inf"), float("nan"))
    f16 = struct.pack("<4H", 0x3c00, 0x0001, 0x7c00, 0xfe01)
    bf16 = struct.pack("<4H", 0x3f80, 0x0001, 0x7f80, 0xffc1)
    c.add("three_dtypes", st_file([("a", "F32", [2, 2], f32), ("b", "F16", [4], f16), ("c", "BF16", [1, 4], bf16)],
                                  {"format": "pt", "note": "x"}))
    c.add("scalar", st_file([("s", "F32", [], f32[:4])]))
    c.add("empty_tensor", st_file([("e", "F32", [0, 3], b""), ("f", "F16", [1], f16[:2])]))
    c.add("eight_dims", st_file([("d", "F32", [1] * 8, f32[:4])]))
    c.add("no_tensors", st_file([], {}))
    c.add("unpadded", st_file([("a", "F32", [1], f32[:4])], pad=False))
    c.add("unaligned", st_raw({"a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]},
                               "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, b"\x00" * 6))
    # Lies, one per file.
    base = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    c.add("hlen_huge", st_raw(base, f32[:8], hlen=1 << 62))
    c.add("hlen_zero", st_raw(b"", f32, hlen=0))
    c.add("hlen_past_end", st_raw(base, b"", hlen=4096))
    c.add("short_file", b"\x08\x00\x00")
    c.add("header_not_json", st_raw(b"{\"a\": {\"dtype\": ", f32))
    c.add("header_array", st_raw([1, 2], f32))
    for name, t in [
        ("dtype_i32", {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}),
        ("dtype_number", {"dtype": 7, "shape": [2], "data_offsets": [0, 8]}),
        ("shape_mismatch", {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}),
        ("shape_negative", {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}),
        ("shape_overflow", {"dtype": "F32", "shape": [4294967296, 4294967296, 2], "data_offsets": [0, 8]}),
        ("shape_float", {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}),
        ("nine_dims", {"dtype": "F32", "shape": [1] * 9, "data_offsets": [0, 4]}),
        ("offsets_reversed", {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}),
        ("offsets_past_end", {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}),
        ("offsets_huge", {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551608, 0]}),
        ("offsets_three", {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 16]}),
        ("missing_shape", {"dtype": "F32", "data_offsets": [0, 8]}),
        ("not_object", "F32"),
    ]:
        c.add(name, st_raw({"a": t}, f32[:8]))
    c.add("overlap", st_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                             "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, f32))
    c.add("duplicate_name", st_raw(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                   b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32[:8]))
    c.add("meta_not_string", st_raw({"__metadata__": {"k": 1}, **base}, f32[:8]))
    c.add("meta_not_object", st_raw({"__metadata__": [], **base}, f32[:8]))
    c.add("nul_in_name", st_raw(b'{"a\\u0000b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32[:4]))
    c.add("gap_in_data", st_raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, f32[:8]))


# ---------------------------------------------------------------------------------- config.json
def config(c):
    real = json.loads(read(os.path.join(MODEL, "config.json")))
    c.add("real", read(os.path.join(MODEL, "config.json")))

    def var(name, **kw):
        d = copy.deepcopy(real)
        for k, v in kw.items():
            if v is None:
                d.pop(k, None)
            else:
                d[k] = v
        c.add(name, jdump(d))

    var("mistral", architectures=["MistralForCausalLM"], model_type="mistral", sliding_window=16)
    var("qwen2", architectures=["Qwen2ForCausalLM"], model_type="qwen2", use_sliding_window=False)
    var("llama3_rope", rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    var("rope_linear", rope_scaling={"type": "linear", "factor": 2.0})
    var("head_dim", head_dim=16)
    var("no_kv_heads", num_key_value_heads=None)
    var("tied", tie_word_embeddings=True)
    var("eos_list", eos_token_id=[0, 1], bos_token_id=None)
    var("keep_dtype_bf16", torch_dtype="bfloat16")
    var("gelu_act", hidden_act="gelu")
    var("bias", attention_bias=True, mlp_bias=True)
    var("missing_hidden", hidden_size=None)
    var("string_layers", num_hidden_layers="2")
    var("float_layers", num_hidden_layers=2.0)
    var("bad_heads", num_attention_heads=3)
    var("bad_arch", architectures=["BertModel"], model_type="bert")
    var("arch_not_list", architectures="LlamaForCausalLM")
    var("too_few_layers", num_hidden_layers=1)
    var("vocab_mismatch", vocab_size=769)
    var("max_pos_small", max_position_embeddings=1)
    c.add("phi", jdump({"architectures": ["PhiForCausalLM"], "model_type": "phi", "vocab_size": 768,
                        "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                        "intermediate_size": 192, "max_position_embeddings": 80, "hidden_act": "gelu_new",
                        "layer_norm_eps": 1e-05, "partial_rotary_factor": 0.5, "rope_theta": 10000.0,
                        "tie_word_embeddings": False}))
    c.add("gpt2", jdump({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 768,
                         "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 80, "n_inner": None,
                         "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05,
                         "bos_token_id": 0, "eos_token_id": 0}))
    c.add("empty_object", "{}")
    c.add("array", "[]")
    c.add("truncated", read(os.path.join(MODEL, "config.json"))[:100])
    c.add("duplicate_key", '{"hidden_size": 64, "hidden_size": 32}')


# ------------------------------------------------------------------------------- tokenizer.json
def added(i, content, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": i, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def small_bytelevel(real, n_merges=40):
    """The bundled byte-level tokenizer cut to its first merges (256 byte tokens + merges)."""
    d = copy.deepcopy(real)
    merges = d["model"]["merges"][:n_merges]
    keep = set(range(257 + n_merges))
    d["model"]["vocab"] = {k: v for k, v in d["model"]["vocab"].items() if v in keep}
    d["model"]["merges"] = merges
    return d


def tokenizer_load(c):
    real_text = read(os.path.join(MODEL, "tokenizer.json"))
    real = json.loads(real_text)
    sp = json.loads(read(os.path.join(ROOT, "tests", "fuzz", "tokenizer_sp.json")))
    c.add("real", real_text)
    c.add("sp", jdump(sp))
    bl = small_bytelevel(real)
    c.add("bytelevel_small", jdump(bl))
    lit = lambda s: {"String": s}
    rx = lambda s: {"Regex": s}
    blpt = lambda **kw: dict({"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True}, **kw)

    def var(name, base, **kw):
        d = copy.deepcopy(base)
        for k, v in kw.items():
            d[k] = v
        c.add(name, jdump(d))

    var("bl_nfkc_lower_digits", bl,
        normalizer={"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
        pre_tokenizer={"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                             blpt(add_prefix_space=True)]})
    var("bl_split_behaviors", bl, pre_tokenizer={"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": rx("[0-9]+"), "behavior": "Isolated", "invert": False},
        {"type": "Split", "pattern": lit(" "), "behavior": "MergedWithNext", "invert": False},
        {"type": "Split", "pattern": rx("[,.!?]"), "behavior": "MergedWithPrevious", "invert": False},
        {"type": "Split", "pattern": rx("\\s"), "behavior": "Contiguous", "invert": False},
        {"type": "Split", "pattern": rx("\\p{L}+"), "behavior": "Removed", "invert": True}, blpt()]})
    var("bl_whitespace_nfd", bl,
        normalizer={"type": "Sequence", "normalizers": [{"type": "NFD"},
                                                        {"type": "Strip", "strip_left": True, "strip_right": False}]},
        pre_tokenizer={"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, blpt()]},
        decoder={"type": "Sequence", "decoders": [blpt(), {"type": "Replace", "pattern": rx("[aeiou]"), "content": "*"}]})
    var("bl_wssplit_nodecoder", bl, pre_tokenizer={"type": "WhitespaceSplit"}, decoder=None,
        post_processor={"type": "Sequence", "processors": [blpt(), {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [0], "tokens": ["<|endoftext|>"]}}}]})
    arr = copy.deepcopy(bl)
    arr["model"]["merges"] = [m.split(" ", 1) for m in arr["model"]["merges"]]
    arr["model"]["ignore_merges"] = True
    c.add("bl_array_merges_ignore", jdump(arr))
    var("bl_truncation", bl, truncation={"direction": "Left", "max_length": 5, "strategy": "LongestFirst", "stride": 0})
    var("bl_padding", bl, padding={"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None,
                                   "pad_id": 0, "pad_type_id": 0, "pad_token": "<|endoftext|>"})
    var("bl_added", bl, added_tokens=bl["added_tokens"] + [
        added(300 + 40, "<sep>", lstrip=True, rstrip=True), added(341, " the", special=False, normalized=True,
                                                                   single_word=True)])
    var("sp_prepend", sp, normalizer={"type": "Sequence", "normalizers": [
        {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": rx("\\s+"), "content": " "}, {"type": "Prepend", "prepend": "▁"},
        {"type": "Replace", "pattern": lit(" "), "content": "▁"}]},
        pre_tokenizer=None,
        decoder={"type": "Sequence", "decoders": [{"type": "ByteFallback"},
                                                  {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}]})
    var("sp_nfkd_lower", sp, normalizer={"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "Lowercase"},
                                                                             {"type": "NFC"}]},
        pre_tokenizer={"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": False})
    spm = copy.deepcopy(sp)
    spm["model"].update(continuing_subword_prefix="##", end_of_word_suffix="</w>", byte_fallback=False, fuse_unk=False)
    c.add("sp_prefix_suffix", jdump(spm))
    nounk = copy.deepcopy(sp)
    nounk["model"].update(unk_token=None, byte_fallback=False)
    c.add("sp_no_unk", jdump(nounk))
    # Refusals.
    var("unknown_model", bl, model={"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "a"})
    var("unknown_normalizer", bl, normalizer={"type": "BertNormalizer"})
    var("unknown_decoder", bl, decoder={"type": "CTC"})
    var("dropout", bl, model=dict(bl["model"], dropout=0.1))
    var("merge_unknown", bl, model=dict(bl["model"], merges=["zz qq"]))
    var("vocab_dup_id", bl, model=dict(bl["model"], vocab={"a": 1, "b": 1}, merges=[]))
    var("bad_regex", bl, pre_tokenizer={"type": "Split", "pattern": rx("(["), "behavior": "Isolated", "invert": False})
    var("added_id_huge", bl, added_tokens=[added(2147483647, "<big>")])
    c.add("not_object", "[1, 2, 3]")
    c.add("truncated", real_text[:200])
    c.add("empty", "")


def tokenizer_encode(c):
    texts = [
        "Hello, world! It's 2024.", "  leading and trailing  ", "tab\tand\nnewline\r\n",
        "<|endoftext|>", "a<|endoftext|>b <s> </s> <sep> x<sep>y <unk>", "hello world, sayhello hello_world",
        "café naïve ÉCOLE ß İi ΣΣ", "ﬁve ①② ＡＢＣ １２３", "日本語のテキスト 中文 한국어", "😀👍🏽 👨‍👩‍👧", "e\u0301 a\u0308 \u200d\u200b",
        "MiXeD 123 4567 3.14 1,000,000", "one,two.three!four?", "    ", "", "\u00a0nbsp\u3000 \u2028\u2029",
        "\x00nul\x00inside", "a" * 300, "ab " * 100, "'s 't 're 've 'm 'll 'd",
    ]
    for name in ("forget", "retain"):
        with open(os.path.join(DEFAULT, name + ".jsonl"), encoding="utf-8") as f:
            for k, line in enumerate(f):
                if k >= 6:
                    break
                item = json.loads(line)
                texts += [item["question"], item["answer"]]
    for i, t in enumerate(texts):
        c.add("text%d" % i, t)
    # Invalid UTF-8 (refused) and edge forms.
    for name, b in [("lone_cont", b"a\x80b"), ("overlong", b"\xc0\xaf"), ("surrogate", b"\xed\xa0\x80"),
                    ("past_max", b"\xf4\x90\x80\x80"), ("truncated4", b"ok \xf0\x9f\x98"), ("ff", b"\xff\xfe"),
                    ("max_cp", "\U0010ffff".encode())]:
        c.add(name, b)


# ------------------------------------------------------------------------------------- datasets
def dataset(c):
    for name in ("forget", "retain"):
        text = read(os.path.join(DEFAULT, name + ".jsonl"), "r")
        lines = text.splitlines()
        c.add(name + "_jsonl", "\n".join(lines[:4]) + "\n")
        c.add(name + "_json", "[\n" + ",\n".join(lines[:3]) + "\n]\n")
    c.add("all_fields", jdump([{"id": 7, "question": "Q?", "answer": "A.", "paraphrased_answer": "P.",
                                "perturbed_answer": ["x", "y"], "keywords": ["k1", "k 2"], "author": "Au"},
                               {"id": "s1", "question": "Q2", "answer": "A2", "perturbed_answer": "one",
                                "keywords": " a, b ,,c "}]))
    c.add("jsonl_crlf_blank", '{"question":"a","answer":"b"}\r\n\r\n  \n{"question":"c","answer":"d"}')
    c.add("json_lines_in_json", '{"question":"a","answer":"b"}\n{"question":"c","answer":"d"}\n')
    c.add("bom_json", "\ufeff" + '[{"question":"q","answer":"a"}]')
    for name, v in [("missing_answer", {"question": "q"}), ("question_number", {"question": 1, "answer": "a"}),
                    ("keywords_mixed", {"question": "q", "answer": "a", "keywords": ["a", 1]}),
                    ("id_float", {"question": "q", "answer": "a", "id": 1.5}),
                    ("id_huge", {"question": "q", "answer": "a", "id": 9223372036854775807}),
                    ("nul_text", {"question": "a\u0000b", "answer": "c"})]:
        c.add(name, jdump(v) + "\n")
    c.add("json_not_array", '"just a string"')
    c.add("jsonl_bad_line", '{"question":"a","answer":"b"}\n{"question": \n')
    # CSV, the Harry Potter Q&A layout.
    c.add("csv_hp", 'id,Question,Answer,Key Words\n1,"Who is Harry?","A wizard.","wizard, boy"\n'
                    '2,"Quote ""this""","Line one\nline two","a,,b, c "\n')
    c.add("csv_crlf_bom", "\ufeffQuestion,Key Words\r\nWhat?,\"x, y\"\r\nWhy?,z\r\n")
    c.add("csv_case_header", " question ,KEY WORDS , answer\nq, k ,a\n")
    c.add("csv_cr_only", "Question,Key Words\rq1,k1\rq2,k2\r")
    c.add("csv_missing_column", "Question\nq\n")
    c.add("csv_unterminated", 'Question,Key Words\n"open,k\n')
    c.add("csv_quote_inside", 'Question,Key Words\nab"c,k\n')
    c.add("csv_after_quote", 'Question,Key Words\n"ab"c,k\n')
    c.add("csv_ragged", "Question,Key Words\nq\nq,k,extra\n")
    c.add("csv_nul", b"Question,Key Words\nq\x00q,k\n")
    c.add("empty", "")


# --------------------------------------------------------------------------------- chat template
def template(c):
    src = read(os.path.join(ROOT, "tests", "oracle", "data_chat_templates.py"), "r")
    real = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "REAL":
            real = ast.literal_eval(node.value)
    for name, t in real.items():
        c.add("real_" + name, t)
    cases = [
        ("loop_vars", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/"
                      "{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}{% endfor %}"),
        ("slices", "{{ messages[0]['content'][1:5] }}{{ messages[0].content[::-1] }}{{ messages[-1:] | length }}"
                   "{{ 'abc'[-2:] }}{{ [1, 2, 3][1] if false else 'x' }}"),
        ("arith", "{{ 7 // 2 }} {{ -7 % 3 }} {{ 2 * 3 + 1 - 4 }} {{ 'ab' * 3 }} {{ 1 ~ 'x' ~ none }}"),
        ("compare", "{{ 1 < 2 and 'a' in 'cat' or not true }}{{ 'x' not in messages[0].content }}{{ 1 == 1.0 }}"),
        ("filters", "{{ messages[0].content | trim | lower | upper }}{{ messages | count }}{{ 'ÉCOLE' | lower }}"),
        ("methods", "{{ '  x  '.strip() }}{{ 'ab'.startswith('a') }}{{ 'ab'.endswith('b') }}{{ 'x'.lstrip('x') }}"
                    "{{ messages[0]['content'].rstrip() }}"),
        ("tests", "{% if foo is defined %}d{% elif foo is undefined %}u{% endif %}{{ none is none }}"
                  "{{ 'a' is string }}"),
        ("set_scope", "{% set x = 1 %}{% for m in messages %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}"),
        ("whitespace", "  {%- if true -%}  a  {%+ if true +%} b {%- endif %}\n{% endif %}  \n{#- c -#} d\n"),
        ("raise", "{% if add_generation_prompt %}{{ raise_exception('no ' ~ messages[0].role) }}{% endif %}"),
        ("undefined_iter", "{% for x in nothing %}{{ x }}{% endfor %}{{ nothing }}{{ nothing.attr }}"),
        ("escapes", "{{ '\\n\\t\\'\\\\' }}{{ \"dq \\\" q\" }}{{ '\\u00e9\\x41' }}"),
        ("nested_for", "{% for a in messages %}{% for b in messages %}{{ a.role ~ b.role }}{% endfor %}{% endfor %}"),
        ("bos_eos", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"),
        ("comment_only", "{# only a comment #}"),
        ("text_only", "plain text with { and } and {{{ and %}"),
        ("literal_q", "Question: {q}\nAnswer: {{literal}}"),
        # Refusals (compile or run time).
        ("unterminated_tag", "{% if true %}x"),
        ("unterminated_expr", "{{ messages[0"),
        ("endfor_without_for", "{% endfor %}"),
        ("macro", "{% macro m() %}x{% endmacro %}"),
        ("namespace", "{% set ns = namespace(a=1) %}"),
        ("unknown_filter", "{{ 'a' | tojson }}"),
        ("type_error", "{{ 1 + 'a' }}"),
        ("index_string", "{{ messages['x'] }}"),
        ("div_zero", "{{ 1 // 0 }}{{ 1 % 0 }}"),
        ("big_literal", "{{ 9223372036854775807 }}{{ -9223372036854775807 }}"),
    ]
    for name, t in cases:
        c.add(name, t)


# ----------------------------------------------------------------------- bound and score readers
def readers(c):
    samples = read(os.path.join(ROOT, "examples", "samples.jsonl"), "r").splitlines()
    c.add("samples", "\n".join(samples[:6]) + "\n")
    c.add("bound_basic", '{"id": "q1", "score": 0.5}\n{"id": 2, "scores": [0, 1]}\n')
    c.add("bound_interleaved", '{"id": "a", "score": 0.1}\n{"id": "b", "score": 0.2}\n'
                               '{"id": "a", "scores": [0.3, 1.0]}\n{"id": 7, "score": 0}\n{"id": "b", "score": 1}\n')
    c.add("bound_crlf_blank", '{"id":"x","score":1e-300}\r\n\r\n   \n{"id":"x","score":-0.0}\r\n')
    c.add("bound_long_id", jdump({"id": "k" * 300, "score": 0.25}) + "\n" + jdump({"id": "k" * 300, "score": 1}))
    c.add("bound_int_ids", '{"id": -9223372036854775808, "score": 1}\n{"id": 9223372036854775807, "score": 0}\n')
    c.add("bound_nul_id", '{"id": "a\\u0000b", "score": 0.5}\n{"id": "a", "score": 0.5}\n')
    for name, line in [("nan", '{"id": "q1", "score": NaN}'), ("above1", '{"id": "q1", "score": 1.5}'),
                       ("both", '{"id": 1, "score": 0.1, "scores": [0.1]}'), ("empty_scores", '{"id": 1, "scores": []}'),
                       ("id_float", '{"id": 1.5, "score": 0.1}'), ("not_object", '[1, 2]'),
                       ("truncated", '{"id": "q1", "score": 0.5')]:
        c.add("bound_" + name, line + "\n")
    c.add("score_keywords", jdump({"id": "q", "text": "Tesk was born in Marisol Bay", "reference": "Marisol",
                                   "keywords": ["Marisol Bay", "1961"]}) + "\n" +
          jdump({"text": "nothing", "keywords": "a, b ,c", "reference": ""}) + "\n")
    c.add("score_clash", jdump({"text": "a b c", "reference": "a b", "score": 3, "precision": None,
                                "keywords": ["a"]}) + "\n")
    c.add("score_unicode", jdump({"text": "Ünïcödé İstanbul naïve CAFÉ 日本 running runs ran",
                                  "reference": "unicode istanbul cafe run", "keywords": ["café"]}) + "\n")
    c.add("score_spaces", '  { "text" : "x y" , "reference" : "y x" }  \n{}\n{"text": 1}\n')
    c.add("score_empty_text", '{"text": "", "reference": "", "keywords": []}\n')
    c.add("score_text_arrays", jdump({"id": "q", "text": ["a b c", "c b a", ""], "reference": "a b",
                                      "keywords": ["b"]}) + "\n" +
          jdump({"text": [{"text": "x y"}, {"text": "y"}], "reference": "x", "keywords": "x"}) + "\n" +
          jdump({"id": 3, "text": [], "reference": "r"}) + "\n" + '{"text": [1], "reference": "r"}\n')
    c.add("empty", "")


# ------------------------------------------------------------------- eval --samples reader
def eval_samples(c):
    """The first byte picks the options (tests/fuzz/fuzz_eval_samples.c): bits 0-1 text field
    (text, outputs, generations), 2-3 metric (rougeL-recall, keywords, exact, rouge1-f), 4
    --allow-duplicates, 5 --greedy-field greedy, 6 --data (ids "a", "1", "b"), 7 substring."""
    def opt(tf=0, metric=0, allow=0, greedy=0, data=0, sub=0):
        return bytes([tf | metric << 2 | allow << 4 | greedy << 5 | data << 6 | sub << 7])

    def add(name, o, rows):
        c.add(name, o + "".join((r if isinstance(r, str) else jdump(r)) + "\n" for r in rows).encode())

    samples = read(os.path.join(ROOT, "examples", "samples.jsonl"), "r").splitlines()
    add("own", opt(), samples[:8])
    add("own_twice", opt(), samples[:3] * 2)
    add("own_twice_allowed", opt(allow=1), samples[:3] * 2)
    g = {"id": "q1", "sample": -1, "text": "Paris.", "reference": "Paris"}
    s = [{"id": "q1", "text": t, "reference": "Paris"} for t in ("Paris is", "Rome", "Rome")]
    add("plain_greedy", opt(), [g] + s)
    add("plain_two_greedy", opt(), [g, g] + s)
    add("hf_greedy_array", opt(tf=2), [{"id": 7, "generations": ["a b", "b"], "reference": "a"},
                                       {"id": 7, "sample": -1, "generations": ["a"], "reference": "a"}])
    add("hf_greedy_two", opt(tf=2), [{"id": 7, "generations": ["a b"], "reference": "a"},
                                     {"id": 7, "sample": -1, "generations": ["a", "b"], "reference": "a"}])
    add("vllm_greedy_field", opt(tf=1, greedy=1),
        [{"id": "r", "outputs": [{"index": 0, "text": "x"}, {"index": 1, "text": "y"}],
          "greedy": [{"index": 0, "text": "x"}], "reference": "x"}])
    add("vllm_no_greedy_field", opt(tf=1, greedy=1), [{"id": "r", "outputs": [{"text": "x"}], "reference": "x"}])
    add("vllm_empty", opt(tf=1), [{"id": "r", "outputs": [], "reference": "x"}])
    v = {"id": "r", "outputs": [{"text": "x"}, {"text": "y"}], "reference": "x"}
    add("vllm_twice", opt(tf=1), [v, v])
    add("vllm_twice_allowed", opt(tf=1, allow=1), [v, v])
    add("sample_index_twice", opt(), [{"id": "a", "sample": 0, "text": "x", "reference": "x"},
                                      {"id": "a", "sample": 0, "text": "y", "reference": "x"}])
    add("mixed_ids", opt(), [{"id": 1, "text": "x", "reference": "x"}, {"id": "1", "text": "x", "reference": "x"}])
    add("two_references", opt(), [{"id": 1, "text": "x", "reference": "x"}, {"id": 1, "text": "x", "reference": "y"}])
    add("keywords", opt(metric=1), [{"id": 1, "text": "Ron went", "keywords": "Ron, Tom"},
                                    {"id": 1, "text": "Tom", "keywords": ["Ron", "Tom"]},
                                    {"id": 2, "text": "x", "keywords": ["x"]}, {"id": 2, "text": "y", "keywords": "x"}])
    add("keywords_empty", opt(metric=1, sub=1), [{"id": 1, "text": "x", "keywords": [" ", ""]}])
    add("join", opt(data=1), [{"id": "a", "text": "x"}, {"id": 1, "text": "y"}, {"id": "b", "text": "Paris."}])
    add("join_keywords", opt(metric=1, data=1), [{"id": "a", "text": "x"}, {"id": "1", "text": "z"},
                                                 {"id": "b", "text": "b", "keywords": "b"}])
    add("join_missing", opt(data=1), [{"id": "a", "text": "x"}])
    add("empty", opt(), [])


TARGETS = {
    # target: (builder, max_len) — scripts/fuzz.sh passes the same -max_len.
    "safetensors": (safetensors, 4096),
    "config": (config, 2048),
    "tokenizer_load": (tokenizer_load, 32768),
    "tokenizer_encode": (tokenizer_encode, 2048),
    "dataset": (dataset, 4096),
    "template": (template, 4096),
    "readers": (readers, 4096),
    "eval_samples": (eval_samples, 4096),
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUTDIR")
    for target, (build, max_len) in TARGETS.items():
        c = Corpus(sys.argv[1], target, max_len)
        build(c)
        print("%s: %d seeds" % (target, c.n))


if __name__ == "__main__":
    main()
