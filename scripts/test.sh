#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up, build with warnings as errors, run every
# unit and oracle test; then the same suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
#   LB_SKIP_SANITIZE=1  skip the sanitizer pass (quicker local runs)
#   LB_SKIP_FUZZ=1      skip the short fuzzing pass at the end
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

LB_BUILD_DIR=build LB_CMAKE_ARGS="-DLB_WERROR=ON" scripts/setup.sh
ctest --test-dir build --output-on-failure -j 2

if [ "${LB_SKIP_SANITIZE:-0}" != 1 ]; then
  LB_BUILD_DIR=build-asan LB_BUILD_TYPE=Debug \
    LB_CMAKE_ARGS="-DLB_WERROR=ON -DLB_SANITIZE=ON -DCMAKE_C_FLAGS=-O1" scripts/setup.sh
  # LB_SANITIZED lets the heaviest oracle tests use smaller inputs under the slow sanitizers.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 LB_SANITIZED=1 \
    ctest --test-dir build-asan --output-on-failure -j 2
fi

# Then every libFuzzer target (tests/fuzz, built by clang) for 20 s with its seed corpus and
# regression inputs; any crash, sanitizer report, leak or timeout fails (docs/fuzzing.md).
if [ "${LB_SKIP_FUZZ:-0}" != 1 ]; then
  scripts/fuzz.sh 20
fi
