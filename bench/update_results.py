#!/usr/bin/python3
"""Replace one topic's section of bench/RESULTS.md with the contents of a markdown file.

usage: /usr/bin/python3 bench/update_results.py TOPIC FILE.md
Sections are delimited by <!-- BEGIN TOPIC --> / <!-- END TOPIC -->; other sections are kept,
and the file is rewritten atomically (temporary file + rename). BENCH_RESULTS=PATH writes PATH
instead of bench/RESULTS.md (bench/run_all_quiet_busy.sh --smoke checks itself on a copy).
"""
import os
import sys

HEADER = ("# Benchmark results\n\n"
          "Each section is written by its benchmark script (named in the section) on this project's\n"
          "development machine (2 cores, 24 GiB). Ratios compare leakbound with its peer in the same run.\n\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    topic, src = sys.argv[1], sys.argv[2]
    path = os.environ.get("BENCH_RESULTS") or \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    body = open(src, encoding="utf-8").read().rstrip("\n") + "\n"
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else HEADER
    begin, end = f"<!-- BEGIN {topic} -->", f"<!-- END {topic} -->"
    block = f"{begin}\n{body}{end}\n"
    if begin in text and end in text:
        i, j = text.index(begin), text.index(end) + len(end)
        text = text[:i] + block.rstrip("\n") + text[j:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
