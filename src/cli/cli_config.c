/* leakbound config show: the resolved configuration of a --config file (src/train/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/io.h"
#include "leakbound/train_config.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound config show FILE.yaml [KEY=VALUE ...] [--for finetune|unlearn]\n"
            "                             [--data-dir DIR] [--json]\n\n"
            "Print the configuration `finetune|unlearn --config FILE.yaml [KEY=VALUE ...]` runs:\n"
            "every key of the reference's Hydra files (hparams.*) with its value and where it\n"
            "comes from (file, override, default), then the keys it ignores (device,\n"
            "gradient_checkpointing, the defaults: and hydra: blocks, ...). Unknown keys and bad\n"
            "values are errors naming the file, the line and the key.\n\n"
            "  --for C       finetune or unlearn (default: guessed from the file: hparams.training\n"
            "                or hparams.dataset make it a finetune file)\n"
            "  --data-dir D  as the training commands' --data-dir (hparams.data_dir=D)\n"
            "  --json        {\"command\", \"config\": {key: value}, \"sources\": {key: source},\n"
            "                \"ignored\": [key, ...]} instead of text\n"
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
    if (command && strcmp(command, "finetune") && strcmp(command, "unlearn"))
        return lb_cli_failf("config", "--for: want finetune or unlearn, got '%s'", command);
    if (optind >= argc) return lb_cli_failf("config", "show: a YAML file is required");
    const char *path = argv[optind++];
    size_t n_ov = (size_t)(argc - optind);
    const char **ov = calloc(n_ov + 1, sizeof *ov);
    char *dd = data_dir ? malloc(strlen(data_dir) + 20) : NULL;
    if (!ov || (data_dir && !dd)) {
        free(ov);
        free(dd);
        fprintf(stderr, "leakbound config: out of memory\n");
        return LB_EXIT_FAIL;
    }
    for (size_t i = 0; i < n_ov; i++) ov[i] = argv[optind + (int)i];
    if (dd) {
        sprintf(dd, "hparams.data_dir=%s", data_dir);
        ov[n_ov++] = dd;
    }
    lb_error_t err = {0};
    lb_train_config_t *cfg = NULL;
    int rc = lb_train_config_load(path, command, ov, n_ov, &cfg, &err);
    free(ov);
    free(dd);
    if (rc) return rc == LB_ENOMEM ? (lb_cli_fail("config", &err), LB_EXIT_FAIL) : lb_cli_fail("config", &err);
    json_t *full = lb_train_config_json(cfg, 1);
    const char *const *ign;
    size_t n_ign = lb_train_config_ignored(cfg, &ign);
    int status = LB_EXIT_OK;
    if (!full) {
        status = LB_EXIT_FAIL;
    } else if (as_json) {
        json_t *doc = json_object(), *vals = json_object(), *src = json_object(), *ig = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(full, k, v) {
            json_object_set(vals, k, json_object_get(v, "value"));
            json_object_set(src, k, json_object_get(v, "source"));
        }
        for (size_t i = 0; i < n_ign; i++) json_array_append_new(ig, json_string(ign[i]));
        json_object_set_new(doc, "file", json_string(path));
        json_object_set_new(doc, "command", json_string(lb_train_config_command(cfg)));
        json_object_set_new(doc, "config", vals);
        json_object_set_new(doc, "sources", src);
        json_object_set_new(doc, "ignored", ig);
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
