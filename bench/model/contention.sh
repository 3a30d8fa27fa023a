#!/bin/bash
# Eval of the bundled default beside one busy competing process, each setting REPS
# times, interleaved:
#   default  leakbound's defaults: threads = the free cores at start, passive OpenMP wait
#   t1       --threads 1
#   all      OMP_NUM_THREADS=<all cores> (the previous default: every core, passive wait)
#   spin     OMP_NUM_THREADS=<all cores> GOMP_SPINCOUNT=300000 (the first default: libgomp's
#            spinning wait, which also turns off leakbound's passive default)
# Then the same settings on the idle machine (IDLE_REPS, default REPS), without a competitor.
# usage: bench/model/contention.sh BUILD_DIR [REPS] [IDLE_REPS]
LB=${1:?build dir}/leakbound; REPS=${2:-5}; IDLE=${3:-$REPS}; OUT=$(mktemp -d)
ALL=$(nproc)
run() { # condition rep mode
  case $3 in
    default) cmd=("$LB" eval --out "$OUT/e");;
    t1) cmd=("$LB" eval --threads 1 --out "$OUT/e");;
    all) cmd=(env OMP_NUM_THREADS="$ALL" "$LB" eval --out "$OUT/e");;
    spin) cmd=(env OMP_NUM_THREADS="$ALL" GOMP_SPINCOUNT=300000 "$LB" eval --out "$OUT/e");;
  esac
  s=$(date +%s.%N); "${cmd[@]}" >/dev/null 2>&1 || echo "$3 failed"; e=$(date +%s.%N)
  printf '%s %s %s %.2f\n' "$1" "$2" "$3" "$(echo "$e - $s" | bc)"
}
yes > /dev/null & YES=$!
trap 'kill $YES 2>/dev/null; rm -rf $OUT' EXIT
uptime
for i in $(seq "$REPS"); do for m in default t1 all spin; do run busy "$i" "$m"; done; done
kill $YES; wait $YES 2>/dev/null
uptime
for i in $(seq "$IDLE"); do for m in default t1 all; do run idle "$i" "$m"; done; done
uptime
