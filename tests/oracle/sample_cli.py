#!/usr/bin/python3
"""Oracle for the sampler and `leakbound sample`:

- determinism: the same seed gives byte-identical results for batch sizes 1..64, 1 or 2
  threads and a KV budget so small that sequences queue (continuous batching);
- Philox4x32-10: Random123's known-answer vectors, and an independent transcription of the
  algorithm (Salmon et al. 2011) below over 2,000 random (counter, key) pairs;
- greedy: the sample -1 answer equals `leakbound generate --greedy` (text and ids) per prompt;
- the samples.jsonl format: field order, ids, sample indices, prompt = rendered template,
  reference/keywords copied from the data, tokens, finish (eos/length/stop), text = decode of
  the tokens skipping special ones (checked on the byte tokenizer), --verbose temperatures;
- --resume: a file cut inside a group (and inside a line) is completed to the same bytes as an
  uninterrupted run; a file made with another -n is refused, its message naming the group;
- FILE.settings.json: the model and data SHA-256 (checked with hashlib) and every setting;
  --resume with another seed, warper, limit, template, model or data exits 2 naming it;
- answers that all end at their first token (EOS above top-p, a limit of one token) never
  strand the scheduler: every group comes back, in order, the same for every batch size;
- errors (exit 2, message naming the culprit): missing model, malformed data, a prompt longer
  than the context, a KV budget smaller than one prompt, duplicate ids, bad flags.
"""
import hashlib
import json
import os
import random
import shutil

import numpy as np

import sample_common as sc

M32 = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & M32, (p0 >> 32) ^ c[3] ^ k1, p0 & M32]
    return c


KAT = [  # Random123 kat_vectors: counter (4), key (2) -> output (4)
    ([0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
    ([M32] * 4, [M32, M32], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
    ([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
     [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]),
]


def check_philox():
    import subprocess
    rnd = random.Random(5)
    cases = [(c, k) for c, k, _ in KAT]
    cases += [([rnd.getrandbits(32) for _ in range(4)], [rnd.getrandbits(32) for _ in range(2)])
              for _ in range(2000)]
    inp = "".join("%08x %08x %08x %08x %08x %08x\n" % tuple(c + k) for c, k in cases)
    proc = subprocess.run([os.path.join(sc.DRIVERS, "driver_sampler"), "--philox"], input=inp,
                          capture_output=True, text=True)
    got = [[int(x, 16) for x in l.split()] for l in proc.stdout.splitlines()]
    if len(got) != len(cases):
        sc.fail(f"philox: {len(got)} outputs for {len(cases)} inputs")
    for i, (c, k, want) in enumerate(KAT):
        if got[i] != want or philox4x32_10(c, k) != want:
            sc.fail(f"philox KAT {i}: got {got[i]}, python {philox4x32_10(c, k)}, want {want}")
    for (c, k), g in zip(cases, got):
        if philox4x32_10(c, k) != g:
            sc.fail(f"philox({c}, {k}) = {g}, python says {philox4x32_10(c, k)}")
    print(f"philox: 3 KAT vectors and {len(cases) - 3} random blocks agree")


def check_determinism(g2):
    prompts = [list(b"Hello"), list(b"A") * 17, list(b"xyz"), list(b"The answer is"), [32]]
    base = {"prompts": prompts, "keys": ["p0", "p1", "p2", "p3", "p4"], "n": 9, "greedy_too": True,
            "max_new": 12 if sc.SANITIZED else 24, "eos": [sc.EOS], "seed": 1234, "top_k": 50,
            "top_p": 0.95, "temperature": 1.1}
    ref_rows, ref = sc.run_driver(g2, dict(base, batch=64, threads=2), "det_ref")
    if len(ref_rows) != 5 * 10:
        sc.fail(f"determinism: {len(ref_rows)} results, want 50")
    # 2 layers x 32 dims x 2 (K,V) x 4 bytes = 512 B per position; 16-position blocks = 8 KiB.
    for tag, extra in [("batch1", {"batch": 1}), ("batch3", {"batch": 3, "threads": 1}),
                       ("batch7", {"batch": 7, "threads": 2}), ("batch50", {"batch": 50}),
                       ("kv_small", {"kv_budget": 8192 * 9, "batch": 64})]:
        _, out = sc.run_driver(g2, dict(base, **extra), "det_" + tag)
        if out != ref:
            sc.fail(f"determinism: {tag} differs from batch 64")
    _, other = sc.run_driver(g2, dict(base, seed=1235), "det_seed")
    if other == ref:
        sc.fail("determinism: another seed gave the same samples")
    # The greedy rows are the argmax path whatever the seed.
    g_ref = [r for r in ref_rows if r[1] == -1]
    g_oth = [r for r in sc.run_driver(g2, dict(base, seed=99, n=0), "det_greedy")[0]]
    if [r[3] for r in g_ref] != [r[3] for r in g_oth]:
        sc.fail("greedy answers depend on the seed or on n")
    print("determinism: batch 1/3/7/50/64, threads 1/2, KV-limited queueing: byte-identical")
    return ref_rows


def check_greedy_vs_generate(g2, d):
    qs = ["Hello", "xyz", "The answer is"]
    data = os.path.join(d, "greedy.jsonl")
    with open(data, "w") as f:
        for i, q in enumerate(qs):
            f.write(json.dumps({"id": f"g{i}", "question": q, "answer": "a"}) + "\n")
    out = os.path.join(d, "greedy_samples.jsonl")
    sc.run_cli(["sample", "--model", g2, "--data", data, "-n", "0", "--greedy-too",
                "--max-new-tokens", "16", "-o", out, "--quiet"])
    lines = [json.loads(l) for l in open(out, encoding="utf-8")]
    if len(lines) != len(qs):
        sc.fail(f"greedy: {len(lines)} lines for {len(qs)} questions")
    for q, l in zip(qs, lines):
        gen = sc.run_cli(["generate", "--model", g2, "--prompt", q, "--greedy", "--max-new-tokens", "16"])
        ids = json.loads(sc.run_cli(["generate", "--model", g2, "--prompt", q, "--greedy",
                                     "--max-new-tokens", "16", "--ids"]).stdout)
        if gen.stdout[:-1] != l["text"] or len(ids) != l["tokens"] or l["sample"] != -1:
            sc.fail(f"greedy '{q}': sample gave {l['text']!r} ({l['tokens']} tokens), generate "
                    f"{gen.stdout[:-1]!r} ({len(ids)} tokens)")
    print(f"greedy: {len(qs)} answers equal generate --greedy")


def byte_decode(ids):
    return bytes(t for t in ids if t < 256).decode("utf-8", errors="replace")


def check_format(g2, d, ref_rows):
    data = os.path.join(d, "fmt.jsonl")
    items = [{"id": "a1", "question": "Hello", "answer": "Hi there"},
             {"id": 7, "question": "xyz", "answer": "zyx", "paraphrased_answer": "p"},
             {"question": "Who?", "answer": "Me"}]
    with open(data, "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    out = os.path.join(d, "fmt.jsonl.out")
    sc.run_cli(["sample", "--model", g2, "--data", data, "--template", "Q: {q}\nA:", "-n", "4",
                "--greedy-too", "--max-new-tokens", "10", "--seed", "5", "--verbose",
                "--temperature", "0.8", "-o", out, "--quiet"])
    lines = [json.loads(l) for l in open(out, encoding="utf-8")]
    if len(lines) != 15:
        sc.fail(f"format: {len(lines)} lines, want 15")
    want_keys = ["id", "sample", "prompt", "question", "text", "reference", "tokens", "finish", "temperatures"]
    for i, l in enumerate(lines):
        it = items[i // 5]
        if list(l.keys()) != want_keys:
            sc.fail(f"format: line {i + 1} keys {list(l.keys())}")
        if l["id"] != str(it.get("id", 2)) or l["sample"] != i % 5 - 1:
            sc.fail(f"format: line {i + 1} id/sample {l['id']}/{l['sample']}")
        if (l["prompt"] != "Q: " + it["question"] + "\nA:" or l["question"] != it["question"]
                or l["reference"] != it["answer"]):
            sc.fail(f"format: line {i + 1} prompt/question/reference")
        if l["finish"] not in ("eos", "length", "stop") or not 0 <= l["tokens"] <= 10:
            sc.fail(f"format: line {i + 1} finish/tokens")
        if l["finish"] == "length" and l["tokens"] != 10:
            sc.fail(f"format: line {i + 1} finished by length after {l['tokens']} tokens")
        temps = l["temperatures"]
        want_t = [0.0] * l["tokens"] if l["sample"] == -1 else [0.8] * l["tokens"]
        if len(temps) != l["tokens"] or not np.allclose(temps, want_t, atol=1e-6):
            sc.fail(f"format: line {i + 1} temperatures {temps}")
    # CSV keywords (Harry Potter layout) and EOS/stop finishes on the bias model.
    bias = np.full(260, -30.0, dtype=np.float32)
    bias[ord("a")], bias[ord("b")], bias[sc.EOS] = 1.0, 1.0, -1.5
    bm = os.path.join(d, "bias_eos")
    sc.bias_model(bm, [float(x) for x in bias])
    csv = os.path.join(d, "hp.csv")
    with open(csv, "w") as f:
        f.write('Question,Key Words\n"Who is Harry?","wizard, boy"\nWhere?,Hogwarts\n')
    out2 = os.path.join(d, "hp.out")
    sc.run_cli(["sample", "--model", bm, "--data", csv, "-n", "40", "--max-new-tokens", "12",
                "--stop", "bbb", "--seed", "3", "-o", out2, "--quiet"])
    lines = [json.loads(l) for l in open(out2, encoding="utf-8")]
    seen = set()
    for l in lines:
        if list(l.keys()) != ["id", "sample", "prompt", "question", "text", "keywords", "tokens", "finish"]:
            sc.fail(f"csv format: keys {list(l.keys())}")
        if l["keywords"] != (["wizard", "boy"] if l["id"] == "0" else ["Hogwarts"]):
            sc.fail(f"csv format: keywords {l['keywords']}")
        seen.add(l["finish"])
        if l["finish"] == "stop" and l["text"].find("bbb") != len(l["text"]) - 3:
            sc.fail(f"stop: text {l['text']!r} should end at the first 'bbb'")
        if l["finish"] == "eos" and not set(l["text"]) <= {"a", "b"}:
            sc.fail(f"eos: text {l['text']!r} (EOS must be skipped in the text)")
    if seen != {"eos", "stop", "length"}:
        sc.fail(f"finish reasons seen: {seen}, want eos, stop and length")
    # text = decode(tokens) on the byte tokenizer: checked through the driver's ids.
    rows, _ = sc.run_driver(bm, {"prompts": [list(b"Hi")], "keys": ["0"], "n": 40, "max_new": 12,
                                 "eos": [sc.EOS], "seed": 3, "stop": ["bbb"]}, "fmt_ids")
    for _, s, fin, toks in rows:
        if fin == "eos" and toks[-1] != sc.EOS:
            sc.fail("eos finish without EOS as the last token")
        if fin == "stop" and not byte_decode(toks).endswith("bbb"):
            sc.fail("stop finish without the stop string")
    print("format: fields, order, ids, prompts, references, keywords, finish reasons, temperatures")


def check_resume(g2, d):
    data = os.path.join(d, "resume.jsonl")
    with open(data, "w") as f:
        for i in range(6):
            f.write(json.dumps({"id": f"r{i}", "question": "q" * (i + 1), "answer": "x"}) + "\n")
    args = ["sample", "--model", g2, "--data", data, "-n", "5", "--greedy-too",
            "--max-new-tokens", "8", "--seed", "77", "--quiet"]
    full = os.path.join(d, "resume_full.jsonl")
    sc.run_cli(args + ["-o", full])
    ref = open(full, "rb").read()
    lines = ref.split(b"\n")
    for cut_lines, extra in [(14, b'{"id": "r2", "sam'), (0, b""), (18, b""), (36, b"")]:
        part = os.path.join(d, f"resume_{cut_lines}.jsonl")
        with open(part, "wb") as f:
            f.write(b"\n".join(lines[:cut_lines]) + (b"\n" if cut_lines else b"") + extra)
        if cut_lines:  # an empty file needs no settings file: --resume writes it
            shutil.copy(full + ".settings.json", part + ".settings.json")
        sc.run_cli(args + ["--resume", "-o", part])
        if open(part, "rb").read() != ref:
            sc.fail(f"resume after {cut_lines} lines (+{len(extra)} bytes) differs from a full run")
    bad = sc.run_cli(args[:6] + ["7"] + args[7:] + ["--resume", "-o", full], check=False)
    if bad.returncode != 2 or "setting 'n' differs" not in bad.stderr:
        sc.fail(f"resume with another -n: exit {bad.returncode}, {bad.stderr!r}")
    # A file made with more samples per group (under a settings file that says otherwise): the
    # scan stops inside the first group's second half and names that group's id (it was
    # printed from freed memory: garbage in release, heap-use-after-free under ASan).
    more = os.path.join(d, "resume_more.jsonl")
    sc.run_cli(args[:6] + ["9"] + args[7:] + ["-o", more])
    shutil.copy(full + ".settings.json", more + ".settings.json")
    bad = sc.run_cli(args + ["--resume", "-o", more], check=False)
    if bad.returncode != 2 or "expected sample -1 of id 'r0'" not in bad.stderr:
        sc.fail(f"resume of a file with more samples: exit {bad.returncode}, {bad.stderr!r}")
    print("resume: cut inside a group / a line / at a boundary / complete: identical files")


def check_resume_settings(g2, d):
    """FILE.settings.json records what made FILE (hashes checked with hashlib); --resume with
    any other setting exits 2 naming it and both values, and leaves FILE untouched."""
    data = os.path.join(d, "settings.jsonl")
    with open(data, "w") as f:
        for i in range(4):
            f.write(json.dumps({"id": f"s{i}", "question": "q" * (i + 2), "answer": "x"}) + "\n")
    base = {"-n": "3", "--max-new-tokens": "6", "--seed": "77", "--temperature": "0.9",
            "--top-k": "20", "--top-p": "0.8", "--min-p": "0.05", "--template": "phi"}

    def argv(model=g2, data_path=data, **over):
        flags = dict(base, **{k.replace("_", "-"): v for k, v in over.items()})
        out = ["sample", "--model", model, "--data", data_path, "--greedy-too", "--quiet"]
        for k, v in flags.items():
            if v is not None:
                out += [k, v]
        return out

    out = os.path.join(d, "settings_out.jsonl")
    sc.run_cli(argv() + ["-o", out])
    side = json.load(open(out + ".settings.json"))
    want = {"model_sha256": sc.model_sha256(g2),
            "data_sha256": hashlib.sha256(open(data, "rb").read()).hexdigest(),
            "template": "phi", "n": 3, "greedy_too": True, "seed": 77, "temperature": 0.9,
            "top_k": 20, "top_p": 0.8, "min_p": 0.05, "adaptive": False, "max_new_tokens": 6,
            "stop": []}
    for k, v in want.items():
        if side.get(k) != v:
            sc.fail(f"settings file: {k} = {side.get(k)!r}, want {v!r}")
    # Cut the file inside the second group, as a kill would.
    ref = open(out, "rb").read()
    cut = b"\n".join(ref.split(b"\n")[:6]) + b"\n"
    # Another model file (same shapes, other weights) and other data of the same length.
    g2b = os.path.join(d, "gpt2_other")
    sc.gpt2_model(g2b, seed=4)
    data_b = os.path.join(d, "settings_b.jsonl")
    with open(data_b, "w") as f:
        f.write(open(data).read().replace('"x"', '"y"'))
    cases = [("seed", argv(__seed="78"), "77", "78"),
             ("temperature", argv(__temperature="0.7"), "0.9", "0.7"),
             ("top_k", argv(__top_k="21"), "20", "21"),
             ("top_p", argv(__top_p="0.95"), "0.8", "0.95"),
             ("min_p", argv(__min_p=None), "0.05", "0"),
             ("max_new_tokens", argv(__max_new_tokens="7"), "6", "7"),
             ("template", argv(__template="raw"), '"phi"', '"raw"'),
             ("adaptive", argv() + ["--adaptive-temperature"], "false", "true"),
             ("model_sha256", argv(model=g2b), f'"{want["model_sha256"]}"', '"'),
             ("data_sha256", argv(data_path=data_b), f'"{want["data_sha256"]}"', '"')]
    for key, cmd, was, now in cases:
        with open(out, "wb") as f:
            f.write(cut)
        p = sc.run_cli(cmd + ["--resume", "-o", out], check=False)
        if (p.returncode != 2 or f"setting '{key}' differs" not in p.stderr or
                f"made with {was}," not in p.stderr or f"this run has {now}" not in p.stderr):
            sc.fail(f"resume with another {key}: exit {p.returncode}, {p.stderr!r}")
        if open(out, "rb").read() != cut:
            sc.fail(f"a refused resume ({key}) changed the file")
    # The same settings resume to the uninterrupted file.
    sc.run_cli(argv() + ["--resume", "-o", out])
    if open(out, "rb").read() != ref:
        sc.fail("resume with the same settings differs from the uninterrupted run")
    # No settings file beside a non-empty FILE: refused, FILE untouched.
    os.remove(out + ".settings.json")
    p = sc.run_cli(argv() + ["--resume", "-o", out], check=False)
    if p.returncode != 2 or "settings.json is missing" not in p.stderr or open(out, "rb").read() != ref:
        sc.fail(f"resume without a settings file: exit {p.returncode}, {p.stderr!r}")
    print(f"resume settings: hashes = hashlib; {len(cases)} changed settings refused by name")


def check_first_token_endings(g2, d):
    """Groups whose every answer ends at its first token never enter the decode batch; the
    scheduler once admitted such prompts up to its in-flight (or block) limit, handed them back
    afterwards, and then stopped with "the KV cache cannot hold the next prompt" (the README's
    full demo: an unlearned model whose EOS has probability > top-p on retain questions)."""
    data = os.path.join(d, "first.jsonl")
    with open(data, "w") as f:
        for i in range(9):
            f.write(json.dumps({"id": f"f{i}", "question": "w" * (3 + 7 * i), "answer": "x"}) + "\n")
    eos_model = os.path.join(d, "eos_first")
    bias = [0.0] * (sc.EOS + 1)
    bias[sc.EOS] = 10.0  # p(EOS) = e^10 / (e^10 + 256) > 0.98: top-p 0.9 keeps EOS alone
    sc.bias_model(eos_model, bias)
    cfg_path = os.path.join(eos_model, "config.json")
    cfg = json.load(open(cfg_path))
    cfg["bos_token_id"] = cfg["eos_token_id"] = sc.EOS  # the last id of this vocabulary
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    cases = [
        ("eos", eos_model, ["-n", "12", "--greedy-too", "--top-p", "0.9", "--top-k", "0",
                            "--max-new-tokens", "56"], [1, 4, 13, 64]),
        ("limit1", g2, ["-n", "1", "--max-new-tokens", "1"], [1, 2, 3, 64]),
        ("limit1_kv", g2, ["-n", "3", "--greedy-too", "--max-new-tokens", "1", "--kv-budget", "40K"],
         [1, 2, 64]),
    ]
    for tag, model, flags, batches in cases:
        ref = None
        for b in batches:
            out = os.path.join(d, f"first_{tag}_{b}.jsonl")
            p = sc.run_cli(["sample", "--model", model, "--data", data, "--seed", "0", "--quiet",
                            "--batch", str(b), "-o", out] + flags, check=False)
            if p.returncode != 0:
                sc.fail(f"answers ending at the first token ({tag}, --batch {b}): exit "
                        f"{p.returncode}, {p.stderr!r}")
            rows = [json.loads(x) for x in open(out)]
            n_res = int(flags[1]) + ("--greedy-too" in flags)
            if [r["id"] for r in rows] != [f"f{i}" for i in range(9) for _ in range(n_res)]:
                sc.fail(f"answers ending at the first token ({tag}, --batch {b}): groups missing "
                        "or out of order")
            if any(r["tokens"] != 1 for r in rows):
                sc.fail(f"answers ending at the first token ({tag}): an answer has more tokens")
            if tag == "eos" and any(r["finish"] != "eos" for r in rows):
                sc.fail("answers ending at the first token: EOS model gave another finish")
            text = open(out, "rb").read()
            if ref is not None and text != ref:
                sc.fail(f"answers ending at the first token ({tag}): --batch {b} differs")
            ref = text
    print("first-token endings: every group handed back, in order, for every batch size")


def check_progress(g2, d):
    data = os.path.join(d, "progress.jsonl")
    with open(data, "w") as f:
        f.write(json.dumps({"id": "p", "question": "Hi", "answer": "x"}) + "\n")
    p = sc.run_cli(["sample", "--model", g2, "--data", data, "-n", "3", "--max-new-tokens", "4",
                    "-o", os.path.join(d, "progress.out")])
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    for needle in ("prompts 1/1", "samples/s", "tokens/s", "elapsed"):
        if needle not in last:
            sc.fail(f"progress: last stderr line {last!r} lacks {needle!r}")
    print("progress: " + last)


def check_errors(g2, d):
    data = os.path.join(d, "ok.jsonl")
    with open(data, "w") as f:
        f.write(json.dumps({"id": "long", "question": "w" * 200, "answer": "a"}) + "\n")
    cases = [
        (["--model", os.path.join(d, "nope"), "--data", data, "-n", "1"], "nope"),
        (["--model", g2, "--data", os.path.join(d, "bad.jsonl"), "-n", "1"], "bad.jsonl:2"),
        (["--model", g2, "--data", data, "-n", "1"], "'long'"),
        (["--model", g2, "--data", os.path.join(d, "dup.jsonl"), "-n", "1"], "'d'"),
        (["--model", g2, "--data", os.path.join(d, "short.jsonl"), "-n", "1", "--kv-budget", "1K"],
         "kv-budget"),
        (["--model", g2, "--data", os.path.join(d, "short.jsonl"), "-n", "1", "--kv-budget", "1"],
         "KiB of KV cache for its"),
        (["--model", g2, "--data", os.path.join(d, "short.jsonl"), "-n", "1", "--kv-budget", "1"],
         "more than the budget of 1 B (--kv-budget must be at least "),
        (["--model", g2, "--data", data, "-n", "x"], "-n"),
        (["--model", g2, "--data", data, "-n", "1", "--top-p", "0"], "--top-p"),
        (["--model", g2, "--data", data], "-n N is required"),
    ]
    with open(os.path.join(d, "bad.jsonl"), "w") as f:
        f.write('{"question": "a", "answer": "b"}\n{"question": oops}\n')
    with open(os.path.join(d, "dup.jsonl"), "w") as f:
        f.write('{"id": "d", "question": "a", "answer": "b"}\n{"id": "d", "question": "c", "answer": "b"}\n')
    with open(os.path.join(d, "short.jsonl"), "w") as f:
        f.write('{"id": "s", "question": "abc", "answer": "b"}\n')
    for args, needle in cases:
        out = os.path.join(d, "err.out")
        p = sc.run_cli(["sample"] + args + ["-o", out, "--quiet"], check=False)
        if p.returncode != 2 or needle not in p.stderr or "leakbound sample:" not in p.stderr:
            sc.fail(f"error case {args}: exit {p.returncode}, stderr {p.stderr!r} (want 2 and {needle!r})")
    h = sc.run_cli(["sample", "--help"])
    if "--resume" not in h.stdout or "--adaptive-temperature" not in h.stdout:
        sc.fail("sample --help is incomplete")
    print(f"errors: {len(cases)} bad invocations exit 2 with a message naming the culprit")


def main():
    d = sc.work_dir("sample_cli")
    g2 = os.path.join(d, "gpt2")
    sc.gpt2_model(g2, seed=3)
    check_philox()
    ref_rows = check_determinism(g2)
    check_greedy_vs_generate(g2, d)
    check_format(g2, d, ref_rows)
    check_resume(g2, d)
    check_resume_settings(g2, d)
    check_first_token_endings(g2, d)
    check_progress(g2, d)
    check_errors(g2, d)
    print("OK")


if __name__ == "__main__":
    main()
