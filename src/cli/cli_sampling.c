/* Shared by `sample` and `eval`: sampling flags, setup (model, tokenizer, data, prompts), the
 * samples.jsonl line format, durable writes and progress. */
#include "cli_sampling.h"

#include <errno.h>
#include <jansson.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char lb_sampling_help[] =
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

void lb_sampling_args_init(lb_sampling_args_t *a) {
    memset(a, 0, sizeof *a);
    a->tmpl = "raw";
    a->n = -1;
    a->confidence = LB_CONFIDENCE_MAXPROB;
    a->conf_thr = 0.9;
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

int lb_sampling_option(lb_sampling_args_t *a, int c, const char *arg, const char *cmd) {
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
        if (a->n_stop == LB_SAMPLING_MAX_STOP)
            return lb_cli_failf(cmd, "--stop: at most %d strings", LB_SAMPLING_MAX_STOP);
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
    case LB_SO_QUIET: a->quiet = 1; return 0;
    default: return 1;
    }
}

void lb_sampling_warn_data(const char *cmd, const char *path, const lb_dataset_t *ds) {
    if (ds->n_lenient)
        fprintf(stderr, "leakbound %s: warning: %s:%ld: blanks around a quoted field skipped (not "
                "RFC 4180; %zu line%s)\n", cmd, path, ds->lenient_line, ds->n_lenient,
                ds->n_lenient == 1 ? "" : "s");
}

void lb_sampling_free(lb_sampling_ctx_t *ctx) {
    if (ctx->prompt_text)
        for (size_t i = 0; i < ctx->n_items; i++) free(ctx->prompt_text[i]);
    if (ctx->ids)
        for (size_t i = 0; i < ctx->n_items; i++) free(ctx->ids[i]);
    free(ctx->prompt_text);
    free(ctx->ids);
    free(ctx->prompts);
    lb_dataset_free(&ctx->ds);
    lb_template_free(ctx->tmpl);
    lb_model_free(ctx->m);
    lb_tokenizer_free(ctx->tok);
    memset(ctx, 0, sizeof *ctx);
}

static int cmp_str(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Ids key the random draws and --resume, so two items may not share one. */
static int check_unique_ids(lb_sampling_ctx_t *ctx, lb_error_t *err) {
    const char **k = malloc((ctx->n_items + 1) * sizeof *k);
    if (!k) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < ctx->n_items; i++) k[i] = ctx->ds.items[i].id;
    qsort(k, ctx->n_items, sizeof *k, cmp_str);
    int rc = 0;
    for (size_t i = 1; i < ctx->n_items && !rc; i++)
        if (!strcmp(k[i - 1], k[i]))
            rc = lb_error_set(err, LB_EINVAL, "id '%s' is used by more than one item (ids key the "
                              "random draws and --resume: make them unique)", k[i]);
    free(k);
    return rc;
}

/* The memory the run holds at most, printed before anything big is allocated:
 * weights (matrices mapped from the file, vectors copied), the KV cache (every sequence of a
 * batch at the longest question's full length, capped by --kv-budget or its default, a quarter
 * of RAM), and the runner's arena plus the sampler's logits. A plan above the memory available
 * now is refused with the numbers. */
/* lb_model_sha256 of --model with the tokenizer files actually loaded: with --tokenizer, its
 * tokenizer.json and the tokenizer_config.json of cfg_dir (the chat template's folder) stand in
 * for the folder's, so the hash (and sample --resume's check of it) covers them. */
static int model_hash(const lb_sampling_args_t *a, const char *cfg_dir, char hex[65], lb_error_t *err) {
    if (!a->tokenizer) return lb_model_sha256(a->model, hex, err);
    char tok[4096], cfg[4200];
    lb_tokenizer_path(a->model, a->tokenizer, tok, sizeof tok);
    snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", cfg_dir);
    return lb_model_sha256_with(a->model, tok, cfg, hex, err);
}

static int memory_plan(const lb_sampling_ctx_t *ctx, const char *cmd, int quiet, lb_error_t *err) {
    const lb_model_config_t *g = lb_model_config(ctx->m);
    const lb_sampler_opts_t *o = &ctx->opts;
    size_t copied, mapped;
    lb_model_weight_bytes(ctx->m, &copied, &mapped);
    long max_plen = 1, max_ctx = 1;
    for (size_t i = 0; i < ctx->n_items; i++) {
        long n = (long)ctx->prompts[i].n_ids, mn = lb_sampler_max_new(o, ctx->prompts[i].n_ids,
                                                                      g->max_position_embeddings);
        if (n > max_plen) max_plen = n;
        if (n + (mn > 0 ? mn : 0) > max_ctx) max_ctx = n + (mn > 0 ? mn : 0);
    }
    if (max_ctx > g->max_position_embeddings) max_ctx = g->max_position_embeddings;
    long n_res = o->n_samples + (o->greedy_too ? 1 : 0), seqs = n_res * (long)ctx->n_items;
    long B = o->batch > 0 ? o->batch : 256;
    if (B > seqs) B = seqs;
    if (B < 1) B = 1;
    long P = B / (n_res > 0 ? n_res : 1) + 2;
    if (P > (long)ctx->n_items) P = (long)ctx->n_items;
    double bpt = 2.0 * g->n_layers * g->n_kv_heads * g->head_dim * sizeof(float);
    long phys = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    double budget = o->kv_budget ? (double)o->kv_budget
                  : phys > 0 && psz > 0 ? (double)phys * (double)psz / 4 : (double)(1 << 30);
    double kv = bpt * (double)(B + P) * (double)max_ctx;
    if (kv > budget) kv = budget;
    double scratch = (double)lb_model_runner_plan_bytes(ctx->m, (int)B,
                                                        (int)(max_plen > B ? max_plen : B),
                                                        (int)max_ctx, 0) +
                     (double)(B + P) * g->vocab_size * 2 * sizeof(float);
    double w = (double)copied + (double)mapped, total, avail = lb_mem_available();
    lb_mem_plan_t plan = {w, kv, scratch};
    int rc = lb_mem_plan_check(&plan, NULL, "lower --kv-budget or --batch, or free memory", &total,
                               err);
    if (rc) return rc;
    char sw[32], sm[32], sc[32], skv[32], ss[32], st[32], sa[32];
    lb_mem_bytes_str(w, sw, sizeof sw);
    lb_mem_bytes_str((double)mapped, sm, sizeof sm);
    lb_mem_bytes_str((double)copied, sc, sizeof sc);
    lb_mem_bytes_str(kv, skv, sizeof skv);
    lb_mem_bytes_str(scratch, ss, sizeof ss);
    lb_mem_bytes_str(total, st, sizeof st);
    lb_mem_bytes_str(avail, sa, sizeof sa);
    if (!quiet) /* --quiet: nothing on stderr unless something fails */
        fprintf(stderr, "leakbound %s: memory plan %s: weights %s (%s mapped from the file, %s "
                "copied), KV cache %s, scratch %s; %s available; %d thread%s; kernels %s\n", cmd,
                st, sw, sm, sc, skv, ss, avail > 0 ? sa : "? (unknown)", omp_get_max_threads(),
                omp_get_max_threads() == 1 ? "" : "s", lb_model_isa_name(lb_model_isa_current()));
    return 0;
}

int lb_sampling_setup(const lb_sampling_args_t *a, const char *cmd, lb_sampling_ctx_t *ctx) {
    memset(ctx, 0, sizeof *ctx);
    if (!a->model) return lb_cli_failf(cmd, "--model DIR is required");
    if (!a->data) return lb_cli_failf(cmd, "--data FILE is required");
    if (a->n < 0) return lb_cli_failf(cmd, "-n N is required");
    if (a->threads > 0) omp_set_num_threads((int)a->threads);
    lb_error_t err = {0};
    char cfg_dir[4096];
    int rc;
    lb_tokenizer_config_dir(a->model, a->tokenizer, cfg_dir, sizeof cfg_dir);
    if ((rc = lb_cli_genconf_read(a->model, &ctx->gc, &err)) ||
        (rc = lb_data_load(a->data, a->format, &ctx->ds, &err)) ||
        (rc = lb_tokenizer_load_for_model(a->model, a->tokenizer, &ctx->tok, &err)) ||
        (rc = lb_template_open(a->tmpl, cfg_dir, &ctx->tmpl, &err)) ||
        (rc = lb_model_load(a->model, &(lb_model_options_t){.keep_file_dtype = 1}, &ctx->m,
                            &err)) ||
        (rc = model_hash(a, cfg_dir, ctx->model_sha256, &err)))
        goto fail;
    memcpy(ctx->data_sha256, ctx->ds.sha256, sizeof ctx->data_sha256);
    lb_sampling_warn_data(cmd, a->data, &ctx->ds);
    ctx->n_items = ctx->ds.n;
    if (a->limit > 0 && (size_t)a->limit < ctx->n_items) ctx->n_items = (size_t)a->limit;
    if (ctx->n_items == 0) {
        rc = lb_error_set(&err, LB_EINVAL, "%s: no questions", a->data);
        goto fail;
    }
    if ((rc = check_unique_ids(ctx, &err))) goto fail;
    ctx->prompt_text = calloc(ctx->n_items, sizeof *ctx->prompt_text);
    ctx->ids = calloc(ctx->n_items, sizeof *ctx->ids);
    ctx->prompts = calloc(ctx->n_items, sizeof *ctx->prompts);
    if (!ctx->prompt_text || !ctx->ids || !ctx->prompts) {
        rc = lb_error_set(&err, LB_ENOMEM, "out of memory");
        goto fail;
    }
    int add_special = strcmp(a->tmpl, "chat") != 0;
    for (size_t i = 0; i < ctx->n_items; i++) {
        const lb_data_item_t *it = &ctx->ds.items[i];
        size_t n = 0;
        if ((rc = lb_template_render_item(ctx->tmpl, it->question, it->prefix, &ctx->prompt_text[i],
                                          &err)) ||
            (rc = lb_tokenizer_encode(ctx->tok, ctx->prompt_text[i], strlen(ctx->prompt_text[i]),
                                      add_special, &ctx->ids[i], &n, &err))) {
            lb_error_prefix(&err, "%s:%ld: item '%s'", a->data, it->line, it->id);
            goto fail;
        }
        ctx->prompts[i] = (lb_sampler_prompt_t){it->id, ctx->ids[i], n};
    }
    lb_sampler_opts_t *o = &ctx->opts;
    *o = lb_sampler_defaults();
    o->warp = ctx->gc.warp;
    if (a->have_T) o->warp.temperature = a->T;
    if (a->have_k) o->warp.top_k = (int)a->k;
    if (a->have_p) o->warp.top_p = a->p;
    o->min_p = a->min_p;
    o->n_samples = (int)a->n;
    o->max_new_tokens = a->have_max_new ? a->max_new : a->have_max_len ? -1 : ctx->gc.max_new_tokens;
    o->max_length = a->have_max_len ? a->max_len : ctx->gc.max_length;
    o->eos = ctx->gc.eos;
    o->n_eos = ctx->gc.n_eos;
    o->stop = a->stop;
    o->n_stop = a->n_stop;
    o->seed = (uint64_t)a->seed;
    o->batch = (int)a->batch;
    o->kv_budget = a->kv_budget;
    o->adaptive = a->adaptive;
    o->confidence = a->confidence;
    o->confidence_threshold = a->conf_thr;
    o->low_temperature = a->low_T;
    o->record_temperatures = a->verbose;
    if ((rc = lb_sampler_check(o, &err)) || (rc = memory_plan(ctx, cmd, a->quiet, &err))) goto fail;
    return LB_EXIT_OK;
fail:
    fprintf(stderr, "leakbound %s: %s\n", cmd, err.msg);
    lb_sampling_free(ctx);
    ctx->err = err;
    return rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
}

static int append(char **buf, size_t *cap, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (*len + n + 1 > c) c *= 2;
        char *b = realloc(*buf, c);
        if (!b) return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

/* A float as the shortest decimal that reads back to it (0.8f prints 0.8, not 0.800000011920929). */
static double round_float(float f) {
    char b[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, (double)f);
        if ((float)strtod(b, NULL) == f) break;
    }
    return strtod(b, NULL);
}

int lb_sampling_format_group(const lb_sampling_ctx_t *ctx, size_t it, const lb_sample_result_t *res,
                             int n_res, const double *scores, int verbose, char **buf, size_t *cap,
                             size_t *len, lb_error_t *err) {
    const lb_data_item_t *item = &ctx->ds.items[it];
    for (int r = 0; r < n_res; r++) {
        const lb_sample_result_t *x = &res[r];
        json_t *o = json_object();
        int bad = !o;
        bad = bad || json_object_set_new(o, "id", json_string(item->id));
        bad = bad || json_object_set_new(o, "sample", json_integer(x->index));
        bad = bad || json_object_set_new(o, "prompt", json_string(ctx->prompt_text[it]));
        /* the question before the template: the user turn a judge sees (score, eval) */
        bad = bad || json_object_set_new(o, "question", json_string(item->question));
        /* Decoded text is valid UTF-8 (the tokenizer replaces bad bytes with U+FFFD). */
        bad = bad || json_object_set_new(o, "text", json_stringn(x->text, x->text_len));
        if (!bad && item->answer) bad = json_object_set_new(o, "reference", json_string(item->answer));
        if (!bad && item->n_keywords) {
            json_t *kw = json_array();
            for (size_t k = 0; kw && k < item->n_keywords; k++)
                json_array_append_new(kw, json_string(item->keywords[k]));
            bad = json_object_set_new(o, "keywords", kw);
        }
        bad = bad || json_object_set_new(o, "tokens", json_integer(x->n_tokens));
        bad = bad || json_object_set_new(o, "finish", json_string(lb_sample_finish_name(x->finish)));
        if (!bad && scores) bad = json_object_set_new(o, "score", json_real(scores[r]));
        if (!bad && verbose && x->temperatures) {
            json_t *t = json_array();
            for (int k = 0; t && k < x->n_tokens; k++) json_array_append_new(t, json_real(round_float(x->temperatures[k])));
            bad = json_object_set_new(o, "temperatures", t);
        }
        char *line = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
        if (!line || append(buf, cap, len, line, strlen(line)) || append(buf, cap, len, "\n", 1)) {
            free(line);
            return lb_error_set(err, LB_ENOMEM, "out of memory while formatting samples");
        }
        free(line);
    }
    return LB_OK;
}

int lb_sampling_write_sync(int fd, const char *path, const char *buf, size_t len, lb_error_t *err) {
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return lb_error_set(err, LB_EIO, "%s: write failed: %s", path, strerror(errno));
        done += (size_t)w;
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        return lb_error_set(err, LB_EIO, "%s: fsync failed: %s", path, strerror(errno));
    return LB_OK;
}

void lb_sampling_progress(void *user, const lb_sampler_progress_t *p) {
    lb_sampling_progress_t *g = user;
    int final = p->prompts_done == p->prompts_total;
    if (g->quiet || (!final && p->seconds - g->last < 2.0) || p->seconds <= 0) return;
    g->last = p->seconds;
    double sps = (double)p->samples_done / p->seconds, tps = (double)p->tokens / p->seconds;
    double eta = p->samples_done ? p->seconds * (double)(g->samples_total - p->samples_done) /
                                       (double)p->samples_done
                                 : 0;
    fprintf(stderr, "leakbound %s: prompts %zu/%zu, %.1f samples/s, %.1f tokens/s, %s %.0fs\n",
            g->cmd, p->prompts_done, p->prompts_total, sps, tps, final ? "elapsed" : "ETA",
            final ? p->seconds : eta);
}
