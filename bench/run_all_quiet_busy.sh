#!/usr/bin/env bash
# The benchmarks to rerun on a quiet machine, each twice: quiet, then beside one busy competing
# process (`yes > /dev/null`, one core kept busy for the whole measurement). Run it when nothing
# else runs on the machine (not during other engineers' builds and tests), from the repository
# root, on a Release build:
#
#   bench/run_all_quiet_busy.sh [--build build] [--threads 2] [--smoke] [--only train|sampler|tofu]
#
#   train    bench/train/run.py: one training step (forward + backward + AdamW) vs PyTorch,
#            GPT-2-124M and Llama-125M shapes. Sections `train` (quiet) and `train-busy`.
#            The rule: leakbound's step / PyTorch's step may be at most 15% worse than the
#            previous quiet figure in bench/RESULTS.md (checked here; exit 1 when broken).
#   sampler  bench/sampler/peers.py at n = 128 and 1,024 vs the KV-cached PyTorch sampler.
#            Sections `sampler-peers-quiet` and `sampler-peers-busy` (peers.py --busy starts
#            the competing process itself).
#   tofu     bench/tofu/run.py: `leakbound tofu` teacher forcing vs batched PyTorch, 40 items
#            per split. Sections `tofu` (quiet) and `tofu-busy`.
#
# --only runs one of the three (the others' sections are kept). Each section is replaced through bench/update_results.py and names this command. --smoke
# runs every benchmark at its smallest setting (one round, tiny batches) and writes into a
# copy of bench/RESULTS.md in a temporary folder instead (to check that the script works; its
# figures mean nothing). The GPT-2-124M and Llama-125M checkpoints are written into bench/work/
# when absent (about 1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
THREADS=2
SMOKE=0
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --only) ONLY=$2; shift 2
            case "$ONLY" in train|sampler|tofu) ;; *) echo "bench/run_all_quiet_busy.sh: --only $ONLY: train, sampler or tofu" >&2; exit 2 ;; esac ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench/run_all_quiet_busy.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$BUILD/leakbound" ] || { echo "bench/run_all_quiet_busy.sh: no $BUILD/leakbound; build first" >&2; exit 2; }
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/lb_bench_all.XXXXXX)
BUSY_PID=""
cleanup() { if [ -n "$BUSY_PID" ]; then kill "$BUSY_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

if [ "$SMOKE" = 1 ]; then
  export BENCH_RESULTS=$TMP/RESULTS.md
  cp bench/RESULTS.md "$BENCH_RESULTS"
  TRAIN_ARGS=(--rounds 1 --batch 1 --seq 8 --steps 1)
  PEERS_ARGS=(--n 4,8 --new 4 --prompt 8 --rounds 1)
  TOFU_ARGS=(2 "$THREADS" 1)
  TAG=" --smoke"
else
  TRAIN_ARGS=(--rounds 2 --batch 4 --seq 64 --steps 3)
  PEERS_ARGS=(--n 128,1024 --new 64 --prompt 32 --rounds 2)
  TOFU_ARGS=(40 "$THREADS" 2)
  TAG=""
fi
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
CMD="bench/run_all_quiet_busy.sh --build $BUILD --threads $THREADS$TAG${ONLY:+ --only $ONLY}"
echo "bench: writing into $RESULTS" >&2

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
busy_on() { yes > /dev/null & BUSY_PID=$!; }
busy_off() { kill "$BUSY_PID"; wait "$BUSY_PID" 2>/dev/null || true; BUSY_PID=""; }

# section TOPIC CONDITION FILE: replace TOPIC's section with FILE headed by how it was run.
section() {
  local topic=$1 cond=$2 body=$3
  { echo "Run by \`$CMD\` ($cond; $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD))."
    echo
    cat "$body"; } > "$TMP/$topic.md"
  $PY bench/update_results.py "$topic" "$TMP/$topic.md"
}

# ours/PyTorch per model of a `train` section (stdin): "model<TAB>ratio" lines.
train_ratios() {
  $PY -c '
import re, sys
t = sys.stdin.read()
t = t[t.find("<!-- BEGIN train -->"):t.find("<!-- END train -->")] if "<!-- BEGIN train -->" in t else t
for m in re.finditer(r"^\| ([^|]+?) \| [0-9.]+ M \| ([0-9.]+) \| ([0-9.]+) \|", t, re.M):
    print(f"{m.group(1)}\t{float(m.group(2)) / float(m.group(3)):.4f}")'
}

RULE_OK=1
if want train; then
# --- train
train_ratios < "$RESULTS" > "$TMP/train_before.tsv"
$PY bench/train/run.py --build "$BUILD" --threads "$THREADS" "${TRAIN_ARGS[@]}" --no-update > "$TMP/train_quiet.out"
train_ratios < "$TMP/train_quiet.out" > "$TMP/train_after.tsv"
{
  cat "$TMP/train_quiet.out"
  echo
  echo "Against the previous figure (ours / PyTorch step time, lower is better; the rule: at most 15% worse):"
  echo
  while IFS=$'\t' read -r model after; do
    before=$(awk -F'\t' -v m="$model" '$1 == m {print $2}' "$TMP/train_before.tsv")
    if [ -z "$before" ]; then echo "- $model: $after (no previous figure)"; continue; fi
    verdict=$($PY -c "import sys; b, a = float(sys.argv[1]), float(sys.argv[2]); print(f'{b:.2f}x -> {a:.2f}x ({100 * (a / b - 1):+.0f}%): ' + ('within the rule' if a <= 1.15 * b else 'WORSE than the rule allows'))" "$before" "$after")
    echo "- $model: $verdict"
    case "$verdict" in *WORSE*) RULE_OK=0 ;; esac
  done < "$TMP/train_after.tsv"
} > "$TMP/train_quiet.md"
section train "quiet: no competing process" "$TMP/train_quiet.md"
busy_on
$PY bench/train/run.py --build "$BUILD" --threads "$THREADS" "${TRAIN_ARGS[@]}" --no-update > "$TMP/train_busy.md"
busy_off
section train-busy "beside one busy process, \`yes > /dev/null\`" "$TMP/train_busy.md"

fi

if want sampler; then
# --- sampler peers (peers.py --busy runs the competing process itself)
MODEL=bench/work/gpt2-124m   # the checkpoint bench/train/run.py uses, written when absent
[ -f "$MODEL/model.safetensors" ] || $PY bench/model/make_gpt2.py "$MODEL"
for cond in quiet busy; do
  flag=(); [ "$cond" = busy ] && flag=(--busy)
  $PY bench/sampler/peers.py --model "$MODEL" --build "$BUILD" --threads "$THREADS" \
      "${PEERS_ARGS[@]}" "${flag[@]}" --no-update > "$TMP/peers_$cond.md"
  section "sampler-peers-$cond" "$cond" "$TMP/peers_$cond.md"
done
fi

if want tofu; then
# --- tofu (its JSON lines per measurement are left out of the section; the method, the
# data and why the PyTorch peer is competent: bench/tofu/run.py's docstring)
tofu_run() {
  { echo "## TOFU metrics: \`leakbound tofu\` teacher forcing vs batched PyTorch, GPT-2-124M shape, fp32 (\`bench/tofu/\`)"
    echo
    echo "Command: \`/usr/bin/python3 bench/tofu/run.py $BUILD ${TOFU_ARGS[*]}\` (N items per split, threads,"
    echo "rounds; the method, the data and the PyTorch peer: the script's docstring). leakbound's rate"
    echo "has its load time taken out: 2(N-1)/(t_N - t_1)."
    $PY bench/tofu/run.py "$BUILD" "${TOFU_ARGS[@]}" | grep -v '^{'; } > "$1"
}
tofu_run "$TMP/tofu_quiet.md"
section tofu "quiet: no competing process" "$TMP/tofu_quiet.md"
busy_on
tofu_run "$TMP/tofu_busy.md"
busy_off
section tofu-busy "beside one busy process, \`yes > /dev/null\`" "$TMP/tofu_busy.md"
fi

echo "bench: done${ONLY:+ ($ONLY only)}; sections replaced in $RESULTS" >&2
if [ "$RULE_OK" != 1 ] && [ "$SMOKE" != 1 ]; then
  echo "bench: training is more than 15% worse than the previous figure (see the train section)" >&2
  exit 1
fi
