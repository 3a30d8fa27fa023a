#!/bin/sh
# outputs-snapshot.sh BIN_DIR OUT_DIR — run a fixed set of leakbound commands on the bundled
# default with the program in BIN_DIR (its `leakbound` and libleakbound.so) and keep every
# output under OUT_DIR, for a before/after comparison of a refactoring:
#     scripts/outputs-snapshot.sh old-build /tmp/before
#     scripts/outputs-snapshot.sh build /tmp/after
#     diff -r /tmp/before /tmp/after    # only provenance lines naming the binary may differ
# Every command runs with a fixed seed, with --threads 1 and again with 2; the program is
# copied to OUT_DIR/../.snapshot-bin/leakbound first so that argv (recorded in provenance) is
# the same in both snapshots. MPI runs only where mpirun is installed.
set -u
BIN=$(cd "$1" && pwd); OUT=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
DEF=$SRC/examples/default
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
RUN=$(dirname "$OUT")/.snapshot-bin
rm -rf "$RUN"; mkdir -p "$RUN"
cp "$BIN/leakbound" "$RUN/leakbound"
cp -P "$BIN"/libleakbound.so* "$RUN/" 2>/dev/null || true
LB=$RUN/leakbound
cd "$OUT"
export LEAKBOUND_DEFAULT_DIR="$DEF"
for t in 1 2; do
  d=t$t; mkdir -p $d
  $LB eval --threads $t --seed 7 --out $d/eval >$d/eval.stdout 2>/dev/null || echo "failed: eval --threads $t --seed 7 --out $d/eval >$d/eval.stdout" >>$d/FAILED
  $LB sample --threads $t --model "$DEF/model" --data "$DEF/forget.jsonl" -n 6 --greedy-too \
      --seed 5 --max-new-tokens 24 -o $d/s.jsonl >/dev/null 2>&1 || echo "failed: sample" >>$d/FAILED
  $LB eval --threads $t --samples $d/s.jsonl --metric rougeL-recall --out $d/evs >$d/evs.stdout 2>$d/evs.stderr || echo "rc $?" >$d/evs.failed
  $LB score --threads $t --metric rougeL-recall $d/s.jsonl >$d/score.jsonl 2>/dev/null || echo "failed: score --threads $t $d/s.jsonl >$d/score.jsonl" >>$d/FAILED
  $LB score --threads $t --metric rouge1-f $d/s.jsonl >$d/score1.jsonl 2>/dev/null || echo "failed: score --threads $t --metric rouge1 $d/s.jsonl >$d/score1.jsonl" >>$d/FAILED
  $LB bound --threads $t $d/score.jsonl >$d/bound.json 2>/dev/null || echo "failed: bound --threads $t $d/score.jsonl >$d/bound.json" >>$d/FAILED
  $LB bound --threads $t --method conbo $d/score.jsonl >$d/bound_conbo.json 2>/dev/null || echo "failed: bound --threads $t --method conbo $d/score.jsonl >$d/bound_conbo.json" >>$d/FAILED
  $LB bound --threads $t --format table $d/score.jsonl >$d/bound.txt 2>/dev/null || true
  $LB plot $d/eval/report.json --scores $d/eval/samples.jsonl --out $d/plot >/dev/null 2>&1 || true
  $LB tofu --threads $t --model "$DEF/model" --forget "$DEF/forget.jsonl" --retain "$DEF/retain.jsonl" \
      --max-new-tokens 24 --out $d/tofu >/dev/null 2>&1 || echo "tofu failed ($t threads)" >$d/tofu.failed
done
if command -v mpirun >/dev/null 2>&1; then
  mpirun --allow-run-as-root --oversubscribe -np 2 $LB eval --threads 1 --seed 7 --out mpi_eval \
      >mpi_eval.stdout 2>/dev/null || echo failed >mpi_eval.failed
fi
# Timings are not outputs: drop the lines that carry them.
find . -name '*.json' -o -name '*.md' | while read f; do
  sed -i -E '/"(seconds|elapsed|wall|time_s|samples_per_s|tokens_per_s)"/d' "$f"; done
echo "snapshot in $OUT"
