/* leakbound unlearn: GA, GD or NPO on a forget set, optionally with entropy optimisation. */
#include <stdio.h>

#include "cli.h"
#include "cli_train.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound unlearn --model DIR --forget FILE --retain FILE --method ga|gd|npo\n"
            "                         [--entropy LF,LR] [--beta B] [--lambda L] --out DIR [options]\n\n"
            "Unlearn the forget set (docs/training.md). Each forget example is paired with a\n"
            "uniformly random retain example (seeded). Losses (L_f, L_r: token-mean NLL):\n"
            "  ga    -L_f\n"
            "  gd    lambda L_r - L_f\n"
            "  npo   -(2/beta) mean log sigmoid(beta (s - s_ref)) + lambda L_r, s the summed answer\n"
            "        NLL, s_ref under the frozen starting model\n"
            "  --entropy LF,LR adds LF x mean entropy of the forget logits + LR x that of the retain\n"
            "  logits (every position of the padded batch; defaults 1,-0.25 when given as --entropy\n"
            "  LF alone).\n\n"
            "  --model DIR           starting checkpoint (also NPO's reference)\n"
            "  --forget FILE         examples to forget\n"
            "  --retain FILE         examples to keep (needed by gd, npo and a retain entropy)\n"
            "  --method M            ga, gd or npo\n"
            "  --entropy LF,LR       entropy weights (off by default)\n"
            "  --entropy-positions P all (default: prompt, answer and padding) or answer\n"
            "  --beta B              NPO temperature, default 0.05\n"
            "  --lambda L            retain weight for gd / npo, default 1\n"
            "%s",
            lb_cli_train_flags_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

int lb_cli_unlearn(int argc, char **argv) {
    lb_train_run_opts_t o;
    int rc = lb_cli_train_parse("unlearn", argc, argv, &o, usage);
    if (rc) return rc < 0 ? LB_EXIT_OK : rc;
    return lb_cli_train_run("unlearn", &o);
}
