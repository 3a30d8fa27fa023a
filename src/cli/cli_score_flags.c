/* `leakbound score` and `eval`: the shared scoring flags (LB_SCORE_OPTIONS), their help text,
 * their codes handed to the score module by name (lb_score_opts_set reads them), and how the
 * judge's opening failure and label warning are printed; opening the judge and the scoring
 * itself are the score module's (leakbound/score.h: lb_score_judge_open, lb_score_stream). */
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
    lb_error_t err = {0};
    int rc = lb_score_judge_open(&f->judge, out, &err);
    if (!rc) return LB_EXIT_OK;
    if (!f->judge.dir) return lb_cli_failf(cmd, "%s", err.msg); /* a usage error: the hint */
    fprintf(stderr, "leakbound %s: %s\n", cmd, err.msg);
    return rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
}

void lb_cli_score_warn(void *cmd, const char *msg) {
    fprintf(stderr, "leakbound %s: warning: %s\n", (const char *)cmd, msg);
}

int lb_cli_score_option(lb_cli_score_flags_t *o, int c, const char *arg, const char *cmd) {
    static const char *const names[] = {"keyword-match", "strip-prefix", "judge",
                                        "judge-template", "judge-labels", "judge-threshold",
                                        "judge-batch", "judge-tokenizer"};
    _Static_assert(sizeof names / sizeof *names ==
                       LB_SCO_JUDGE_TOKENIZER - LB_SCO_KEYWORD_MATCH + 1,
                   "one name per LB_SCO_* code, in order");
    if (c < LB_SCO_KEYWORD_MATCH || c > LB_SCO_JUDGE_TOKENIZER) return 1;
    lb_error_t e = {0};
    if (lb_score_opts_set(&o->opts, &o->judge, names[c - LB_SCO_KEYWORD_MATCH], arg, &e))
        return lb_cli_failf(cmd, "%s", e.msg);
    o->strip_given |= c == LB_SCO_STRIP_PREFIX;
    return 0;
}
