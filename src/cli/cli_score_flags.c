/* `leakbound score` and `eval`: the shared scoring flags (LB_SCORE_OPTIONS), their help text and
 * the judge's opening and how its label warning is printed; the scoring itself (and when to
 * warn) is the score module's (leakbound/score.h: lb_score_line, lb_score_stream). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_score.h"

const char lb_score_opts_help[] =
    "  --keyword-match M      word (default): a keyword leaks when it occurs, case-\n"
    "                         insensitively, with no letter or digit (Unicode L*, N*) right\n"
    "                         before or after it (\"Ron\" not in \"wrong\"; a phrase as a\n"
    "                         whole); substring: anywhere (the reference HP script's rule)\n"
    "  --strip-prefix S       score each generation without a leading S (after leading\n"
    "                         blanks), e.g. \"Answer:\"; repeatable (the first that matches\n"
    "                         is removed); '' strips nothing and turns a default off. The\n"
    "                         text written out stays as generated\n"
    "  --judge DIR            --metric judge: the judge model folder (a causal LM with its\n"
    "                         tokenizer.json; see docs/evaluation.md). score = P(A) / (P(A) +\n"
    "                         P(B)) over the first tokens of the two labels at the next\n"
    "                         position after the judge prompt\n"
    "  --judge-template T     the judge prompt: a literal with {response} and {prompt} (\\n,\n"
    "                         \\t, \\\\ read as escapes); default: the judge's chat template\n"
    "                         with the user turn and the assistant's answer\n"
    "  --judge-labels A,B     the two labels, verbatim (default unsafe,safe); a warning\n"
    "                         when their mean probability on the first batch is < 0.01\n"
    "  --judge-threshold t    score >= t counts as 1, else 0 (a binary metric: M_bin)\n"
    "  --judge-batch B        judge prompts per forward pass (default 16)\n"
    "  --judge-tokenizer F    the judge's tokenizer.json (or the folder holding it and its\n"
    "                         tokenizer_config.json) when the judge folder has none; the\n"
    "                         judge's sha256 in report.json then covers it\n";

void lb_cli_score_flags_init(lb_cli_score_flags_t *f) {
    memset(f, 0, sizeof *f);
    f->opts = lb_score_opts_default();
}

int lb_cli_score_judge_open(const lb_cli_score_flags_t *f, const char *cmd, lb_judge_t **out) {
    *out = NULL;
    if (!f->judge_dir) return lb_cli_failf(cmd, "--metric judge needs --judge DIR (the judge model)");
    lb_error_t err = {0};
    lb_judge_opts_t jo = {.tmpl = f->judge_tmpl, .labels = f->judge_labels,
                          .batch = f->judge_batch, .tokenizer = f->judge_tokenizer};
    int rc = lb_judge_open(f->judge_dir, &jo, out, &err);
    if (!rc) return LB_EXIT_OK;
    fprintf(stderr, "leakbound %s: %s\n", cmd, err.msg);
    return rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
}

void lb_cli_score_warn(void *cmd, const char *msg) {
    fprintf(stderr, "leakbound %s: warning: %s\n", (const char *)cmd, msg);
}

int lb_cli_score_option(lb_cli_score_flags_t *o, int c, const char *arg, const char *cmd) {
    lb_error_t e;
    switch (c) {
    case LB_SCO_KEYWORD_MATCH:
        if (lb_text_match_parse(arg, &o->opts.keyword_match, &e))
            return lb_cli_failf(cmd, "--keyword-match: expected word or substring, got '%s'", arg);
        return 0;
    case LB_SCO_STRIP_PREFIX:
        o->strip_given = 1;
        if (!*arg) return 0;
        if (o->opts.n_strip == LB_SCORE_MAX_STRIP)
            return lb_cli_failf(cmd, "--strip-prefix: at most %d strings", LB_SCORE_MAX_STRIP);
        o->opts.strip[o->opts.n_strip++] = arg;
        return 0;
    case LB_SCO_JUDGE: o->judge_dir = arg; return 0;
    case LB_SCO_JUDGE_TOKENIZER: o->judge_tokenizer = arg; return 0;
    case LB_SCO_JUDGE_TEMPLATE: o->judge_tmpl = arg; return 0;
    case LB_SCO_JUDGE_LABELS: o->judge_labels = arg; return 0;
    case LB_SCO_JUDGE_THRESHOLD:
        if (lb_cli_parse_double(arg, &o->opts.judge_threshold) || !(o->opts.judge_threshold >= 0) ||
            o->opts.judge_threshold > 1)
            return lb_cli_failf(cmd, "--judge-threshold: expected a number in [0, 1], got '%s'", arg);
        return 0;
    case LB_SCO_JUDGE_BATCH: {
        long v;
        if (lb_cli_parse_long(arg, &v) || v < 1 || v > 4096)
            return lb_cli_failf(cmd, "--judge-batch: expected an integer in [1, 4096], got '%s'", arg);
        o->judge_batch = (int)v;
        return 0;
    }
    default: return 1;
    }
}
