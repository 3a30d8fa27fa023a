#!/bin/bash
# Build bench/model/gemm_inv.c against BUILD/libleakbound.a and run it (see gemm_inv.c).
# usage: bench/model/gemm_inv.sh BUILD [REPS] [DTYPE] [LEVEL]   (env: OMP_NUM_THREADS, GEMM_CPUTIME)
set -e
B=${1:?build dir}; shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d); trap 'rm -rf $OUT' EXIT
cc -O3 -march=native -fopenmp -I"$HERE/../../include" -o "$OUT/gemm_inv" "$HERE/gemm_inv.c" \
   "$B/libleakbound.a" $(pkg-config --libs openblas jansson libutf8proc libpcre2-8 gsl nettle) -lcsv -lm
uptime
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} "$OUT/gemm_inv" "$@"
uptime
