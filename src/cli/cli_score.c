/* `leakbound score --metric M [--reference-field F] [IN.jsonl|-]`: add a score to every line.
 *
 * Lines are read in batches and scored in parallel (OpenMP, one text scorer per thread); the
 * results are written in input order to an unlinked temporary file, and only copied to stdout
 * once the whole input has been read and scored, so bad input never leaves a partial document
 * on stdout while memory stays flat for millions of lines. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_score.h"

#define BATCH 8192

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound score --metric M [--reference-field F] [IN.jsonl|-] > OUT.jsonl\n"
            "\n"
            "Score each generation. Every input line is a JSON object with \"text\" (the\n"
            "generation) and \"reference\" (the true answer), or \"keywords\" (an array of\n"
            "strings, or one comma-separated string) for --metric keywords. Each output line\n"
            "is the input object, unchanged, with \"score\" added (and \"precision\", \"recall\",\n"
            "\"fmeasure\" for the ROUGE metrics), in input order.\n"
            "\n"
            "  --metric M             rougeL-recall | rougeL-f | rouge1-recall | rouge1-f |\n"
            "                         keywords | exact | judge\n"
            "                         ROUGE is rouge-score 0.1.2 with use_stemmer=True (NLTK\n"
            "                         Porter stemmer); keywords: 1 if any keyword (trimmed,\n"
            "                         empty ones dropped) occurs in the text (see\n"
            "                         --keyword-match; each line also gets \"keyword_match\");\n"
            "                         exact: 1 if both give the same ROUGE tokens; judge: a\n"
            "                         judge model's P(A) / (P(A) + P(B)) for the pair (the\n"
            "                         line's user turn, its text), with \"p_label_a\" and\n"
            "                         \"p_label_b\" (see --judge below; no reference needed).\n"
            "  --reference-field F    read the reference (or the keywords) from field F\n"
            "  --keywords-field F     read the keywords from field F (--metric keywords)\n"
            "  --text-field F         read the generation from field F (default text). F may\n"
            "                         hold a string (one sample), an array of strings (HF\n"
            "                         generate dumps) or an array of objects with \"text\"\n"
            "                         (vLLM \"outputs\", OpenAI-style \"choices\"): one output\n"
            "                         line per element, {\"id\", \"sample\" (its index),\n"
            "                         \"text\", the reference or keywords, the scores}\n"
            "  --id-field F           the id of those lines comes from field F (default id)\n"
            "  --prompt-field F       --metric judge: the user turn comes from field F\n"
            "                         (default: \"question\" when the line has it -- the\n"
            "                         question before the template, as `sample` and `eval`\n"
            "                         write it and `eval --metric judge` judges it -- else\n"
            "                         \"prompt\")\n"
            "%s"
            "  --threads N            scoring threads (default: OMP_NUM_THREADS, else the free cores)\n"
            "  -h, --help             this help\n"
            "\n"
            "IN defaults to stdin. On bad input nothing is written to stdout.\n",
            lb_score_opts_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

typedef struct batch {
    char *text;          /* (text_cap,) the batch's lines, back to back */
    size_t text_len, text_cap;
    size_t off[BATCH], len[BATCH];
    long lineno[BATCH];
    char *out[BATCH];    /* per slot output line, reused across batches */
    size_t out_cap[BATCH], out_len[BATCH];
    int rc[BATCH];
    lb_error_t *err;     /* (BATCH,) */
    size_t n;
} batch_t;

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* Read up to BATCH non-blank lines. Returns 0, or LB_EIO on a read error. */
static int read_batch(FILE *fp, batch_t *b, char **line, size_t *line_cap, long *lineno) {
    b->n = 0;
    b->text_len = 0;
    while (b->n < BATCH) {
        errno = 0;
        ssize_t got = getline(line, line_cap, fp);
        if (got < 0) return ferror(fp) ? LB_EIO : 0;
        ++*lineno;
        size_t len = (size_t)got;
        if (len && (*line)[len - 1] == '\n') len--;
        if (len && (*line)[len - 1] == '\r') len--;
        if (is_blank(*line, len)) continue;
        if (b->text_len + len > b->text_cap) {
            size_t nc = b->text_cap ? b->text_cap : 1 << 20;
            while (nc < b->text_len + len) nc *= 2;
            char *nt = realloc(b->text, nc);
            if (!nt) return LB_ENOMEM;
            b->text = nt;
            b->text_cap = nc;
        }
        memcpy(b->text + b->text_len, *line, len);
        b->off[b->n] = b->text_len;
        b->len[b->n] = len;
        b->lineno[b->n] = *lineno;
        b->text_len += len;
        b->n++;
    }
    return 0;
}

static int copy_out(FILE *spool) {
    char buf[1 << 16];
    size_t n;
    if (fflush(spool) || fseek(spool, 0, SEEK_SET)) return -1;
    while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) return -1;
    if (ferror(spool)) return -1;
    return fflush(stdout) ? -1 : 0;
}

/* --metric judge: parse the batch's lines, collect every (user turn, text) pair in order and
 * score them all with lb_score_batch (one judge run); lines it cannot read get no pairs
 * (lb_score_line reports them). */
static int judge_batch(const lb_score_cfg_t *cfg, batch_t *b, double **sc, double **pp,
                       size_t *cap, size_t *first, lb_error_t *err) {
    size_t n = 0, alloc = 0;
    lb_score_item_t *items = NULL;
    double *detail = NULL;
    json_t **objs = calloc(b->n, sizeof *objs);
    int rc = objs ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < b->n; i++) {
        first[i] = n;
        json_t *o = objs[i] = json_loadb(b->text + b->off[i], b->len[i],
                                         JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        json_t *p = json_object_get(o, lb_score_user_field(cfg, o)), *t = json_object_get(o, cfg->text_field);
        if (!json_is_string(p) || !(json_is_string(t) || json_is_array(t))) continue;
        size_t m = json_is_array(t) ? json_array_size(t) : 1;
        /* a NUL in the user turn or a text: lb_score_line refuses the whole line */
        int nul = strlen(json_string_value(p)) != json_string_length(p);
        for (size_t k = 0; !nul && k < m; k++) {
            json_t *e = lb_score_elem_text(json_is_array(t) ? json_array_get(t, k) : t);
            nul = e && strlen(json_string_value(e)) != json_string_length(e);
        }
        if (nul) continue;
        if (n + m > alloc) {
            size_t na = alloc ? alloc : 256;
            while (na < n + m) na *= 2;
            lb_score_item_t *ni = realloc(items, na * sizeof *ni);
            if (!ni) {
                rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                break;
            }
            items = ni;
            alloc = na;
        }
        for (size_t k = 0; k < m; k++) {
            json_t *e = lb_score_elem_text(json_is_array(t) ? json_array_get(t, k) : t);
            if (!e) break;   /* lb_score_line names the item */
            items[n++] = (lb_score_item_t){.text = json_string_value(e),
                                           .text_len = json_string_length(e),
                                           .ref = json_string_value(p),
                                           .ref_len = json_string_length(p)};
        }
    }
    first[b->n] = n;
    if (!rc && n > *cap) {
        double *a = realloc(*sc, n * sizeof *a);
        if (a) *sc = a;
        double *q = realloc(*pp, 2 * n * sizeof *q);
        if (q) *pp = q;
        if (!a || !q) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        else *cap = n;
    }
    if (!rc && n && !(detail = malloc(3 * n * sizeof *detail)))
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!rc && n) {
        rc = lb_score_batch(&cfg->opts, LB_METRIC_JUDGE, NULL, items, n, *sc, detail, err);
        if (rc) {
            /* Name the line the failing sample came from. */
            size_t s = 0, i = 0;
            sscanf(err->msg, "sample %zu", &s);
            while (i + 1 < b->n && first[i + 1] <= s) i++;
            lb_error_prefix(err, "%s:%ld", cfg->path, b->lineno[i]);
        }
        for (size_t k = 0; !rc && k < n; k++) {
            (*pp)[2 * k] = detail[3 * k];
            (*pp)[2 * k + 1] = detail[3 * k + 1];
        }
    }
    free(detail);
    free(items);
    if (objs)
        for (size_t i = 0; i < b->n; i++) json_decref(objs[i]);
    free(objs);
    return rc;
}

/* Score everything from fp into spool. Returns an exit status; prints its own message.
 * Nothing reaches stdout here. */
static int run(const lb_score_cfg_t *cfg, FILE *fp, FILE *spool) {
    int nthreads = omp_get_max_threads();
    double *jsc = NULL, *jp = NULL;
    size_t jcap = 0, *jfirst = NULL;
    int mass_checked = 0;   /* the judge labels' probability on the first batch, warned once */
    int status = LB_EXIT_FAIL;
    batch_t *b = calloc(1, sizeof *b);
    lb_score_worker_t *workers = calloc((size_t)nthreads, sizeof *workers);
    char *line = NULL;
    size_t line_cap = 0, total = 0;
    long lineno = 0;
    if (!b || !workers || !(b->err = calloc(BATCH, sizeof *b->err))) {
        fprintf(stderr, "leakbound score: out of memory\n");
        goto done;
    }
    for (int t = 0; t < nthreads; t++) {
        if (lb_text_scorer_new(&workers[t].scorer, NULL)) {
            fprintf(stderr, "leakbound score: out of memory\n");
            goto done;
        }
        lb_text_scorer_set_keyword_match(workers[t].scorer, cfg->opts.keyword_match);
    }
    for (;;) {
        int rc = read_batch(fp, b, &line, &line_cap, &lineno);
        if (rc) {
            fprintf(stderr, "leakbound score: %s:%ld: %s\n", cfg->path, lineno + 1,
                    rc == LB_EIO ? "read error" : "out of memory");
            goto done;
        }
        if (!b->n) break;
        long n = (long)b->n;
        if (cfg->metric == LB_METRIC_JUDGE) {
            lb_error_t je = {0};
            if (!jfirst && !(jfirst = malloc((BATCH + 1) * sizeof *jfirst))) {
                fprintf(stderr, "leakbound score: out of memory\n");
                goto done;
            }
            if ((rc = judge_batch(cfg, b, &jsc, &jp, &jcap, jfirst, &je))) {
                fprintf(stderr, "leakbound score: %s\n", je.msg);
                status = rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
                goto done;
            }
            lb_cli_score_judge_check_mass(cfg->opts.judge, "score", &mass_checked);
            /* The judge ran over the whole batch; the lines are put together in order. */
            for (long i = 0; i < n; i++) {
                lb_score_worker_t *w = &workers[0];
                w->judge = jsc + jfirst[i];
                w->judge_p = jp + 2 * jfirst[i];
                w->judge_n = jfirst[i + 1] - jfirst[i];
                w->judge_next = 0;
                b->rc[i] = lb_score_line(cfg, w, b->text + b->off[i], b->len[i], b->lineno[i],
                                         &b->out[i], &b->out_cap[i], &b->out_len[i], &b->err[i]);
            }
        } else {
#pragma omp parallel for schedule(dynamic, 64)
            for (long i = 0; i < n; i++) {
                lb_score_worker_t *w = &workers[omp_get_thread_num()];
                b->rc[i] = lb_score_line(cfg, w, b->text + b->off[i], b->len[i], b->lineno[i],
                                         &b->out[i], &b->out_cap[i], &b->out_len[i], &b->err[i]);
            }
        }
        for (size_t i = 0; i < b->n; i++) {
            if (b->rc[i]) {
                fprintf(stderr, "leakbound score: %s\n", b->err[i].msg);
                status = b->rc[i] == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
                goto done;
            }
            if (b->out_len[i] && (fwrite(b->out[i], 1, b->out_len[i], spool) != b->out_len[i] ||
                                  putc('\n', spool) == EOF)) {
                fprintf(stderr, "leakbound score: cannot write the temporary output: %s\n",
                        strerror(errno));
                goto done;
            }
        }
        total += b->n;
    }
    if (!total) {
        fprintf(stderr, "leakbound score: %s: empty input (no JSON lines)\n", cfg->path);
        status = LB_EXIT_USAGE;
        goto done;
    }
    status = LB_EXIT_OK;
done:
    free(line);
    free(jsc);
    free(jp);
    free(jfirst);
    if (workers) {
        for (int t = 0; t < nthreads; t++) {
            lb_text_scorer_free(workers[t].scorer);
            free(workers[t].kw);
            free(workers[t].kw_len);
        }
        free(workers);
    }
    if (b) {
        for (size_t i = 0; i < BATCH; i++) free(b->out[i]);
        free(b->err);
        free(b->text);
        free(b);
    }
    return status;
}

int lb_cli_score(int argc, char **argv) {
    static const struct option opts[] = {
        {"metric", required_argument, NULL, 'm'},
        {"reference-field", required_argument, NULL, 'r'},
        {"keywords-field", required_argument, NULL, 'k'},
        {"text-field", required_argument, NULL, 't'},
        {"id-field", required_argument, NULL, 'i'},
        {"prompt-field", required_argument, NULL, 'p'},
        LB_SCORE_OPTIONS,
        LB_CLI_THREADS_OPTION,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *metric = NULL, *field = NULL, *kw_field = NULL, *text_field = "text",
               *id_field = "id", *prompt_field = NULL;
    lb_cli_score_flags_t so;
    lb_cli_score_flags_init(&so);
    int c, st;
    lb_cli_parser_t cli = {.cmd = "score", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'm': metric = optarg; break;
        case 'r': field = optarg; break;
        case 'k': kw_field = optarg; break;
        case 't': text_field = optarg; break;
        case 'i': id_field = optarg; break;
        case 'p': prompt_field = optarg; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        case LB_CLI_BAD: return LB_EXIT_USAGE;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("score", optarg)) return LB_EXIT_USAGE;
            break;
        default:
            if ((st = lb_cli_score_option(&so, c, optarg, "score")) != 1) {
                if (st) return st;
                break;
            }
            return lb_cli_failf("score", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!metric) return lb_cli_failf("score", "--metric is required");
    lb_score_cfg_t cfg = {0};
    lb_error_t me;
    if (lb_metric_parse(metric, &cfg.metric, &me)) return lb_cli_failf("score", "%s", me.msg);
    cfg.opts = so.opts;
    cfg.field = cfg.metric == LB_METRIC_KEYWORDS && kw_field ? kw_field
                : field ? field : cfg.metric == LB_METRIC_KEYWORDS ? "keywords" : "reference";
    cfg.prompt_field = prompt_field;
    cfg.text_field = text_field;
    cfg.id_field = id_field;
    if (argc - optind > 1) return lb_cli_failf("score", "at most one input file");
    const char *in = optind < argc ? argv[optind] : "-";
    FILE *fp = stdin;
    cfg.path = "<stdin>";
    if (strcmp(in, "-")) {
        fp = fopen(in, "rb");
        if (!fp) return lb_cli_errorf("score", LB_EXIT_USAGE, "%s: cannot open: %s", in, strerror(errno));
        cfg.path = in;
    }
    /* The output waits in an unlinked temporary file; in memory when none can be made. */
    char *mem = NULL;
    size_t mem_len = 0;
    FILE *spool = tmpfile();
    int in_memory = 0;
    if (!spool) {
        spool = open_memstream(&mem, &mem_len);
        in_memory = 1;
    }
    if (!spool) {
        if (fp != stdin) fclose(fp);
        fprintf(stderr, "leakbound score: cannot create a temporary output\n");
        return LB_EXIT_FAIL;
    }
    json_object_seed(0);  /* before the threads: jansson seeds its hash on first use */
    lb_judge_t *judge = NULL;
    if (cfg.metric == LB_METRIC_JUDGE && (st = lb_cli_score_judge_open(&so, "score", &judge))) {
        if (fp != stdin) fclose(fp);
        fclose(spool);
        free(mem);
        return st;
    }
    cfg.opts.judge = judge;
    int status = run(&cfg, fp, spool);
    lb_judge_free(judge);
    if (fp != stdin) fclose(fp);
    if (in_memory) {
        int bad = fclose(spool);
        if (status == LB_EXIT_OK && (bad || fwrite(mem, 1, mem_len, stdout) != mem_len ||
                                     fflush(stdout))) {
            fprintf(stderr, "leakbound score: writing stdout failed\n");
            status = LB_EXIT_FAIL;
        }
        free(mem);
    } else {
        if (status == LB_EXIT_OK && copy_out(spool)) {
            fprintf(stderr, "leakbound score: writing stdout failed: %s\n", strerror(errno));
            status = LB_EXIT_FAIL;
        }
        fclose(spool);
    }
    return status;
}
