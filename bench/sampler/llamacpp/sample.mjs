// llama.cpp peer of leakbound's sampler benchmark, through node-llama-cpp's
// prebuilt CPU binaries (no download, no source build: build: "never").
//
//   node sample.mjs greedy MODEL.gguf TEXT NEW            greedy ids of TEXT's continuation
//   node sample.mjs bench MODEL.gguf N NEW PROMPT_LEN THREADS
//
// bench: one prompt of PROMPT_LEN ids (the same ids as bench_sampler.c: (1000 + 37 i) mod V),
// N sequences of one context (`sequences: N`), each generating exactly NEW tokens (EOS is
// yielded and generation goes on, as leakbound's run has no EOS), T = 1, top-k 50, top-p off,
// min-p off: the sampler of row (a). All N evaluations run concurrently, so node-llama-cpp
// batches their tokens into shared llama_decode calls. node-llama-cpp has no way to fork one
// sequence's KV cache into others, so each sequence prefills the prompt itself. Prints one JSON
// line like bench_sampler: seconds, tokens generated, tokens/s; model loading is not timed.
// Flash attention is on (LB_FA=0 turns it off): without it llama.cpp's CPU attention runs each
// token over every cell of the context's shared KV cache (all N sequences, masked), which at
// N = 16 made it ~30x slower here; with it, masked cells are skipped.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [mode, modelPath, ...rest] = process.argv.slice(2);

async function open(threads, sequences, contextSize, batchSize) {
    const llama = await getLlama({gpu: false, build: "never", maxThreads: threads,
                                  logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath, gpuLayers: 0, useMmap: true});
    const context = await model.createContext({sequences, contextSize, batchSize, threads,
                                               flashAttention: process.env.LB_FA !== "0"});
    return {llama, model, context};
}

if (mode === "greedy") {
    const [text, nNew] = [rest[0], Number(rest[1])];
    const {model, context} = await open(2, 1, 256, 256);
    const prompt = model.tokenize(text);
    const out = [];
    for await (const t of context.getSequence().evaluate(prompt, {temperature: 0, yieldEogToken: true})) {
        out.push(t);
        if (out.length >= nNew) break;
    }
    console.log(JSON.stringify({prompt, ids: out}));
} else if (mode === "bench") {
    const [n, nNew, plen, threads] = rest.map(Number);
    const batchSize = Math.max(512, n);
    const {model, context, llama} = await open(threads, n, plen + nNew, batchSize);
    const vocab = 50257;
    const prompt = Array.from({length: plen}, (_, i) => (1000 + 37 * i) % vocab);
    const seqs = Array.from({length: n}, () => context.getSequence());
    let tokens = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(seqs.map(async (seq, i) => {
        let k = 0;
        for await (const t of seq.evaluate(prompt, {temperature: 1, topK: 50, topP: 1, minP: 0,
                                                   seed: i + 1, yieldEogToken: true})) {
            void t;
            tokens++;
            if (++k >= nNew) break;
        }
    }));
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({seconds: +dt.toFixed(4), tokens, tok_s: +(tokens / dt).toFixed(2),
                                sequences: n, batch_size: batchSize, threads,
                                context_size: context.contextSize, llama_cpp: llama.llamaCppRelease?.release ?? null,
                                node_llama_cpp: "3.21.1"}));
} else {
    console.error("usage: node sample.mjs greedy MODEL.gguf TEXT NEW | bench MODEL.gguf N NEW PROMPT_LEN THREADS");
    process.exit(2);
}
