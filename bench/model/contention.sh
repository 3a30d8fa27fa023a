#!/bin/bash
# Eval of the bundled default with one busy competing process (issue 12): the default thread
# setting (now a passive OpenMP wait), --threads 1, and the old default (libgomp's spinning wait,
# reproduced with GOMP_SPINCOUNT=300000, which also turns off leakbound's passive default).
# usage: bench/model/contention.sh BUILD_DIR [REPS]
LB=${1:?build dir}/leakbound; REPS=${2:-5}; OUT=$(mktemp -d)
yes > /dev/null & YES=$!
trap 'kill $YES; rm -rf $OUT' EXIT
uptime
for i in $(seq "$REPS"); do
  for mode in default t1 spin; do
    case $mode in
      default) cmd=("$LB" eval --out "$OUT/e");;
      t1) cmd=("$LB" eval --threads 1 --out "$OUT/e");;
      spin) cmd=(env GOMP_SPINCOUNT=300000 "$LB" eval --out "$OUT/e");;
    esac
    s=$(date +%s.%N); "${cmd[@]}" >/dev/null 2>&1 || echo "$mode failed"; e=$(date +%s.%N)
    printf '%s %s %.2f\n' "$i" "$mode" "$(echo "$e - $s" | bc)"
  done
done
uptime
