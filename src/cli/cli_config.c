/* leakbound config show: the resolved configuration of a --config file (src/train/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_mpi.h"
#include "leakbound/io.h"
#include "leakbound/train_config.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound config show FILE.yaml [KEY=VALUE ...]\n"
            "                             [--for finetune|unlearn|eval|tofu] [--data-dir DIR] [--json]\n\n"
            "Print the configuration `finetune|unlearn|eval|tofu --config FILE.yaml [KEY=VALUE ...]`\n"
            "runs: every key of the reference's Hydra files (hparams.*) with its value and where it\n"
            "comes from (file, override, default), then the keys it ignores (device,\n"
            "gradient_checkpointing, the defaults: and hydra: blocks, ...; for eval and tofu the\n"
            "training keys), and for eval and tofu the flags the file stands for. Unknown keys and\n"
            "bad values are errors naming the file, the line and the key.\n\n"
            "  --for C       finetune, unlearn, eval or tofu (default: guessed from the file:\n"
            "                hparams.training or hparams.dataset make it a finetune file, else\n"
            "                unlearn)\n"
            "  --data-dir D  as the training commands' --data-dir (hparams.data_dir=D)\n"
            "  --json        {\"command\", \"config\": {key: value}, \"sources\": {key: source},\n"
            "                \"ignored\": [key, ...]} (eval, tofu: also \"flags\": [...]) instead\n"
            "                of text\n"
            "  -h, --help    this text\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

static int show(int argc, char **argv) {
    static const struct option opts[] = {{"for", required_argument, 0, 'f'},
                                         {"data-dir", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *command = NULL, *data_dir = NULL;
    int as_json = 0, c;
    lb_cli_parser_t cli = {.cmd = "config", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'f': command = optarg; break;
        case 'd': data_dir = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE;
        }
    }
    if (command && strcmp(command, "finetune") && strcmp(command, "unlearn") &&
        strcmp(command, "eval") && strcmp(command, "tofu"))
        return lb_cli_failf("config", "--for: want finetune, unlearn, eval or tofu, got '%s'", command);
    if (optind >= argc) return lb_cli_failf("config", "show: a YAML file is required");
    const char *path = argv[optind++];
    lb_error_t err = {0};
    lb_train_config_t *cfg = NULL;
    int rc = lb_train_config_load_dir(path, command, (const char *const *)argv + optind,
                                      (size_t)(argc - optind), data_dir, &cfg, &err);
    if (rc) return rc == LB_ENOMEM ? (lb_cli_fail("config", &err), LB_EXIT_FAIL) : lb_cli_fail("config", &err);
    json_t *full = lb_train_config_json(cfg, 1);
    const char *const *ign, *const *flags = NULL;
    size_t n_ign = lb_train_config_ignored(cfg, &ign), n_flags = 0;
    const char *cmd = lb_train_config_command(cfg);
    int status = LB_EXIT_OK, runs_as_flags = !strcmp(cmd, "eval") || !strcmp(cmd, "tofu");
    if (runs_as_flags && lb_train_config_args(cfg, 0, NULL, NULL, &flags, &n_flags, &err)) {
        json_decref(full);
        lb_train_config_free(cfg);
        return err.code == LB_ENOMEM ? (lb_cli_fail("config", &err), LB_EXIT_FAIL) : lb_cli_fail("config", &err);
    }
    if (!full) {
        status = LB_EXIT_FAIL;
    } else if (as_json) {
        json_t *doc = NULL;
        if (lb_train_config_show_json(cfg, &doc, &err)) {
            json_decref(full);
            lb_train_config_free(cfg);
            return lb_cli_errorf("config", LB_EXIT_FAIL, "%s", err.msg);
        }
        char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        if (!s || puts(s) < 0 || fflush(stdout)) status = LB_EXIT_FAIL;
        free(s);
        json_decref(doc);
    } else {
        printf("# %s, as `leakbound %s --config` runs it\n", path, lb_train_config_command(cfg));
        const char *k;
        json_t *v;
        json_object_foreach(full, k, v) {
            json_t *x = json_object_get(v, "value");
            char num[64], *val = NULL;
            if (json_is_real(x)) lb_io_json_describe(x, num, sizeof num); /* shortest: 1e-05, 0.05 */
            else val = json_dumps(x, JSON_ENCODE_ANY);
            printf("%s: %s  # %s\n", k, val ? val : num, json_string_value(json_object_get(v, "source")));
            free(val);
        }
        printf("# ignored:");
        for (size_t i = 0; i < n_ign; i++) printf("%s %s", i ? "," : "", ign[i]);
        printf("%s\n", n_ign ? "" : " none");
        if (runs_as_flags) {
            printf("# as flags:");
            for (size_t i = 0; i < n_flags; i++) {
                json_t *js = json_string(flags[i]);
                char *q = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
                printf(" %s", i % 2 ? (q ? q : "?") : flags[i]);
                free(q);
                json_decref(js);
            }
            printf("\n");
        }
        if (fflush(stdout)) status = LB_EXIT_FAIL;
    }
    json_decref(full);
    lb_train_config_free(cfg);
    return status;
}

int lb_cli_config(int argc, char **argv) {
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return LB_EXIT_OK;
    }
    if (argc < 2) return lb_cli_failf("config", "an action is required: show");
    if (argv[1][0] == '-') return lb_cli_failf("config", "unknown option '%s'", argv[1]);
    if (strcmp(argv[1], "show")) return lb_cli_failf("config", "unknown action '%s' (want show)", argv[1]);
    return show(argc - 1, argv + 1);
}

/* The new argv of lb_cli_config_expand and the configuration its strings point into: they live
 * until the process ends (the command reads them while it runs). */
static lb_train_config_t *expand_cfg;
static char **expand_argv;

int lb_cli_config_expand(const char *cmd, int *argc, char ***argv) {
    int n = *argc, at = -1;
    char **av = *argv;
    const char *path = NULL, *data_dir = NULL;
    for (int i = 1; i < n; i++) {
        if (!strcmp(av[i], "--")) break;
        if (!strcmp(av[i], "--config") || !strncmp(av[i], "--config=", 9)) {
            if (at >= 0) return lb_cli_failf(cmd, "--config is given twice");
            at = i;
            path = av[i][8] == '=' ? av[i] + 9 : i + 1 < n ? av[i + 1] : NULL;
            if (!path) return lb_cli_failf(cmd, "--config: a YAML file is required");
        }
    }
    if (at < 0) return 0;
    /* drop[i]: argv[i] belongs to --config (the flag, FILE, the overrides) or --data-dir */
    char *drop = calloc((size_t)n, 1);
    const char **ov = calloc((size_t)n + 1, sizeof *ov);
    if (!drop || !ov) {
        free(drop), free(ov);
        return lb_cli_errorf(cmd, LB_EXIT_FAIL, "out of memory");
    }
    size_t n_ov = 0;
    int j = at + (av[at][8] == '=' ? 1 : 2);
    drop[at] = 1;
    if (j == at + 2) drop[at + 1] = 1;
    for (; j < n && av[j][0] != '-' && (strchr(av[j], '=') || av[j][0] == '~'); j++) {
        drop[j] = 1;
        ov[n_ov++] = av[j];
    }
    for (int i = 1; i < n; i++) {
        if (!strcmp(av[i], "--")) break;
        if (!strcmp(av[i], "--data-dir") && i + 1 < n) data_dir = av[i + 1], drop[i] = drop[i + 1] = 1;
        else if (!strncmp(av[i], "--data-dir=", 11)) data_dir = av[i] + 11, drop[i] = 1;
        else if (!strcmp(av[i], "--samples") || !strncmp(av[i], "--samples=", 10)) {
            free(drop), free(ov);
            return lb_cli_failf(cmd, "--config describes a model to sample; --samples FILE has "
                                "its answers already (give the one or the other)");
        }
    }
    /* the command's own arguments: what is left */
    char **own = calloc((size_t)n + 1, sizeof *own);
    int n_own = 0;
    if (own)
        for (int i = 1; i < n; i++)
            if (!drop[i]) own[n_own++] = av[i];
    lb_error_t err = {0};
    const char *const *flags = NULL;
    size_t n_flags = 0;
    lb_train_config_free(expand_cfg);
    expand_cfg = NULL;
    int rc = own ? lb_train_config_load_dir(path, cmd, ov, n_ov, data_dir, &expand_cfg, &err)
                 : lb_error_set(&err, LB_ENOMEM, "out of memory");
    int root = lb_cli_mpi_rank() == 0;
    if (!rc) rc = lb_train_config_args(expand_cfg, n_own, own, root ? stderr : NULL, &flags, &n_flags, &err);
    free(drop), free(ov);
    if (!rc) {
        free(expand_argv);
        if (!(expand_argv = calloc((size_t)n_own + n_flags + 2, sizeof *expand_argv)))
            rc = lb_error_set(&err, LB_ENOMEM, "out of memory");
    }
    if (rc) {
        free(own);
        return rc == LB_ENOMEM ? (lb_cli_fail(cmd, &err), LB_EXIT_FAIL) : lb_cli_fail(cmd, &err);
    }
    int k = 0;
    expand_argv[k++] = av[0];
    for (size_t i = 0; i < n_flags; i++) expand_argv[k++] = (char *)flags[i];
    for (int i = 0; i < n_own; i++) expand_argv[k++] = own[i];
    expand_argv[k] = NULL;
    free(own);
    const char *const *ign;
    size_t n_ign = lb_train_config_ignored(expand_cfg, &ign);
    if (n_ign && root) {
        fprintf(stderr, "leakbound %s: %s: ignored (they do not apply to %s):", cmd, path, cmd);
        for (size_t i = 0; i < n_ign; i++) fprintf(stderr, "%s %s", i ? "," : "", ign[i]);
        fputc('\n', stderr);
    }
    *argc = k;
    *argv = expand_argv;
    return 0;
}
