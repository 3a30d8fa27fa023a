#!/bin/sh
# The sampler's own speed at two commits on one machine (an A/B, no peer), run alternately:
#   bench/sampler/ab_commits.sh OLD_TREE NEW_TREE
# Each TREE is a checkout with a Release build in TREE/build (e.g. `git worktree add /tmp/old
# COMMIT` and `cmake -S /tmp/old -B /tmp/old/build -DCMAKE_BUILD_TYPE=Release && cmake --build
# /tmp/old/build -j2 --target leakbound`). Each tree's bench/sampler/bench_sampler.c is built
# against its own libleakbound.a (its run.py's build()); n = 128 three rounds, n = 1,024 one,
# 64 new tokens after a 32-token prompt, 2 threads, on bench/work/gpt2-124m (written when
# absent). Prints one JSON line per run. Run it on a quiet machine.
set -eu
[ $# -eq 2 ] || { echo "usage: bench/sampler/ab_commits.sh OLD_TREE NEW_TREE" >&2; exit 2; }
cd "$(dirname "$0")/../.."
M=bench/work/gpt2-124m
[ -f "$M/model.safetensors" ] || /usr/bin/python3 bench/model/make_gpt2.py "$M"
TMP=$(mktemp -d /tmp/lb_ab.XXXXXX)
for v in old new; do
  tree=$1; [ "$v" = new ] && tree=$2
  mkdir -p "$TMP/$v"
  (cd "$tree" && /usr/bin/python3 -c "import sys; sys.path[:0] = ['bench', 'bench/sampler']; import run; run.build('build', '$TMP/$v')")
done
TOK=$(/usr/bin/python3 -c "import sys; sys.path[:0] = ['bench', 'bench/sampler']; import run; print(run.tokenizer_path())")
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive
for r in 1 2 3; do
  for v in old new; do
    echo "round $r n=128 $v $("$TMP/$v/bench_sampler" "$M" "$TOK" 128 64 128 32)"
  done
done
for v in old new; do
  echo "round 1 n=1024 $v $("$TMP/$v/bench_sampler" "$M" "$TOK" 1024 64 1024 32)"
done
rm -rf "$TMP"
