#!/usr/bin/python3
"""Tokenizer encode throughput: leakbound's C tokenizer vs Hugging Face tokenizers (the
@anush008/tokenizers Node binding, the tests' oracle) on the same corpus in the same run.

usage: /usr/bin/python3 bench/tokenizer/run.py [BUILD_DIR]   (default: build)
Corpus: the whole KJV (≈4.4 MB, one verse a line, Debian bible-kjv). Every line is encoded
separately with add_special_tokens=False; both sides report the same token count (checked).
ours: best of 3 passes in one process (driver_tokenizer bench), warm BPE cache after pass 1.
HF: best of 2 passes of `await tok.encode(line)` one line at a time, and of
`encodeBatch(all lines)` (which may use several threads). Writes the `tokenizer` section of
bench/RESULTS.md."""
import json
import os
import platform
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracle"))
os.environ.setdefault("LB_SOURCE_DIR", ROOT)
os.environ.setdefault("LB_WORK", os.path.join(ROOT, "bench", "work"))
import tokenizer_common as tc  # noqa: E402


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    driver = os.path.join(build, "tests", "driver_tokenizer")
    tc.need_node()
    corpus = tc.kjv_text()
    toks = tc.real_tokenizers()
    rows = []
    for name in ("gpt2", "llama3"):
        ours = json.loads(subprocess.run([driver, "bench", toks[name], corpus, "3"], check=True,
                                         capture_output=True, text=True).stdout)
        hf = json.loads(subprocess.run(["node", os.path.join(ROOT, "tests", "oracle", "tokenizer_hf.js"), "bench",
                                        toks[name], corpus, "2"], check=True, capture_output=True, text=True).stdout)
        if ours["tokens"] != hf["tokens"]:
            sys.exit(f"{name}: token counts differ: ours {ours['tokens']}, HF {hf['tokens']}")
        mb = ours["bytes"] / 1e6
        rows.append((name, ours, hf, mb))
        print(f"{name}: ours {mb / ours['seconds']:.2f} MB/s, HF single {mb / hf['seconds']:.2f} MB/s, "
              f"HF batch {mb / hf['batch_seconds']:.2f} MB/s")
    cpu = "unknown CPU"
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    md = ["## Tokenizer encode throughput", "",
          f"Command: `/usr/bin/python3 bench/tokenizer/run.py` on {os.cpu_count()} cores ({cpu}, "
          f"{platform.system()}). Corpus: KJV, {rows[0][1]['bytes']} bytes, one verse a line, each line "
          "encoded separately, add_special_tokens=False; token counts equal on both sides. Peer: Hugging Face "
          "tokenizers 0.22 through its Node binding `@anush008/tokenizers` 0.6.0 (the tests' oracle).", "",
          "| tokenizer | tokens | ours MB/s | ours Mtok/s | HF single MB/s | HF batch MB/s | HF batch CPU s | ours / HF single | ours / HF batch | load ours / HF (s) |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for name, ours, hf, mb in rows:
        md.append(f"| {name} | {ours['tokens']} | {mb / ours['seconds']:.2f} | {ours['tokens'] / ours['seconds'] / 1e6:.2f} | "
                  f"{mb / hf['seconds']:.2f} | {mb / hf['batch_seconds']:.2f} | {hf['batch_cpu_seconds']:.2f} | {hf['seconds'] / ours['seconds']:.1f}× | "
                  f"{hf['batch_seconds'] / ours['seconds']:.1f}× | {ours['load_seconds']:.2f} / {hf['load_seconds']:.2f} |")
    md += ["", "Ours is single-threaded (best of 3 passes, BPE cache warm after the first); HF single is one "
           "`await encode()` per line (best of 2), HF batch one `encodeBatch` of all lines (best of 2). The Node "
           "binding's per-call overhead dominates its single-line numbers; its batch numbers are the fairer peer. "
           "HF batch CPU s is the CPU time of all the Node process's threads during the batch: when it is far below "
           "the batch wall time, the binding spends its time waiting rather than tokenizing, so the ratios measure "
           "this binding, not the Rust core on its own."]
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write("\n".join(md) + "\n")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "update_results.py"), "tokenizer", f.name], check=True)
    os.unlink(f.name)


if __name__ == "__main__":
    main()
