#!/bin/bash
# Peak RSS and tokens/s, F32 vs BF16 files of the same model, in one run:
#  (1) `leakbound sample -n 32 --max-new-tokens 24` on two questions (the CLI as users run it);
#  (2) bench_sampler (one 32-token prompt, n = 64 x 24 new tokens, batch 64; and one sequence,
#      n = 1 x 64 tokens) with the weights kept in the file (now) and widened to fp32 at load
#      (before: what sample/eval did, and what training still does).
# usage: bench/model/mem_dtype.sh BUILD F32_DIR BF16_DIR DATA.jsonl
set -e
B=${1:?build}; F32=${2:?}; BF16=${3:?}; DATA=${4:?}
HERE=$(cd "$(dirname "$0")" && pwd); OUT=$(mktemp -d); trap 'rm -rf $OUT' EXIT
cc -O3 -march=native -fopenmp -I"$HERE/../../include" -o "$OUT/bs" "$HERE/../sampler/bench_sampler.c" \
   "$B/libleakbound.a" $(pkg-config --libs openblas jansson libutf8proc libpcre2-8 gsl nettle) -lcsv -lm
uptime
for dir in "$F32" "$BF16"; do
  sz=$(stat -c %s "$dir/model.safetensors")
  /usr/bin/time -f "%M %e" -o "$OUT/t" "$B/leakbound" sample --model "$dir" --data "$DATA" --limit 2 \
      -n 32 --max-new-tokens 24 --out "$OUT/s.jsonl" 2> "$OUT/err" || { cat "$OUT/err"; exit 1; }
  tps=$(grep -o '[0-9.]* tokens/s' "$OUT/err" | tail -1)
  echo "cli $(basename $dir) file_bytes=$sz peak_rss_kb=$(cut -d' ' -f1 $OUT/t) wall_s=$(cut -d' ' -f2 $OUT/t) $tps"
  for mode in keep widen; do
    for cfg in "64 24 64" "1 64 1"; do
      set -- $cfg
      r=$(OMP_WAIT_POLICY=passive /usr/bin/time -f "%M" -o "$OUT/t" "$OUT/bs" "$dir" "$dir/tokenizer.json" $1 $2 $3 32 $mode)
      echo "bench $(basename $dir) $mode n=$1 new=$2 batch=$3 peak_rss_kb=$(cat $OUT/t) $r"
    done
  done
done
uptime
