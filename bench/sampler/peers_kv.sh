#!/bin/bash
# leakbound's sampler vs the competent PyTorch peer (torch_sampler_kv.py) and the HF-generate-
# style peer (torch_sampler.py), same run, interleaved, ROUNDS times: one PROMPT-token prompt,
# n samples x NEW tokens, T 1, top-k 50, 2 threads each, OMP_WAIT_POLICY=passive for all.
# usage: bench/sampler/peers_kv.sh BUILD MODEL_DIR TOKENIZER_JSON [N] [NEW] [PROMPT] [ROUNDS]
set -e
B=${1:?build}; M=${2:?model}; TOK=${3:?tokenizer}; N=${4:-128}; NEW=${5:-64}; PL=${6:-32}; R=${7:-2}
HERE=$(cd "$(dirname "$0")" && pwd); OUT=$(mktemp -d); trap 'rm -rf $OUT' EXIT
cc -O3 -march=native -fopenmp -I"$HERE/../../include" -o "$OUT/bs" "$HERE/bench_sampler.c" \
   "$B/libleakbound.a" $(pkg-config --libs openblas jansson libutf8proc libpcre2-8 gsl nettle) \
   -lcsv -lm
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive
for r in $(seq "$R"); do
  uptime
  echo "leakbound $("$OUT/bs" "$M" "$TOK" "$N" "$NEW" "$N" "$PL")"
  echo "torch_kv $(/usr/bin/python3 "$HERE/torch_sampler_kv.py" "$M" "$N" "$NEW" "$PL")"
  [ -n "$HF_PEER" ] && echo "torch_hf $(/usr/bin/python3 "$HERE/torch_sampler.py" "$M" "$N" "$NEW" "$PL")"
done
uptime
