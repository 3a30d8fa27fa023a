// Hugging Face tokenizers (Rust, through the @anush008/tokenizers Node binding) as the oracle
// for the tokenizer module.
//
//   node tokenizer_hf.js check TOKENIZER.json IN.jsonl OUT.jsonl
//     IN: one JSON string per line. OUT: per line {"ids": encode(x, add_special_tokens=true),
//     "ids_plain": encode(x, false), "dec_skip": decode(ids, true), "dec_keep": decode(ids, false)}
//     or {"error": message}.
//   node tokenizer_hf.js vocab TOKENIZER.json N OUT.json
//     {"vocab_size": getVocabSize(true), "id_to_token": [idToToken(id) for ids 0..N-1],
//      "token_to_id": {token: tokenToId(token) for each token listed}}.
//   node tokenizer_hf.js bench TOKENIZER.json TEXT.txt REPEATS
//     Encodes every line (add_special_tokens=false) one call at a time, and again with
//     encodeBatch; prints {"bytes", "tokens", "seconds", "batch_seconds", "batch_cpu_seconds" (CPU
//     time of all the process's threads during the batch), "load_seconds"}.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, 'node_modules', '@anush008', 'tokenizers'));

async function check(tokPath, inPath, outPath) {
  const tok = Tokenizer.fromFile(tokPath);
  const lines = fs.readFileSync(inPath, 'utf8').split('\n').filter((l) => l.length > 0);
  const texts = lines.map((l) => JSON.parse(l));
  const out = [];
  const B = 512;
  for (let i = 0; i < texts.length; i += B) {
    const chunk = texts.slice(i, i + B);
    const withSp = await tok.encodeBatch(chunk, { addSpecialTokens: true });
    const plain = await tok.encodeBatch(chunk, { addSpecialTokens: false });
    const ids = withSp.map((e) => e.getIds());
    const skip = await tok.decodeBatch(ids, true);
    const keep = await tok.decodeBatch(ids, false);
    for (let k = 0; k < chunk.length; k++) {
      out.push(JSON.stringify({ ids: ids[k], ids_plain: plain[k].getIds(), dec_skip: skip[k], dec_keep: keep[k] }));
    }
  }
  fs.writeFileSync(outPath, out.join('\n') + '\n');
}

async function bench(tokPath, textPath, repeats) {
  let t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(tokPath);
  const load = Number(process.hrtime.bigint() - t0) / 1e9;
  const buf = fs.readFileSync(textPath);
  const lines = buf.toString('utf8').split('\n');
  let best = Infinity, bestBatch = Infinity, tokens = 0, batchCpu = Infinity;
  for (let r = 0; r < repeats; r++) {
    tokens = 0;
    t0 = process.hrtime.bigint();
    for (const l of lines) tokens += (await tok.encode(l, null, { addSpecialTokens: false })).getLength();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const encs = await tok.encodeBatch(lines, { addSpecialTokens: false });
    const cpu = process.cpuUsage(cpu0);
    bestBatch = Math.min(bestBatch, Number(process.hrtime.bigint() - t0) / 1e9);
    batchCpu = Math.min(batchCpu, (cpu.user + cpu.system) / 1e6);
    let bt = 0;
    for (const e of encs) bt += e.getLength();
    if (bt !== tokens) throw new Error(`batch and single encodes disagree: ${bt} vs ${tokens}`);
  }
  console.log(JSON.stringify({ bytes: buf.length, tokens, seconds: best, batch_seconds: bestBatch, batch_cpu_seconds: batchCpu, load_seconds: load }));
}

async function vocab(tokPath, n, outPath) {
  const tok = Tokenizer.fromFile(tokPath);
  const ids = [];
  const map = {};
  for (let i = 0; i < n; i++) {
    const t = tok.idToToken(i);
    ids.push(t === undefined ? null : t);
    if (t !== null && t !== undefined) map[t] = tok.tokenToId(t);
  }
  fs.writeFileSync(outPath, JSON.stringify({ vocab_size: tok.getVocabSize(true), id_to_token: ids, token_to_id: map }));
}

const [mode, a, b, c] = process.argv.slice(2);
const run = mode === 'check' ? check(a, b, c) : mode === 'bench' ? bench(a, b, Number(c))
  : mode === 'vocab' ? vocab(a, Number(b), c) : null;
if (!run) {
  console.error('usage: node tokenizer_hf.js check TOKENIZER.json IN.jsonl OUT.jsonl | bench TOKENIZER.json TEXT.txt REPEATS');
  process.exit(2);
}
run.catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
