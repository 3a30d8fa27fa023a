#!/usr/bin/env bash
# Rebuild the bundled default under examples/default/: one small checkpoint made by
# the demo pipeline (`leakbound demo --quick`: generated authors, trained BPE tokenizer, tiny
# Llama fine-tuned until memorised, then unlearned on forget10 with GD) and its forget/retain
# data. Usage: scripts/make_default_model.sh [path/to/leakbound]   (default: build/leakbound)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${1:-$root/build/leakbound}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" demo --quick --seed 0 --out "$work/demo"
dest=$root/examples/default
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/model"
for f in config.json model.safetensors tokenizer.json; do
  cp "$work/demo/models/gd/$f" "$dest.tmp/model/$f"
done
cp "$work/demo/data/forget10.jsonl" "$dest.tmp/forget.jsonl"
head -n 20 "$work/demo/data/retain90.jsonl" > "$dest.tmp/retain.jsonl"
cp "$work/demo/demo.md" "$work/demo/demo_forget.svg" "$dest.tmp/"
cat > "$dest.tmp/README.md" <<TXT
# Bundled default checkpoint

Made by \`scripts/make_default_model.sh\` (\`leakbound demo --quick --seed 0\`, then the GD-unlearned
model): a Llama-family model of about 0.2 M parameters (L2-D64-H4-KV2-I192-T80) with a 768-token
byte-level BPE tokenizer, trained from scratch on a generated fictitious-author benchmark, then
unlearned on forget10 with gradient difference.

- model/: config.json, model.safetensors (F32), tokenizer.json
- forget.jsonl: the forget10 questions it was unlearned on; retain.jsonl: 20 retained questions
- demo.md: the report of the run that produced it

Evaluate it with, for example:

    leakbound eval --model examples/default/model --data examples/default/forget.jsonl \\
        --template phi -n 64 --metric rougeL-recall --top-p 0.9 --top-k 0 \\
        --max-new-tokens 56 --out eval-default
TXT
rm -rf "$dest"
mv "$dest.tmp" "$dest"
du -sh "$dest"
