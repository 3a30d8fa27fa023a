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

static int parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0)) return -1;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1024.0; break;
        case 'm': case 'M': mul = 1048576.0; break;
        case 'g': case 'G': mul = 1073741824.0; break;
        default: return -1;
        }
        if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB")) return -1;
    }
    v *= mul;
    if (v < 1 || v > 1e18) return -1;
    *out = (size_t)v;
    return 0;
}

int lb_cli_sampling_option(lb_eval_opts_t *a, int *quiet, int c, const char *arg, const char *cmd) {
    switch (c) {
    case LB_SO_MODEL: a->model = arg; return 0;
    case LB_SO_TOKENIZER: a->tokenizer = arg; return 0;
    case LB_SO_DATA: a->data = arg; return 0;
    case LB_SO_TEMPLATE: a->tmpl = arg; return 0;
    case LB_SO_FORMAT: {
        lb_error_t e;
        if (lb_data_format_parse(arg, &a->format, &e))
            return lb_cli_failf(cmd, "--data-format: expected auto, json, jsonl or csv, got '%s'", arg);
        return 0;
    }
    case LB_SO_N:
        if (lb_cli_parse_long(arg, &a->n) || a->n < 0 || a->n > 1000000)
            return lb_cli_failf(cmd, "-n: expected an integer in [0, 1000000], got '%s'", arg);
        return 0;
    case LB_SO_LIMIT:
        if (lb_cli_parse_long(arg, &a->limit) || a->limit < 1)
            return lb_cli_failf(cmd, "--limit: expected an integer >= 1, got '%s'", arg);
        return 0;
    case LB_SO_TEMPERATURE:
        if (lb_cli_parse_double(arg, &a->T) || !(a->T > 0))
            return lb_cli_failf(cmd, "--temperature: expected a number > 0, got '%s'", arg);
        a->have_T = 1;
        return 0;
    case LB_SO_TOP_K:
        if (lb_cli_parse_long(arg, &a->k) || a->k < 0 || a->k > 1 << 30)
            return lb_cli_failf(cmd, "--top-k: expected an integer >= 0, got '%s'", arg);
        a->have_k = 1;
        return 0;
    case LB_SO_TOP_P:
        if (lb_cli_parse_double(arg, &a->p) || !(a->p > 0 && a->p <= 1))
            return lb_cli_failf(cmd, "--top-p: expected a number in (0, 1], got '%s'", arg);
        a->have_p = 1;
        return 0;
    case LB_SO_MIN_P:
        if (lb_cli_parse_double(arg, &a->min_p) || !(a->min_p >= 0 && a->min_p <= 1))
            return lb_cli_failf(cmd, "--min-p: expected a number in [0, 1], got '%s'", arg);
        return 0;
    case LB_SO_MAX_LENGTH:
        if (lb_cli_parse_long(arg, &a->max_len) || a->max_len < 1 || a->max_len > 1 << 24)
            return lb_cli_failf(cmd, "--max-length: expected an integer >= 1, got '%s'", arg);
        a->have_max_len = 1;
        return 0;
    case LB_SO_MAX_NEW:
        if (lb_cli_parse_long(arg, &a->max_new) || a->max_new < 0 || a->max_new > 1 << 24)
            return lb_cli_failf(cmd, "--max-new-tokens: expected an integer >= 0, got '%s'", arg);
        a->have_max_new = 1;
        return 0;
    case LB_SO_STOP:
        if (!*arg) return lb_cli_failf(cmd, "--stop: the string must not be empty");
        if (a->n_stop == LB_EVAL_MAX_STOP)
            return lb_cli_failf(cmd, "--stop: at most %d strings", LB_EVAL_MAX_STOP);
        a->stop[a->n_stop++] = arg;
        return 0;
    case LB_SO_SEED: {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(arg, &end, 10);
        if (!*arg || *end || errno || arg[0] == '-')
            return lb_cli_failf(cmd, "--seed: expected a non-negative integer, got '%s'", arg);
        a->seed = s;
        return 0;
    }
    case LB_SO_BATCH:
        if (lb_cli_parse_long(arg, &a->batch) || a->batch < 1 || a->batch > 65536)
            return lb_cli_failf(cmd, "--batch: expected an integer in [1, 65536], got '%s'", arg);
        return 0;
    case LB_SO_KV_BUDGET:
        if (parse_size(arg, &a->kv_budget))
            return lb_cli_failf(cmd, "--kv-budget: expected a size such as 512M or 4G, got '%s'", arg);
        return 0;
    case LB_SO_THREADS:
        if (lb_cli_threads(cmd, arg)) return LB_EXIT_USAGE;
        a->threads = atol(arg);
        return 0;
    case LB_SO_ADAPTIVE: a->adaptive = 1; return 0;
    case LB_SO_CONFIDENCE:
        if (!strcmp(arg, "maxprob")) a->confidence = LB_CONFIDENCE_MAXPROB;
        else if (!strcmp(arg, "entropy")) a->confidence = LB_CONFIDENCE_ENTROPY;
        else return lb_cli_failf(cmd, "--confidence: expected maxprob or entropy, got '%s'", arg);
        return 0;
    case LB_SO_CONF_THR:
        if (lb_cli_parse_double(arg, &a->conf_thr) || !(a->conf_thr >= 0 && a->conf_thr <= 1))
            return lb_cli_failf(cmd, "--confidence-threshold: expected a number in [0, 1], got '%s'", arg);
        return 0;
    case LB_SO_LOW_T:
        if (lb_cli_parse_double(arg, &a->low_T) || !(a->low_T >= 0))
            return lb_cli_failf(cmd, "--low-temperature: expected a number >= 0, got '%s'", arg);
        return 0;
    case LB_SO_VERBOSE: a->verbose = 1; return 0;
    case LB_SO_QUIET: if (quiet) *quiet = 1; return 0;
    default: return 1;
    }
}

void lb_cli_sampling_warn_data(const char *cmd, const char *path, size_t n_lenient, long line) {
    if (n_lenient)
        fprintf(stderr, "leakbound %s: warning: %s:%ld: blanks around a quoted field skipped (not "
                "RFC 4180; %zu line%s)\n", cmd, path, line, n_lenient, n_lenient == 1 ? "" : "s");
}

int lb_cli_sampling_setup(const lb_eval_opts_t *a, const char *cmd, int quiet, lb_eval_ctx_t *ctx,
                          lb_error_t *err) {
    memset(ctx, 0, sizeof *ctx);
    if (!a->model) return lb_cli_failf(cmd, "--model DIR is required");
    if (!a->data) return lb_cli_failf(cmd, "--data FILE is required");
    if (a->n < 0) return lb_cli_failf(cmd, "-n N is required");
    int rc = lb_eval_load(a, ctx, err);
    if (rc) {
        fprintf(stderr, "leakbound %s: %s\n", cmd, err->msg);
        return rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    lb_cli_sampling_warn_data(cmd, a->data, ctx->ds.n_lenient, ctx->ds.lenient_line);
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
    return LB_EXIT_OK;
}

int lb_cli_sampling_progress(void *user, const lb_sampler_progress_t *p) {
    lb_cli_progress_t *g = user;
    int final = p->prompts_done == p->prompts_total;
    if (g->quiet || (!final && p->seconds - g->last < 2.0) || p->seconds <= 0) return 0;
    g->last = p->seconds;
    double sps = (double)p->samples_done / p->seconds, tps = (double)p->tokens / p->seconds;
    double eta = p->samples_done ? p->seconds * (double)(g->samples_total - p->samples_done) /
                                       (double)p->samples_done
                                 : 0;
    fprintf(stderr, "leakbound %s: prompts %zu/%zu, %.1f samples/s, %.1f tokens/s, %s %.0fs\n",
            g->cmd, p->prompts_done, p->prompts_total, sps, tps, final ? "elapsed" : "ETA",
            final ? p->seconds : eta);
    return 0;
}
