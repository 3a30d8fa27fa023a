#!/bin/bash
# leakbound vs llama.cpp on the same weights: peak RSS, tokens/s and CPU seconds of
#   decode1  one sequence, a 32-token prompt, 64 new tokens;
#   n64      64 samples of one 32-token prompt, 24 new tokens each (T = 1, top-k 50);
# for leakbound on the F32 and the BF16 safetensors file (bench_sampler, weights kept in the
# file as sample/eval load them, batch = n) and llama.cpp (node-llama-cpp's prebuilt CPU build,
# bench/sampler/llamacpp/sample.mjs) on GGUF BF16 (the BF16 file's bits) and GGUF F16 (rounded
# from the F32 file). Every configuration runs ROUNDS times, the order rotating each round, so
# that the other engineers' load falls on all of them alike; compare within a round.
# Peak RSS: GNU time's %M; CPU seconds: %U + %S (load of the model included; the tokens/s of
# both tools exclude loading).
# usage: bench/model/peer_llamacpp.sh BUILD F32_DIR BF16_DIR BF16.gguf F16.gguf TOKENIZER [ROUNDS]
#   (bench/sampler/llamacpp: `npm ci` first; THREADS=2 by default; SKIP="lcpp_bf16:n64 ..."
#   leaves those config:workload pairs out)
set -e
B=${1:?build}; F32=${2:?}; BF16=${3:?}; GB=${4:?}; GF=${5:?}; TOK=${6:?}; ROUNDS=${7:-2}
TH=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd); OUT=$(mktemp -d); trap 'rm -rf $OUT' EXIT
cc -O3 -march=native -fopenmp -I"$HERE/../../include" -o "$OUT/bs" "$HERE/../sampler/bench_sampler.c" \
   "$B/libleakbound.a" $(pkg-config --libs openblas jansson libutf8proc libpcre2-8 gsl nettle) -lcsv -lm
JS="$HERE/../sampler/llamacpp/sample.mjs"
run() {   # name workload n new cmd...
  local name=$1 wl=$2; shift 2
  local r
  r=$(OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$TH /usr/bin/time -f "%M %U %S %e" -o "$OUT/t" "$@" 2> "$OUT/err" | tail -1) \
      || { echo "FAILED $name $wl"; cat "$OUT/err"; return 0; }
  read -r kb us ss es < "$OUT/t"
  echo "$name $wl peak_rss_kb=$kb cpu_s=$(echo "$us + $ss" | bc) wall_s=$es load=$(cut -d' ' -f1 /proc/loadavg) $r"
}
echo "# $(date -u) $(nproc) cores, threads $TH; node baseline RSS: $(/usr/bin/time -f %M node -e '' 2>&1) KB"
for f in "$F32/model.safetensors" "$BF16/model.safetensors" "$GB" "$GF"; do echo "# $(stat -c %s "$f") $f"; done
configs=(lb_f32 lb_bf16 lcpp_bf16 lcpp_f16)
for ((k = 0; k < ROUNDS; k++)); do
  echo "# round $((k + 1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
  for ((j = 0; j < 4; j++)); do
    c=${configs[$(((j + k) % 4))]}
    for wl in decode1 n64; do
      case " $SKIP " in *" $c:$wl "*) echo "$c $wl skipped"; continue ;; esac
      if [ $wl = decode1 ]; then n=1; new=64; else n=64; new=24; fi
      case $c in
        lb_f32)  run $c $wl "$OUT/bs" "$F32" "$TOK" $n $new $n 32 keep ;;
        lb_bf16) run $c $wl "$OUT/bs" "$BF16" "$TOK" $n $new $n 32 keep ;;
        lcpp_bf16) run $c $wl node "$JS" bench "$GB" $n $new 32 $TH ;;
        lcpp_f16)  run $c $wl node "$JS" bench "$GF" $n $new 32 $TH ;;
      esac
    done
  done
done
