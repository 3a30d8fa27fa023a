#!/usr/bin/env bash
# Install every Debian package that the build, the tests and the oracles need, then configure
# and build leakbound into build/ (or $LB_BUILD_DIR). Idempotent: packages already present are
# not reinstalled, and apt-get update runs only when something is missing.
#   LB_BUILD_DIR   build folder (default: build)
#   LB_CMAKE_ARGS  extra arguments for cmake (e.g. -DLB_SANITIZE=ON -DLB_WERROR=ON)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config        # compiler and build system
  libcmocka-dev                           # unit tests
  libgsl-dev                              # Beta quantiles (Clopper-Pearson)
  libjansson-dev                          # every JSON/JSONL read and write
  libutf8proc-dev                         # Unicode lowercase mapping for ROUGE
  libpcre2-dev                            # tokenizer pre-tokenizer regexes
  libopenblas-openmp-dev                  # bench/ only: OpenBLAS sgemm is the benchmarks' reference (the library does not link it)
  libyaml-dev                             # the reference's Hydra YAML configs (finetune/unlearn --config)
  libopenmpi-dev openmpi-bin              # MPI: `mpirun leakbound sample|eval` over ranks (src/cli/cli_mpi.c)
  python3 python3-numpy python3-scipy python3-statsmodels python3-nltk  # oracles
  wamerican                               # word list for the stemmer oracle
)
if [ -f scripts/packages.extra ]; then
  # Modules add their own packages here, one per line (comments allowed).
  # Comments and surrounding blanks removed: a name with a trailing blank is no package.
  mapfile -t extra < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' \
                       scripts/packages.extra)
  PACKAGES+=("${extra[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ -x scripts/setup-npm.sh ]; then scripts/setup-npm.sh; fi

BUILD_DIR=${LB_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${LB_BUILD_TYPE:-Release} ${LB_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
