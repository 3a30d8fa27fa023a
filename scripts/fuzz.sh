#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/, clang with ASan + UBSan) and run each for SECONDS
# with its seed corpus; fail when any target reports a finding (crash, sanitizer report, leak,
# timeout, out-of-memory). docs/fuzzing.md describes the targets.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target (default 60); all targets by default
#   LB_FUZZ_BUILD_DIR   build folder (default: build-fuzz); the growing corpora are kept in
#                       <build>/fuzz/corpus/<target>, findings in <build>/fuzz/findings/<target>/
#   LB_FUZZ_SKIP_BUILD=1  use the targets already built (e.g. two runs side by side)
#   LB_FUZZ_ARGS        extra libFuzzer flags (e.g. "-jobs=2 -workers=2")
# Regression inputs in tests/fuzz/regressions/<target>/ are run first, every time.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-60}
shift || true
ALL=(safetensors config tokenizer_load tokenizer_encode dataset template readers eval_samples)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
BUILD=${LB_FUZZ_BUILD_DIR:-build-fuzz}

# The longest input per target (the same table as tests/fuzz/make_corpus.py).
max_len() {
  case "$1" in
    tokenizer_load) echo 32768 ;;
    config | tokenizer_encode) echo 2048 ;;
    safetensors | dataset | template | readers | eval_samples) echo 4096 ;;
    *) echo "fuzz: unknown target '$1' (${ALL[*]})" >&2; exit 2 ;;
  esac
}
for t in "${TARGETS[@]}"; do max_len "$t" >/dev/null; done

if [ "${LB_FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  command -v clang >/dev/null || { echo "fuzz: clang not found (scripts/packages.extra)" >&2; exit 2; }
  cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DLB_FUZZ=ON -DLB_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 >/dev/null
  cmake --build "$BUILD" --target lb_fuzz -j "$(nproc)" >/dev/null
  rm -rf "$BUILD/fuzz/seeds"
  /usr/bin/python3 tests/fuzz/make_corpus.py "$BUILD/fuzz/seeds" >/dev/null
fi

# Each target runs on one core: OpenMP (bound's reader, the model) with one thread.
export OMP_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
printf '%-17s %10s %8s %8s %14s %s\n' target runs cov ft corpus result
for t in "${TARGETS[@]}"; do
  out="$BUILD/fuzz"
  mkdir -p "$out/corpus/$t" "$out/findings/$t" "$out/logs"
  dict="$out/$t.dict"
  # JSON tokens for the JSON inputs, then the target's own words.
  case "$t" in template | tokenizer_encode) : >"$dict" ;; *) cat tests/fuzz/json.dict >"$dict" ;; esac
  cat "tests/fuzz/$t.dict" >>"$dict"
  dirs=("$out/corpus/$t" "$out/seeds/$t")
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  log="$out/logs/$t.log"
  rc=0
  # shellcheck disable=SC2086
  "$out/fuzz_$t" -max_total_time="$SECS" -max_len="$(max_len "$t")" -rss_limit_mb=2048 \
    -timeout=20 -print_final_stats=1 -dict="$dict" -artifact_prefix="$out/findings/$t/" \
    ${LB_FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1 || rc=$?
  runs=$(awk '/^stat::number_of_executed_units/ {s += $NF} END {print s + 0}' "$log")
  last=$(grep -E '(INITED|NEW|REDUCE|pulse|DONE).*cov:' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
  if [ "$rc" -eq 0 ]; then result=ok; else result="FINDING (exit $rc, log $log)"; failed+=("$t"); fi
  printf '%-17s %10s %8s %8s %14s %s\n' "$t" "$runs" "${cov:--}" "${ft:--}" "${corp:--}" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error|invariant broken|Test unit written|^ *#[0-5] 0x' "$log" | head -30 >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}; reproduce with $BUILD/fuzz/fuzz_<target> <file> (docs/fuzzing.md)" >&2
  exit 1
fi
