/* The reference's Hydra YAML experiment files as finetune/unlearn options (contract:
 * include/leakbound/train_config.h). */
#include "leakbound/train_config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "leakbound/io.h"

typedef enum { K_STR, K_INT, K_NUM, K_IGN } kind_t;

typedef struct {
    const char *key;
    kind_t kind;
    const char *def;     /* the value when omitted, as YAML text; NULL: none */
    double lo, hi;       /* K_INT/K_NUM range */
    int lo_open;         /* (lo, hi] */
    const char *choices; /* K_STR: "a|b|c" allowed values, NULL: any */
} spec_t;

#define BIG 1e300
/* A macro's value as a string literal (the defaults below are YAML text). */
#define LB_TRAIN_TEXT_(x) #x
#define LB_TRAIN_TEXT(x) LB_TRAIN_TEXT_(x)
#define NSPEC_MAX 48

/* The reference's keys, in its files' order, with its published values. */
static const spec_t UNLEARN[] = {
    {"hparams.device", K_IGN, NULL, 0, 0, 0, NULL},
    {"hparams.tokenizer_model", K_STR, NULL, 0, 0, 0, NULL},
    {"hparams.model", K_STR, NULL, 0, 0, 0, NULL},
    {"hparams.question_start_tag", K_STR, "Question: ", 0, 0, 0, NULL},
    {"hparams.question_end_tag", K_STR, "\n", 0, 0, 0, NULL},
    {"hparams.answer_tag", K_STR, "Answer: ", 0, 0, 0, NULL},
    {"hparams.max_length", K_INT, "256", 2, 1 << 20, 0, NULL},
    {"hparams.batch_size_inference", K_IGN, NULL, 0, 0, 0, NULL},
    {"hparams.unlearning_loss", K_STR, NULL, 0, 0, 0, "grad_ascent|grad_diff|npo"},
    {"hparams.lambda", K_NUM, "1", -BIG, BIG, 0, NULL},
    {"hparams.beta", K_NUM, "0.05", 0, BIG, 1, NULL},
    {"hparams.regularization", K_STR, "none", 0, 0, 0, "entropy|none"},
    {"hparams.lambda_f", K_NUM, "1", -BIG, BIG, 0, NULL},
    {"hparams.lambda_r", K_NUM, LB_TRAIN_TEXT(LB_TRAIN_ENTROPY_RETAIN_DEFAULT), -BIG, BIG, 0, NULL},
    {"hparams.batch_size", K_INT, "16", 1, 1 << 20, 0, NULL},
    {"hparams.gradient_accumulation_steps", K_INT, "4", 1, 1 << 20, 0, NULL},
    {"hparams.learning_rate", K_NUM, "1e-5", 0, BIG, 1, NULL},
    {"hparams.num_epochs", K_INT, "10", 1, 1 << 20, 0, NULL},
    {"hparams.weight_decay", K_NUM, "0.01", 0, BIG, 0, NULL},
    {"hparams.gradient_checkpointing", K_IGN, NULL, 0, 0, 0, NULL},
    {"hparams.save_model", K_IGN, NULL, 0, 0, 0, NULL},
    {"hparams.seed", K_INT, "0", 0, 1099511627776.0, 0, NULL},
    {"hparams.split", K_INT, "10", 1, 99, 0, NULL},
    {"hparams.data_dir", K_STR, NULL, 0, 0, 0, NULL},
};

static const spec_t FINETUNE[] = {
    {"hparams.device", K_IGN, NULL, 0, 0, 0, NULL},
    {"hparams.model", K_STR, NULL, 0, 0, 0, NULL},
    {"hparams.tokenizer_model", K_STR, NULL, 0, 0, 0, NULL},
    {"hparams.question_start_tag", K_STR, "Question: ", 0, 0, 0, NULL},
    {"hparams.question_end_tag", K_STR, "\n", 0, 0, 0, NULL},
    {"hparams.answer_tag", K_STR, "Answer: ", 0, 0, 0, NULL},
    {"hparams.max_length", K_INT, "256", 2, 1 << 20, 0, NULL},
    {"hparams.dataset", K_STR, "full", 0, 0, 0, NULL},
    {"hparams.training.seed", K_INT, "0", 0, 1099511627776.0, 0, NULL},
    {"hparams.training.batch_size", K_INT, "16", 1, 1 << 20, 0, NULL},
    {"hparams.training.gradient_accumulation_steps", K_INT, "2", 1, 1 << 20, 0, NULL},
    {"hparams.training.learning_rate", K_NUM, "2e-5", 0, BIG, 1, NULL},
    {"hparams.training.num_epochs", K_INT, "5", 1, 1 << 20, 0, NULL},
    {"hparams.training.weight_decay", K_NUM, "0.01", 0, BIG, 0, NULL},
    {"hparams.training.gradient_checkpointing", K_IGN, NULL, 0, 0, 0, NULL},
    {"hparams.data_dir", K_STR, NULL, 0, 0, 0, NULL},
};

/* eval and tofu read the same files (and the sampling demo's num_samples, top_p, temperature):
 * the keys that describe the model, the prompt and the data apply, the training keys are
 * ignored. E: the kind of the sampling keys (K_INT for eval, K_IGN for tofu). */
#define EVAL_KEYS(E)                                                                    \
    {"hparams.device", K_IGN, NULL, 0, 0, 0, NULL},                                     \
    {"hparams.tokenizer_model", K_STR, NULL, 0, 0, 0, NULL},                            \
    {"hparams.model", K_STR, NULL, 0, 0, 0, NULL},                                      \
    {"hparams.question_start_tag", K_STR, "Question: ", 0, 0, 0, NULL},                 \
    {"hparams.question_end_tag", K_STR, "\n", 0, 0, 0, NULL},                           \
    {"hparams.answer_tag", K_STR, NULL, 0, 0, 0, NULL},                                 \
    {"hparams.max_length", K_INT, NULL, 2, 1 << 20, 0, NULL},                           \
    {"hparams.batch_size_inference", K_IGN, NULL, 0, 0, 0, NULL},                       \
    {"hparams.unlearning_loss", K_IGN, NULL, 0, 0, 0, NULL},                            \
    {"hparams.lambda", K_IGN, NULL, 0, 0, 0, NULL},                                     \
    {"hparams.beta", K_IGN, NULL, 0, 0, 0, NULL},                                       \
    {"hparams.regularization", K_IGN, NULL, 0, 0, 0, NULL},                             \
    {"hparams.lambda_f", K_IGN, NULL, 0, 0, 0, NULL},                                   \
    {"hparams.lambda_r", K_IGN, NULL, 0, 0, 0, NULL},                                   \
    {"hparams.batch_size", K_IGN, NULL, 0, 0, 0, NULL},                                 \
    {"hparams.gradient_accumulation_steps", K_IGN, NULL, 0, 0, 0, NULL},                \
    {"hparams.learning_rate", K_IGN, NULL, 0, 0, 0, NULL},                              \
    {"hparams.num_epochs", K_IGN, NULL, 0, 0, 0, NULL},                                 \
    {"hparams.weight_decay", K_IGN, NULL, 0, 0, 0, NULL},                               \
    {"hparams.gradient_checkpointing", K_IGN, NULL, 0, 0, 0, NULL},                     \
    {"hparams.save_model", K_IGN, NULL, 0, 0, 0, NULL},                                 \
    {"hparams.seed", E, NULL, 0, 1099511627776.0, 0, NULL},                             \
    {"hparams.split", K_INT, NULL, 1, 99, 0, NULL},                                     \
    {"hparams.dataset", E == K_INT ? K_STR : K_IGN, NULL, 0, 0, 0, NULL},               \
    {"hparams.training.seed", K_IGN, NULL, 0, 0, 0, NULL},                              \
    {"hparams.training.batch_size", K_IGN, NULL, 0, 0, 0, NULL},                        \
    {"hparams.training.gradient_accumulation_steps", K_IGN, NULL, 0, 0, 0, NULL},       \
    {"hparams.training.learning_rate", K_IGN, NULL, 0, 0, 0, NULL},                     \
    {"hparams.training.num_epochs", K_IGN, NULL, 0, 0, 0, NULL},                        \
    {"hparams.training.weight_decay", K_IGN, NULL, 0, 0, 0, NULL},                      \
    {"hparams.training.gradient_checkpointing", K_IGN, NULL, 0, 0, 0, NULL},            \
    {"hparams.num_samples", E, NULL, 1, 1000000, 0, NULL},                              \
    {"hparams.top_p", E == K_INT ? K_NUM : K_IGN, NULL, 0, 1, 1, NULL},                 \
    {"hparams.temperature", E == K_INT ? K_NUM : K_IGN, NULL, 0, BIG, 1, NULL},         \
    {"hparams.data_dir", K_STR, NULL, 0, 0, 0, NULL}

static const spec_t EVAL[] = {EVAL_KEYS(K_INT)};
static const spec_t TOFU[] = {EVAL_KEYS(K_IGN)};

/* Top-level blocks that configure Hydra itself (launcher, sweeper, output dirs). */
static const char *const BLOCKS[] = {"defaults", "hydra"};

enum { SRC_DEFAULT, SRC_FILE, SRC_OVERRIDE };

typedef struct {
    int set, source, quoted;
    char *text;        /* as written (quotes removed) */
    long line;         /* file line, 0 for an override */
    double num;
    long long i;
} val_t;

enum { CMD_FINETUNE, CMD_UNLEARN, CMD_EVAL, CMD_TOFU };
static const char *const CMD_NAME[] = {"finetune", "unlearn", "eval", "tofu"};

struct lb_train_config {
    char *path;
    int unlearn;
    int cmd;                       /* CMD_* */
    const spec_t *spec;
    size_t n_spec;
    val_t val[NSPEC_MAX];
    char **ignored;
    size_t n_ignored;
    /* applied strings (owned) */
    char *template_lit, *data_path, *retain_path;
    /* eval/tofu: the flags (lb_train_config_args; owned) */
    char **args;
    size_t n_args;
};

static const char *SRC_NAME[] = {"default", "file", "override"};

static int find(const lb_train_config_t *c, const char *key) {
    for (size_t i = 0; i < c->n_spec; i++)
        if (!strcmp(c->spec[i].key, key)) return (int)i;
    return -1;
}

/* " (did you mean K?)" for the nearest known key, or "". */
static void suggest(const lb_train_config_t *c, const char *key, char *buf, size_t cap) {
    size_t best = SIZE_MAX, bi = 0;
    for (size_t i = 0; i < c->n_spec; i++) {
        size_t d = lb_edit_distance(key, strlen(key), c->spec[i].key, strlen(c->spec[i].key));
        if (d < best) best = d, bi = i;
    }
    size_t lim = strlen(key) / 3 > 3 ? strlen(key) / 3 : 3;
    if (best <= lim) snprintf(buf, cap, " (did you mean %s?)", c->spec[bi].key);
    else snprintf(buf, cap, " (known keys: hparams.*, as in the reference's %s files)",
                  c->cmd == CMD_UNLEARN ? "unlearning/configs" : c->cmd == CMD_FINETUNE
                  ? "finetuning/configs" : "finetuning/ and unlearning/configs");
}

static int is_block(const char *key) {
    for (size_t i = 0; i < sizeof BLOCKS / sizeof *BLOCKS; i++) {
        size_t n = strlen(BLOCKS[i]);
        if (!strncmp(key, BLOCKS[i], n) && (key[n] == '\0' || key[n] == '.')) return 1;
    }
    return 0;
}

static int add_ignored(lb_train_config_t *c, const char *key) {
    for (size_t i = 0; i < c->n_ignored; i++)
        if (!strcmp(c->ignored[i], key)) return 0;
    char **p = realloc(c->ignored, (c->n_ignored + 1) * sizeof *p);
    if (!p) return LB_ENOMEM;
    c->ignored = p;
    if (!(p[c->n_ignored] = strdup(key))) return LB_ENOMEM;
    c->n_ignored++;
    return 0;
}

/* Does some known key start with prefix + "."? */
static int known_prefix(const lb_train_config_t *c, const char *prefix) {
    size_t n = strlen(prefix);
    for (size_t i = 0; i < c->n_spec; i++)
        if (!strncmp(c->spec[i].key, prefix, n) && c->spec[i].key[n] == '.') return 1;
    return 0;
}

static int set_value(lb_train_config_t *c, int k, const char *text, int quoted, int source, long line,
                     lb_error_t *err) {
    val_t *v = &c->val[k];
    char *t = strdup(text);
    if (!t) return lb_error_set(err, LB_ENOMEM, "out of memory");
    free(v->text);
    v->text = t;
    v->set = 1, v->quoted = quoted, v->source = source, v->line = line;
    return 0;
}

static int walk(lb_train_config_t *c, yaml_document_t *doc, yaml_node_t *node, const char *prefix,
                lb_error_t *err) {
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key), *vn = yaml_document_get_node(doc, p->value);
        long line = (long)kn->start_mark.line + 1;
        if (kn->type != YAML_SCALAR_NODE)
            return lb_error_set(err, LB_EFORMAT, "%s:%ld: a key must be a plain name", c->path, line);
        char key[512];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", (const char *)kn->data.scalar.value);
        if (!*prefix && is_block(key)) {
            if (add_ignored(c, key)) return lb_error_set(err, LB_ENOMEM, "out of memory");
            continue;
        }
        int k = find(c, key);
        if (k < 0 && vn->type == YAML_MAPPING_NODE && known_prefix(c, key)) {
            int rc = walk(c, doc, vn, key, err);
            if (rc) return rc;
            continue;
        }
        if (k < 0) {
            char hint[256];
            suggest(c, key, hint, sizeof hint);
            return lb_error_set(err, LB_EFORMAT, "%s:%ld: unknown key %s%s", c->path, line, key, hint);
        }
        if (c->spec[k].kind == K_IGN) {
            if (add_ignored(c, key)) return lb_error_set(err, LB_ENOMEM, "out of memory");
            continue;
        }
        if (c->val[k].set)
            return lb_error_set(err, LB_EFORMAT, "%s:%ld: %s is given twice (also line %ld)", c->path,
                                line, key, c->val[k].line);
        if (vn->type != YAML_SCALAR_NODE)
            return lb_error_set(err, LB_EFORMAT, "%s:%ld: %s must be a single value, not a %s", c->path,
                                line, key, vn->type == YAML_MAPPING_NODE ? "mapping" : "list");
        int quoted = vn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        int rc = set_value(c, k, (const char *)vn->data.scalar.value, quoted, SRC_FILE, line, err);
        if (rc) return rc;
    }
    return 0;
}

static int load_yaml(lb_train_config_t *c, const char *buf, size_t len, lb_error_t *err) {
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return lb_error_set(err, LB_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = lb_error_set(err, LB_EFORMAT, "%s:%zu:%zu: malformed YAML: %s", c->path,
                          parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                          parser.problem ? parser.problem : "parse error");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        rc = lb_error_set(err, LB_EFORMAT, "%s: not a YAML mapping (want hparams: ... as in the "
                          "reference's configs)", c->path);
    else
        rc = walk(c, &doc, root, "", err);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

static int apply_override(lb_train_config_t *c, const char *ov, lb_error_t *err) {
    const char *s = ov;
    if (*s == '~') {
        int k = find(c, s + 1);
        if (k < 0 && is_block(s + 1)) return 0;
        if (k < 0) {
            char hint[256];
            suggest(c, s + 1, hint, sizeof hint);
            return lb_error_set(err, LB_EINVAL, "override '%s': unknown key %s%s", ov, s + 1, hint);
        }
        free(c->val[k].text);
        memset(&c->val[k], 0, sizeof c->val[k]);
        return 0;
    }
    while (*s == '+') s++;
    const char *eq = strchr(s, '=');
    if (!eq || eq == s)
        return lb_error_set(err, LB_EINVAL, "override '%s': want key=value (e.g. hparams.num_epochs=1)", ov);
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)(eq - s), s);
    if (is_block(key)) return add_ignored(c, key) ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
    int k = find(c, key);
    if (k < 0) {
        char hint[256];
        suggest(c, key, hint, sizeof hint);
        return lb_error_set(err, LB_EINVAL, "override '%s': unknown key %s%s", ov, key, hint);
    }
    if (c->spec[k].kind == K_IGN) return add_ignored(c, key) ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
    const char *v = eq + 1;
    size_t n = strlen(v);
    int quoted = n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0];
    char val[4096];
    snprintf(val, sizeof val, "%.*s", quoted ? (int)n - 2 : (int)n, quoted ? v + 1 : v);
    return set_value(c, k, val, quoted, SRC_OVERRIDE, 0, err);
}

/* Where a value came from, for messages: "FILE:LINE: KEY" or "override KEY". */
static void where(const lb_train_config_t *c, int k, char *buf, size_t cap) {
    const val_t *v = &c->val[k];
    if (v->source == SRC_FILE) snprintf(buf, cap, "%s:%ld: %s", c->path, v->line, c->spec[k].key);
    else if (v->source == SRC_OVERRIDE) snprintf(buf, cap, "override %s", c->spec[k].key);
    else snprintf(buf, cap, "%s (default)", c->spec[k].key);
}

static int is_null(const val_t *v) {
    return !v->quoted && (!strcmp(v->text, "null") || !strcmp(v->text, "~") || !strcmp(v->text, "Null") ||
                          !strcmp(v->text, "NULL") || !*v->text);
}

/* Type and range of every value; defaults filled in. */
static int check_values(lb_train_config_t *c, lb_error_t *err) {
    for (size_t k = 0; k < c->n_spec; k++) {
        const spec_t *s = &c->spec[k];
        val_t *v = &c->val[k];
        if (s->kind == K_IGN) continue;
        if (v->set && s->kind == K_STR && is_null(v)) { /* null: the default */
            free(v->text);
            memset(v, 0, sizeof *v);
        }
        if (!v->set && s->def) {
            int rc = set_value(c, (int)k, s->def, s->kind == K_STR, SRC_DEFAULT, 0, err);
            if (rc) return rc;
        }
        if (!v->set) continue;
        char at[700];
        where(c, (int)k, at, sizeof at);
        if (strstr(v->text, "${"))
            return lb_error_set(err, LB_EINVAL, "%s: '%s' is an interpolation; leakbound takes the "
                                "value itself here (override it: %s=VALUE)", at, v->text, s->key);
        if (s->kind == K_STR) {
            if (s->choices) {
                const char *p = s->choices;
                size_t n = strlen(v->text);
                int ok = 0;
                while (*p && !ok) {
                    const char *bar = strchr(p, '|');
                    size_t m = bar ? (size_t)(bar - p) : strlen(p);
                    ok = m == n && !strncmp(p, v->text, n);
                    p += m + (bar != NULL);
                }
                if (!ok)
                    return lb_error_set(err, LB_EINVAL, "%s: '%s' is not one of %s", at, v->text, s->choices);
            }
            continue;
        }
        char *end;
        errno = 0;
        if (v->quoted || !*v->text)
            return lb_error_set(err, LB_EINVAL, "%s: want %s in %c%g, %g], got the string '%s'", at,
                                s->kind == K_INT ? "an integer" : "a number", s->lo_open ? '(' : '[',
                                s->lo, s->hi, v->text);
        if (s->kind == K_INT) {
            long long x = strtoll(v->text, &end, 10);
            if (*end || errno || (double)x < s->lo || (double)x > s->hi)
                return lb_error_set(err, LB_EINVAL, "%s: want an integer in [%.0f, %.0f], got '%s'", at,
                                    s->lo, s->hi, v->text);
            v->i = x, v->num = (double)x;
        } else {
            /* YAML 1.1 floats as OmegaConf reads them ("1e-5" included); no nan/inf. */
            double x = strtod(v->text, &end);
            int bad = *end || errno || !isfinite(x) || strpbrk(v->text, "xXnNiI") != NULL;
            if (bad || (s->lo_open ? !(x > s->lo) : x < s->lo) || x > s->hi)
                return lb_error_set(err, LB_EINVAL, "%s: want a number in %c%g, %g], got '%s'", at,
                                    s->lo_open ? '(' : '[', s->lo, s->hi, v->text);
            v->num = x;
        }
    }
    return 0;
}

int lb_train_config_load(const char *path, const char *command, const char *const *overrides,
                         size_t n_overrides, lb_train_config_t **out, lb_error_t *err) {
    *out = NULL;
    char *buf;
    size_t len;
    int rc = lb_io_read_file(path, &buf, &len, err);
    if (rc) return rc;
    lb_train_config_t *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        free(buf);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (command && *command) {
        c->cmd = -1;
        for (int i = 0; i < 4; i++)
            if (!strcmp(command, CMD_NAME[i])) c->cmd = i;
        if (c->cmd < 0) {
            free(buf);
            lb_train_config_free(c);
            return lb_error_set(err, LB_EINVAL, "command '%s': want finetune, unlearn, eval or tofu",
                                command);
        }
    } else {
        /* The finetuning files nest the optimiser under hparams.training and name a dataset. */
        c->cmd = strstr(buf, "\n  training:") || strstr(buf, "\n  dataset:") ? CMD_FINETUNE : CMD_UNLEARN;
    }
    c->unlearn = c->cmd == CMD_UNLEARN;
    if (c->cmd == CMD_EVAL) c->spec = EVAL, c->n_spec = sizeof EVAL / sizeof *EVAL;
    else if (c->cmd == CMD_TOFU) c->spec = TOFU, c->n_spec = sizeof TOFU / sizeof *TOFU;
    else if (c->unlearn) c->spec = UNLEARN, c->n_spec = sizeof UNLEARN / sizeof *UNLEARN;
    else c->spec = FINETUNE, c->n_spec = sizeof FINETUNE / sizeof *FINETUNE;
    rc = load_yaml(c, buf, len, err);
    free(buf);
    for (size_t i = 0; !rc && i < n_overrides; i++) rc = apply_override(c, overrides[i], err);
    if (!rc) rc = check_values(c, err);
    if (rc) {
        lb_train_config_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int lb_train_config_load_dir(const char *path, const char *command,
                             const char *const *overrides, size_t n_overrides,
                             const char *data_dir, lb_train_config_t **out, lb_error_t *err) {
    *out = NULL;
    if (!data_dir) return lb_train_config_load(path, command, overrides, n_overrides, out, err);
    const char **ov = malloc((n_overrides + 1) * sizeof *ov);
    size_t cap = strlen(data_dir) + sizeof "hparams.data_dir=";
    char *dd = malloc(cap);
    int rc = 0;
    if (!ov || !dd) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    } else {
        for (size_t i = 0; i < n_overrides; i++) ov[i] = overrides[i];
        snprintf(dd, cap, "hparams.data_dir=%s", data_dir);
        ov[n_overrides] = dd;
        rc = lb_train_config_load(path, command, ov, n_overrides + 1, out, err);
    }
    free(ov);
    free(dd);
    return rc;
}

const char *lb_train_config_command(const lb_train_config_t *c) {
    return CMD_NAME[c->cmd];
}

static const val_t *get(const lb_train_config_t *c, const char *key) {
    int k = find(c, key);
    return k >= 0 && c->val[k].set ? &c->val[k] : NULL;
}

/* key under hparams (unlearn) or hparams.training (finetune's optimiser keys). */
static const val_t *opt(const lb_train_config_t *c, const char *name) {
    char key[128];
    snprintf(key, sizeof key, "hparams.%s%s", c->unlearn ? "" : "training.", name);
    return get(c, key);
}

static char *tofu_file(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 16;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/%s.json", dir, name);
    if (access(p, F_OK) != 0) {
        snprintf(p, n, "%s/%s.jsonl", dir, name);
        if (access(p, F_OK) != 0) snprintf(p, n, "%s/%s.json", dir, name);
    }
    return p;
}

/* A literal template's text: braces doubled. */
static void lit_escape(const char *s, char *d) {
    for (; *s; s++) {
        *d++ = *s;
        if (*s == '{' || *s == '}') *d++ = *s;
    }
    *d = '\0';
}

int lb_train_config_apply(const lb_train_config_t *cc, lb_train_run_opts_t *o, FILE *notes,
                          lb_error_t *err) {
    lb_train_config_t *c = (lb_train_config_t *)cc;
    (void)notes;
    if (c->cmd >= CMD_EVAL)
        return lb_error_set(err, LB_EINVAL, "%s: a %s configuration has no training options",
                            c->path, CMD_NAME[c->cmd]);
    const val_t *v;
    if ((v = get(c, "hparams.model"))) o->model_dir = v->text;
    if ((v = get(c, "hparams.tokenizer_model"))) o->tokenizer = v->text;
    if ((v = get(c, "hparams.max_length"))) o->max_length = (int)v->i;
    if ((v = opt(c, "batch_size"))) o->batch_size = (int)v->i;
    if ((v = opt(c, "gradient_accumulation_steps"))) o->grad_accum = (int)v->i;
    if ((v = opt(c, "learning_rate"))) o->lr = v->num;
    if ((v = opt(c, "num_epochs"))) o->epochs = (int)v->i;
    if ((v = opt(c, "weight_decay"))) o->weight_decay = v->num;
    if ((v = opt(c, "seed"))) o->seed = (uint64_t)v->i;
    /* The prompt: question_start_tag + q + question_end_tag, then answer_tag + answer. */
    const char *qs = get(c, "hparams.question_start_tag")->text, *qe = get(c, "hparams.question_end_tag")->text;
    const char *at = get(c, "hparams.answer_tag")->text;
    if (!strcmp(qs, "Question: ") && !strcmp(qe, "\n") && !strcmp(at, "Answer: ")) {
        o->template_spec = "phi";
        o->answer_prefix = NULL;
    } else {
        free(c->template_lit);
        if (!(c->template_lit = malloc(2 * (strlen(qs) + strlen(qe)) + 4)))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
        lit_escape(qs, c->template_lit);
        strcat(c->template_lit, "{q}");
        lit_escape(qe, c->template_lit + strlen(c->template_lit));
        o->template_spec = c->template_lit;
        o->answer_prefix = at;
    }
    const val_t *dir = get(c, "hparams.data_dir");
    if (c->unlearn) {
        const char *loss = get(c, "hparams.unlearning_loss") ? get(c, "hparams.unlearning_loss")->text : NULL;
        if (!loss)
            return lb_error_set(err, LB_EINVAL, "%s: hparams.unlearning_loss is required: grad_ascent, "
                                "grad_diff or npo", c->path);
        o->obj.method = !strcmp(loss, "grad_ascent") ? LB_METHOD_GA
                        : !strcmp(loss, "grad_diff") ? LB_METHOD_GD : LB_METHOD_NPO;
        o->method_given = 1;
        o->obj.lambda = get(c, "hparams.lambda")->num;
        o->obj.beta = get(c, "hparams.beta")->num;
        int ent = !strcmp(get(c, "hparams.regularization")->text, "entropy");
        o->obj.ent_f = ent ? get(c, "hparams.lambda_f")->num : 0.0;
        o->obj.ent_r = ent ? get(c, "hparams.lambda_r")->num : 0.0;
        o->obj.ent_answer_only = 0;   /* the reference: every position of the padded batch */
        if (dir) {
            long split = (long)get(c, "hparams.split")->i;
            char name[32];
            free(c->data_path), free(c->retain_path);
            snprintf(name, sizeof name, "forget%02ld", split);
            c->data_path = tofu_file(dir->text, name);
            snprintf(name, sizeof name, "retain%ld", 100 - split);
            c->retain_path = tofu_file(dir->text, name);
            if (!c->data_path || !c->retain_path) return lb_error_set(err, LB_ENOMEM, "out of memory");
            o->data_path = c->data_path;
            o->retain_path = c->retain_path;
        }
    } else if (dir) {
        free(c->data_path);
        if (!(c->data_path = tofu_file(dir->text, get(c, "hparams.dataset")->text)))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
        o->data_path = c->data_path;
    }
    return 0;
}

static int looks_like_hub(const char *s) {
    const char *slash = strchr(s, '/');
    return slash && slash != s && !strchr(slash + 1, '/') && slash[1] && s[0] != '.' && s[0] != '~';
}

static int is_dir(const char *p) {
    struct stat st;
    return !stat(p, &st) && S_ISDIR(st.st_mode);
}

int lb_train_config_check(const lb_train_config_t *c, lb_train_run_opts_t *o, FILE *notes,
                          lb_error_t *err) {
    if (c->cmd >= CMD_EVAL)
        return lb_error_set(err, LB_EINVAL, "%s: a %s configuration has no training options",
                            c->path, CMD_NAME[c->cmd]);
    const val_t *m = get(c, "hparams.model"), *t = get(c, "hparams.tokenizer_model");
    char at[700];
    if (m && o->model_dir == m->text && !is_dir(m->text)) {
        where(c, find(c, "hparams.model"), at, sizeof at);
        return lb_error_set(err, LB_EINVAL, "%s: '%s' is not a local folder%s; give one: "
                            "hparams.model=DIR or --model DIR", at, m->text,
                            looks_like_hub(m->text) ? " (a Hugging Face hub name: the hub is not "
                                                      "reachable from leakbound)" : "");
    }
    if (t && o->tokenizer == t->text && !is_dir(t->text) && access(t->text, R_OK) != 0) {
        where(c, find(c, "hparams.tokenizer_model"), at, sizeof at);
        char own[4200];
        snprintf(own, sizeof own, "%s/tokenizer.json", o->model_dir ? o->model_dir : ".");
        if (o->model_dir && access(own, R_OK) == 0) {
            if (notes)
                fprintf(notes, "%s: '%s' is %s; using the model folder's own %s (--tokenizer or "
                        "hparams.tokenizer_model=DIR chooses another)\n", at, t->text,
                        looks_like_hub(t->text) ? "a Hugging Face hub name (the hub is not reachable)"
                                                : "not a local folder", own);
            o->tokenizer = NULL;
        } else {
            return lb_error_set(err, LB_EINVAL, "%s: '%s' is not a local folder%s, and %s has no "
                                "tokenizer.json; give one: hparams.tokenizer_model=DIR or "
                                "--tokenizer FILE|DIR", at, t->text,
                                looks_like_hub(t->text) ? " (a Hugging Face hub name: the hub is "
                                                          "not reachable from leakbound)" : "",
                                o->model_dir ? o->model_dir : "the model folder");
        }
    }
    if (t && o->tokenizer == t->text && o->model_dir && !strcmp(t->text, o->model_dir))
        o->tokenizer = NULL; /* the model's own */
    const char *key = c->unlearn ? "hparams.split" : "hparams.dataset";
    if (c->data_path && o->data_path == c->data_path && access(c->data_path, R_OK) != 0) {
        where(c, find(c, key), at, sizeof at);
        return lb_error_set(err, LB_EINVAL, "%s: %s (or its .jsonl) does not exist", at, c->data_path);
    }
    if (c->retain_path && o->retain_path == c->retain_path && access(c->retain_path, R_OK) != 0) {
        where(c, find(c, key), at, sizeof at);
        return lb_error_set(err, LB_EINVAL, "%s: %s (or its .jsonl) does not exist", at, c->retain_path);
    }
    if (!o->data_path) {
        if (c->unlearn) {
            long split = (long)get(c, "hparams.split")->i;
            return lb_error_set(err, LB_EINVAL, "%s: hparams.split %ld names TOFU's forget%02ld and "
                                "retain%ld files: give their folder with --data-dir DIR (or "
                                "hparams.data_dir=DIR), or --forget/--retain FILE", c->path, split,
                                split, 100 - split);
        }
        return lb_error_set(err, LB_EINVAL, "%s: hparams.dataset '%s' names a TOFU file: give its "
                            "folder with --data-dir DIR (or hparams.data_dir=DIR), or --data FILE",
                            c->path, get(c, "hparams.dataset")->text);
    }
    return 0;
}

/* Is flag (e.g. "--model") among the command's own arguments ("--model X" or "--model=X")? */
static int flag_given(int argc, char *const *argv, const char *flag) {
    size_t n = strlen(flag);
    for (int i = 0; argv && i < argc; i++)
        if (!strncmp(argv[i], flag, n) && (argv[i][n] == '\0' || argv[i][n] == '=')) return 1;
    return 0;
}

static int push_arg(lb_train_config_t *c, const char *flag, const char *value, lb_error_t *err) {
    char **p = realloc(c->args, (c->n_args + 2) * sizeof *p);
    if (!p) return lb_error_set(err, LB_ENOMEM, "out of memory");
    c->args = p;
    if (!(p[c->n_args] = strdup(flag))) return lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!(p[c->n_args + 1] = strdup(value))) {
        free(p[c->n_args]);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    c->n_args += 2;
    return 0;
}

/* A literal template's text for lb_template_open: braces doubled, backslashes doubled (it
 * reads \n, \t and \\ as escapes). */
static char *lit_template(const char *qs, const char *qe) {
    char *t = malloc(2 * (strlen(qs) + strlen(qe)) + 4), *d = t;
    if (!t) return NULL;
    for (int part = 0; part < 2; part++) {
        for (const char *s = part ? qe : qs; *s; s++) {
            *d++ = *s;
            if (*s == '{' || *s == '}' || *s == '\\') *d++ = *s;
        }
        if (!part) d += sprintf(d, "{q}");
    }
    *d = '\0';
    return t;
}

/* The path key's value must be a local folder (or file) unless its flag is given. */
static int check_path(const lb_train_config_t *c, const char *key, const char *flag, lb_error_t *err) {
    const val_t *v = get(c, key);
    if (!v || is_dir(v->text) || access(v->text, R_OK) == 0) return 0;
    char at[700];
    where(c, find(c, key), at, sizeof at);
    return lb_error_set(err, LB_EINVAL, "%s: '%s' is not a local folder%s; give one: %s=DIR or "
                        "%s DIR", at, v->text, looks_like_hub(v->text) ? " (a Hugging Face hub "
                        "name: the hub is not reachable from leakbound)" : "", key, flag);
}

int lb_train_config_args(lb_train_config_t *c, int argc, char *const *argv, FILE *notes,
                         const char *const **args, size_t *n, lb_error_t *err) {
    *args = NULL, *n = 0;
    if (c->cmd < CMD_EVAL)
        return lb_error_set(err, LB_EINVAL, "%s: a %s configuration runs as training options",
                            c->path, CMD_NAME[c->cmd]);
    for (size_t i = 0; i < c->n_args; i++) free(c->args[i]);
    c->n_args = 0;
    int tofu = c->cmd == CMD_TOFU, rc = 0;
    const val_t *v, *m = get(c, "hparams.model"), *t = get(c, "hparams.tokenizer_model");
    char at[700], num[64];
    int check = argv != NULL;
    if (check && !flag_given(argc, argv, "--model") && (rc = check_path(c, "hparams.model", "--model", err)))
        return rc;
    if (m && (rc = push_arg(c, "--model", m->text, err))) return rc;
    /* the tokenizer: the model folder's own when tokenizer_model is the model or not local */
    const char *model_dir = m ? m->text : NULL;
    for (int i = 0; argv && i + 1 < argc; i++)
        if (!strcmp(argv[i], "--model")) model_dir = argv[i + 1];
    if (t && !(model_dir && !strcmp(t->text, model_dir)) &&
        (tofu || !check || !flag_given(argc, argv, "--tokenizer"))) {
        int local = is_dir(t->text) || access(t->text, R_OK) == 0;
        char own[4200];
        snprintf(own, sizeof own, "%s/tokenizer.json", model_dir ? model_dir : ".");
        int has_own = model_dir && access(own, R_OK) == 0;
        where(c, find(c, "hparams.tokenizer_model"), at, sizeof at);
        if (local && tofu && check)
            return lb_error_set(err, LB_EINVAL, "%s: '%s': tofu reads the model folder's own "
                                "tokenizer.json; leave hparams.tokenizer_model out (~hparams."
                                "tokenizer_model) or make it the model folder", at, t->text);
        if (local) {
            if ((rc = push_arg(c, "--tokenizer", t->text, err))) return rc;
        } else if (check && has_own) {
            if (notes)
                fprintf(notes, "%s: '%s' is %s; using the model folder's own %s%s\n", at, t->text,
                        looks_like_hub(t->text) ? "a Hugging Face hub name (the hub is not reachable)"
                                                : "not a local folder", own,
                        tofu ? "" : " (--tokenizer or hparams.tokenizer_model=DIR chooses another)");
        } else if (check) {
            return lb_error_set(err, LB_EINVAL, "%s: '%s' is not a local folder%s, and %s has no "
                                "tokenizer.json; give one: hparams.tokenizer_model=DIR%s", at,
                                t->text, looks_like_hub(t->text) ? " (a Hugging Face hub name: "
                                "the hub is not reachable from leakbound)" : "",
                                model_dir ? model_dir : "the model folder",
                                tofu ? "" : " or --tokenizer FILE|DIR");
        }
    }
    /* The prompt: question_start_tag + q + question_end_tag; the model writes answer_tag. */
    const char *qs = get(c, "hparams.question_start_tag")->text, *qe = get(c, "hparams.question_end_tag")->text;
    const val_t *atag = get(c, "hparams.answer_tag");
    if (!strcmp(qs, "Question: ") && !strcmp(qe, "\n") && (!atag || !strcmp(atag->text, "Answer: "))) {
        rc = push_arg(c, "--template", "phi", err);
    } else {
        char *lit = lit_template(qs, qe);
        if (!lit) return lb_error_set(err, LB_ENOMEM, "out of memory");
        rc = push_arg(c, "--template", lit, err);
        free(lit);
        if (!rc && atag && *atag->text) {
            if (tofu) {
                where(c, find(c, "hparams.answer_tag"), at, sizeof at);
                return lb_error_set(err, LB_EINVAL, "%s: tofu takes an answer tag only with the phi "
                                    "tags (Question: , \\n, Answer: ); leave it out "
                                    "(~hparams.answer_tag) for a prompt without one", at);
            }
            /* the sampled answers start with the tag: scored without it, as phi's "Answer:" */
            char tag[4096];
            snprintf(tag, sizeof tag, "%s", atag->text);
            for (size_t k = strlen(tag); k > 0 && (tag[k - 1] == ' ' || tag[k - 1] == '\t');) tag[--k] = '\0';
            if (*tag) rc = push_arg(c, "--strip-prefix", tag, err);
        }
    }
    if (rc) return rc;
    if ((v = get(c, "hparams.max_length"))) {
        snprintf(num, sizeof num, "%lld", v->i);
        if ((rc = push_arg(c, "--max-length", num, err))) return rc;
    }
    if (!tofu) {
        if ((v = get(c, "hparams.seed"))) {
            snprintf(num, sizeof num, "%lld", v->i);
            if ((rc = push_arg(c, "--seed", num, err))) return rc;
        }
        if ((v = get(c, "hparams.num_samples"))) {
            snprintf(num, sizeof num, "%lld", v->i);
            if ((rc = push_arg(c, "-n", num, err))) return rc;
        }
        if ((v = get(c, "hparams.top_p")) && (rc = push_arg(c, "--top-p", v->text, err))) return rc;
        if ((v = get(c, "hparams.temperature")) && (rc = push_arg(c, "--temperature", v->text, err)))
            return rc;
    }
    /* The data: split N names TOFU's forgetNN (tofu: forgetNN_perturbed when present, and
       retain_perturbed, else retain(100-N)); eval without a split: dataset's file. */
    const val_t *dir = get(c, "hparams.data_dir"), *split = get(c, "hparams.split");
    const val_t *ds = tofu ? NULL : get(c, "hparams.dataset");
    const char *data_flag = tofu ? "--forget" : "--data";
    int data_given = check && flag_given(argc, argv, data_flag);
    if (dir && (split || ds)) {
        char name[64];
        const char *key = split ? "hparams.split" : "hparams.dataset";
        char *f = NULL, *r = NULL;
        if (split) {
            snprintf(name, sizeof name, "forget%02lld_perturbed", split->i);
            if (tofu && (f = tofu_file(dir->text, name)) && access(f, R_OK) != 0) free(f), f = NULL;
            snprintf(name, sizeof name, "forget%02lld", split->i);
            if (!f) f = tofu_file(dir->text, name);
            if (tofu) {
                if ((r = tofu_file(dir->text, "retain_perturbed")) && access(r, R_OK) != 0) {
                    free(r);
                    snprintf(name, sizeof name, "retain%lld", 100 - split->i);
                    r = tofu_file(dir->text, name);
                }
                if (!r) {
                    free(f);
                    return lb_error_set(err, LB_ENOMEM, "out of memory");
                }
            }
        } else {
            f = tofu_file(dir->text, ds->text);
        }
        if (!f) return lb_error_set(err, LB_ENOMEM, "out of memory");
        if (!data_given) {
            where(c, find(c, key), at, sizeof at);
            if (check && access(f, R_OK) != 0)
                rc = lb_error_set(err, LB_EINVAL, "%s: %s (or its .jsonl) does not exist", at, f);
            if (!rc) rc = push_arg(c, data_flag, f, err);
            if (!rc && r && !(check && flag_given(argc, argv, "--retain")) && access(r, R_OK) == 0)
                rc = push_arg(c, "--retain", r, err);
        }
        free(f);
        free(r);
        if (rc) return rc;
    } else if (check && !data_given && (split || ds)) {
        if (split)
            return lb_error_set(err, LB_EINVAL, "%s: hparams.split %lld names TOFU's forget%02lld "
                                "file: give its folder with --data-dir DIR (or hparams.data_dir=DIR), "
                                "or %s FILE", c->path, split->i, split->i, data_flag);
        return lb_error_set(err, LB_EINVAL, "%s: hparams.dataset '%s' names a TOFU file: give its "
                            "folder with --data-dir DIR (or hparams.data_dir=DIR), or --data FILE",
                            c->path, ds->text);
    }
    *args = (const char *const *)c->args;
    *n = c->n_args;
    return 0;
}

json_t *lb_train_config_json(const lb_train_config_t *c, int with_sources) {
    json_t *o = json_object();
    if (!o) return NULL;
    for (size_t k = 0; k < c->n_spec; k++) {
        const spec_t *s = &c->spec[k];
        const val_t *v = &c->val[k];
        if (s->kind == K_IGN) continue;
        json_t *j = !v->set ? json_null()
                    : s->kind == K_STR ? json_string(v->text)
                    : s->kind == K_INT ? json_integer((json_int_t)v->i)
                                       : json_real(v->num);
        if (with_sources) {
            json_t *w = json_object();
            json_object_set_new(w, "value", j);
            json_object_set_new(w, "source", json_string(v->set ? SRC_NAME[v->source] : "unset"));
            j = w;
        }
        json_object_set_new(o, s->key, j);
    }
    return o;
}

int lb_train_config_show_json(lb_train_config_t *c, json_t **doc, lb_error_t *err) {
    *doc = NULL;
    const char *const *flags = NULL;
    size_t n_flags = 0;
    int runs_as_flags = c->cmd >= CMD_EVAL, rc;
    if (runs_as_flags && (rc = lb_train_config_args(c, 0, NULL, NULL, &flags, &n_flags, err)))
        return rc;
    json_t *full = lb_train_config_json(c, 1), *d = json_object(), *vals = json_object(),
           *src = json_object(), *ig = json_array(), *fl = runs_as_flags ? json_array() : NULL;
    int ok = full && d && vals && src && ig && (!runs_as_flags || fl);
    if (ok) {
        const char *k;
        json_t *v;
        json_object_foreach(full, k, v) {
            ok &= !json_object_set(vals, k, json_object_get(v, "value"));
            ok &= !json_object_set(src, k, json_object_get(v, "source"));
        }
        for (size_t i = 0; i < c->n_ignored; i++)
            ok &= !json_array_append_new(ig, json_string(c->ignored[i]));
        for (size_t i = 0; fl && i < n_flags; i++)
            ok &= !json_array_append_new(fl, json_string(flags[i]));
        ok &= !json_object_set_new(d, "file", json_string(c->path));
        ok &= !json_object_set_new(d, "command", json_string(CMD_NAME[c->cmd]));
        ok &= !json_object_set(d, "config", vals);
        ok &= !json_object_set(d, "sources", src);
        ok &= !json_object_set(d, "ignored", ig);
        if (fl) ok &= !json_object_set(d, "flags", fl);
    }
    json_decref(full), json_decref(vals), json_decref(src), json_decref(ig), json_decref(fl);
    if (!ok) {
        json_decref(d);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    *doc = d;
    return LB_OK;
}

size_t lb_train_config_ignored(const lb_train_config_t *c, const char *const **keys) {
    *keys = (const char *const *)c->ignored;
    return c->n_ignored;
}

void lb_train_config_free(lb_train_config_t *c) {
    if (!c) return;
    for (size_t k = 0; k < NSPEC_MAX; k++) free(c->val[k].text);
    for (size_t i = 0; i < c->n_ignored; i++) free(c->ignored[i]);
    free(c->ignored);
    for (size_t i = 0; i < c->n_args; i++) free(c->args[i]);
    free(c->args);
    free(c->template_lit);
    free(c->data_path);
    free(c->retain_path);
    free(c->path);
    free(c);
}
