/* Shared by `sample` and `eval`: the sampling flags, what loading found (the data warning, the
 * memory plan line, the error) and progress, on stderr. */
#include "cli_sampling.h"

#include <errno.h>
#include <jansson.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char lb_cli_sampling_help[] =
    "  --model DIR              checkpoint folder (config.json, safetensors, tokenizer.json)\n"
    "  --tokenizer FILE|DIR     the tokenizer.json (or the folder holding it and its\n"
    "                           tokenizer_config.json) when DIR has none\n"
    "  --data FILE              questions: TOFU JSON/JSONL (question, answer, ...) or Harry\n"
    "                           Potter CSV (Question, Key Words, Affirmative Response)\n"
    "  --data-format F          auto | json | jsonl | csv (default auto: by extension)\n"
    "  --template T             raw | phi | llama2 | chat | a literal with {q} (default raw;\n"
    "                           {prefix}: the item's Affirmative Response; \\n, \\t, \\\\ in a\n"
    "                           literal are a newline, a tab, a backslash);\n"
    "                           chat reads DIR/tokenizer_config.json. Prompts are encoded with\n"
    "                           special tokens added, except chat (the template has them)\n"
    "  --limit N                only the first N questions\n"
    "  --temperature T          T > 0 (default: generation_config.json, else 1)\n"
    "  --top-k K                K >= 0, 0 = off (default: generation_config.json, else 50)\n"
    "  --top-p P                0 < P <= 1 (default: generation_config.json, else 1)\n"
    "  --min-p M                0 <= M <= 1, applied after top-p (default 0 = off)\n"
    "  --max-new-tokens N       new tokens per answer (wins over --max-length)\n"
    "  --max-length N           prompt + answer tokens, as HF max_length (default:\n"
    "                           generation_config.json, else 20); both are capped by the context\n"
    "  --stop S                 also stop once the decoded answer contains S (repeatable)\n"
    "  --seed S                 seed of the Philox4x32-10 draws keyed by (seed, id, sample,\n"
    "                           step): results do not depend on batch, threads or --resume\n"
    "  --batch B                sequences decoded together (default 256, fewer if the KV\n"
    "                           budget says so)\n"
    "  --kv-budget SIZE         KV cache memory, e.g. 512M, 4G (default: a quarter of RAM)\n"
    "  --threads N              OpenMP threads (default OMP_NUM_THREADS, else the cores not\n"
    "                           busy with other processes when leakbound starts, at least 1)\n"
    "  --adaptive-temperature   adaptive temperature scaling, a RECONSTRUCTION of the paper's\n"
    "                           rule (docs/evaluation.md): per step, confidence c of the unwarped\n"
    "                           next-token distribution; c >= threshold -> --low-temperature\n"
    "                           (0 = greedy), else --temperature\n"
    "  --confidence maxprob|entropy   c = max probability (default) or 1 - H / ln V\n"
    "  --confidence-threshold C       default 0.9\n"
    "  --low-temperature T      default 0 (greedy)\n"
    "  --verbose                add \"temperatures\" (per step, 0 = argmax) to every line\n"
    "  --quiet                  no progress on stderr\n";

void lb_cli_sampling_init(lb_eval_opts_t *a) {
    lb_eval_opts_default(a);
    a->n = -1;
}

/* The shared flags lb_eval_opts_set checks (one parser for the CLI and the bindings). */
static const char *flag_name(int c) {
    switch (c) {
    case LB_SO_TEMPLATE: return "template";
    case LB_SO_FORMAT: return "data-format";
    case LB_SO_N: return "n";
    case LB_SO_LIMIT: return "limit";
    case LB_SO_TEMPERATURE: return "temperature";
    case LB_SO_TOP_K: return "top-k";
    case LB_SO_TOP_P: return "top-p";
    case LB_SO_MIN_P: return "min-p";
    case LB_SO_MAX_LENGTH: return "max-length";
    case LB_SO_MAX_NEW: return "max-new-tokens";
    case LB_SO_STOP: return "stop";
    case LB_SO_SEED: return "seed";
    case LB_SO_BATCH: return "batch";
    case LB_SO_KV_BUDGET: return "kv-budget";
    case LB_SO_ADAPTIVE: return "adaptive-temperature";
    case LB_SO_CONFIDENCE: return "confidence";
    case LB_SO_CONF_THR: return "confidence-threshold";
    case LB_SO_LOW_T: return "low-temperature";
    case LB_SO_VERBOSE: return "verbose";
    default: return NULL;
    }
}

int lb_cli_sampling_option(lb_eval_opts_t *a, int *quiet, int c, const char *arg, const char *cmd) {
    const char *name = flag_name(c);
    if (name) {
        lb_error_t e = {0};
        if (lb_eval_opts_set(a, name, arg, &e)) return lb_cli_failf(cmd, "%s", e.msg);
        return 0;
    }
    switch (c) {
    case LB_SO_MODEL: a->model = arg; return 0;
    case LB_SO_TOKENIZER: a->tokenizer = arg; return 0;
    case LB_SO_DATA: a->data = arg; return 0;
    case LB_SO_THREADS:
        if (lb_cli_threads(cmd, arg)) return LB_EXIT_USAGE;
        a->threads = atol(arg);
        return 0;
    case LB_SO_QUIET: if (quiet) *quiet = 1; return 0;
    default: return 1;
    }
}

void lb_cli_sampling_warn_data(const char *cmd, const char *path, const lb_dataset_t *ds) {
    char msg[4096 + 128];
    if (lb_data_lenient_warning(ds, path, msg, sizeof msg))
        fprintf(stderr, "leakbound %s: warning: %s\n", cmd, msg);
}

void lb_cli_sampling_loaded(const char *cmd, int quiet, const lb_eval_ctx_t *ctx) {
    const lb_eval_memplan_t *p = &ctx->plan;
    char sw[32], sm[32], sc[32], skv[32], ss[32], st[32], sa[32];
    lb_mem_bytes_str(p->weights, sw, sizeof sw);
    lb_mem_bytes_str(p->mapped, sm, sizeof sm);
    lb_mem_bytes_str(p->copied, sc, sizeof sc);
    lb_mem_bytes_str(p->kv, skv, sizeof skv);
    lb_mem_bytes_str(p->scratch, ss, sizeof ss);
    lb_mem_bytes_str(p->total, st, sizeof st);
    lb_mem_bytes_str(p->available, sa, sizeof sa);
    if (!quiet) /* --quiet: nothing on stderr unless something fails */
        fprintf(stderr, "leakbound %s: memory plan %s: weights %s (%s mapped from the file, %s "
                "copied), KV cache %s, scratch %s; %s available; %d thread%s; kernels %s\n", cmd,
                st, sw, sm, sc, skv, ss, p->available > 0 ? sa : "? (unknown)", p->threads,
                p->threads == 1 ? "" : "s", p->kernels);
}

int lb_cli_sampling_progress(void *user, const lb_sampler_progress_t *p) {
    lb_cli_progress_t *g = user;
    int final = p->prompts_done == p->prompts_total;
    if (g->quiet || (!final && p->seconds - g->last < 2.0) || p->seconds <= 0) return 0;
    g->last = p->seconds;
    fprintf(stderr, "leakbound %s: prompts %zu/%zu, %.1f samples/s, %.1f tokens/s, %s %.0fs\n",
            g->cmd, p->prompts_done, p->prompts_total, p->samples_per_s, p->tokens_per_s,
            final ? "elapsed" : "ETA", final ? p->seconds : p->eta_s);
    return 0;
}

/* A byte count for the progress line: kB below a megabyte, else lb_mem_bytes_str's MB/GB. */
static void bytes_str(double b, char *buf, size_t cap) {
    if (b < 1e6) snprintf(buf, cap, "%.1f kB", b / 1e3);
    else lb_mem_bytes_str(b, buf, cap);
}

int lb_cli_samples_progress(void *user, const lb_eval_samples_progress_t *p) {
    lb_cli_progress_t *g = user;
    if (g->quiet || (!p->final && p->seconds - g->last < 2.0) || p->seconds <= 0) return 0;
    g->last = p->seconds;
    char done[32], size[48] = "", when[48];
    bytes_str((double)p->bytes_done, done, sizeof done);
    if (p->bytes_total >= 0) {
        char total[32];
        bytes_str((double)p->bytes_total, total, sizeof total);
        snprintf(size, sizeof size, " of %s", total);
    }
    if (p->final || p->bytes_total >= 0)
        snprintf(when, sizeof when, "%s %.0fs", p->final ? "elapsed" : "ETA",
                 p->final ? p->seconds : p->eta_s);
    else
        snprintf(when, sizeof when, "ETA ? (a pipe)");
    fprintf(stderr, "leakbound %s: samples %s%s, %ld lines, %zu answers, %.0f lines/s, %s\n",
            g->cmd, done, size, p->lines, p->answers, p->lines_per_s, when);
    return 0;
}
