/* Prompt templates: the built-in names, literal "{q}" format strings, and chat templates read
 * from tokenizer_config.json (rendered by the Jinja subset in jinja_*.c). */
#include "jinja.h"
#include "leakbound/data.h"
#include "leakbound/io.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct lb_template {
    char *name;
    char *format;          /* literal form, "{q}" placeholders, "{{" "}}" escapes; NULL for chat */
    lb_jj_template_t *chat;
    char *bos, *eos;
};

static const struct { const char *name, *format; } builtins[] = {
    {"raw", "{q}"},
    {"phi", "Question: {q}\n"},         /* the Phi-1.5 TOFU prompt */
    {"llama2", "[INST] {q} [/INST]"},   /* Llama-2 chat without a system prompt */
};

/* A literal must hold at least one "{q}" and no other unescaped brace. */
static int check_literal(const char *f, lb_error_t *err) {
    int has_q = 0;
    for (const char *p = f; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
        } else if (!strncmp(p, "{q}", 3)) {
            has_q = 1;
            p += 2;
        } else if (!strncmp(p, "{prefix}", 8)) {
            p += 7;
        } else if (*p == '{' || *p == '}') {
            return lb_error_set(err, LB_EINVAL,
                                "template '%s': unmatched '%c' at offset %ld (write '%c%c' for a literal brace; "
                                "the placeholders are {q} and {prefix})",
                                f, *p, (long)(p - f), *p, *p);
        }
    }
    if (!has_q)
        return lb_error_set(err, LB_EINVAL,
                            "template '%s': not a known name (raw, phi, llama2, chat) and no {q} placeholder",
                            f);
    return LB_OK;
}

static lb_template_t *new_template(const char *name) {
    lb_template_t *t = calloc(1, sizeof *t);
    if (t && !(t->name = strdup(name))) {
        free(t);
        t = NULL;
    }
    return t;
}

/* A special token in tokenizer_config.json is a string or an AddedToken object {"content": ...}. */
static int token_field(json_t *cfg, const char *key, const char *path, char **out, lb_error_t *err) {
    json_t *v = json_object_get(cfg, key);
    *out = NULL;
    if (json_is_object(v)) v = json_object_get(v, "content");
    if (!v || json_is_null(v)) return LB_OK;
    if (!json_is_string(v))
        return lb_error_set(err, LB_EFORMAT, "%s: \"%s\" must be a string or {\"content\": string}", path, key);
    if (!(*out = strdup(json_string_value(v)))) return lb_error_set(err, LB_ENOMEM, "out of memory");
    return LB_OK;
}

static int open_chat(const char *config, lb_template_t **out, lb_error_t *err) {
    if (!config || !*config)
        return lb_error_set(err, LB_EINVAL,
                            "template 'chat' needs the model directory or its tokenizer_config.json");
    char path[4096];
    struct stat st;
    if (!stat(config, &st) && S_ISDIR(st.st_mode))
        snprintf(path, sizeof path, "%s/tokenizer_config.json", config);
    else
        snprintf(path, sizeof path, "%s", config);
    char *buf;
    size_t len;
    int rc = lb_io_read_file(path, &buf, &len, err);
    if (rc) return rc;
    json_error_t je;
    json_t *cfg = lb_io_json_loadb(buf, len, 0, &je);
    free(buf);
    if (!cfg)
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: malformed JSON: %s", path, je.line, je.column, je.text);
    json_t *ct = json_object_get(cfg, "chat_template");
    const char *src = NULL;
    if (json_is_string(ct)) {
        src = json_string_value(ct);
    } else if (json_is_array(ct)) {
        /* Several named templates: use the one called "default". */
        size_t i;
        json_t *e;
        json_array_foreach(ct, i, e) {
            json_t *name = json_object_get(e, "name"), *tpl = json_object_get(e, "template");
            if (json_is_string(name) && !strcmp(json_string_value(name), "default") && json_is_string(tpl))
                src = json_string_value(tpl);
        }
    }
    if (!src) {
        json_decref(cfg);
        return lb_error_set(err, LB_EINVAL, "%s: no \"chat_template\" string (nor a \"default\" entry)", path);
    }
    char *bos = NULL, *eos = NULL;
    rc = token_field(cfg, "bos_token", path, &bos, err);
    if (!rc) rc = token_field(cfg, "eos_token", path, &eos, err);
    if (!rc) rc = lb_template_chat(src, bos, eos, path, out, err);
    free(bos);
    free(eos);
    json_decref(cfg);
    return rc;
}

int lb_template_chat(const char *source, const char *bos, const char *eos, const char *origin,
                     lb_template_t **out, lb_error_t *err) {
    *out = NULL;
    lb_template_t *t = new_template("chat");
    if (!t) return lb_error_set(err, LB_ENOMEM, "out of memory");
    if ((bos && !(t->bos = strdup(bos))) || (eos && !(t->eos = strdup(eos)))) {
        lb_template_free(t);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    int rc = lbi_jj_compile(source, origin ? origin : "tokenizer_config.json", &t->chat, err);
    if (rc) {
        lb_template_free(t);
        return rc;
    }
    *out = t;
    return LB_OK;
}

int lb_template_unescape(const char *s, char **out, lb_error_t *err) {
    char *d = malloc(strlen(s) + 1);
    if (!(*out = d)) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (; *s; s++) {
        if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == '\\')) {
            *d++ = s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' : '\\';
            s++;
        } else {
            *d++ = *s;
        }
    }
    *d = '\0';
    return LB_OK;
}

int lb_template_open(const char *spec, const char *config, lb_template_t **out, lb_error_t *err) {
    *out = NULL;
    if (!strcmp(spec, "chat")) return open_chat(config, out, err);
    const char *format = NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(spec, builtins[i].name)) format = builtins[i].format;
    char *literal = NULL;
    if (!format) {
        int rc = lb_template_unescape(spec, &literal, err);
        if (!rc) rc = check_literal(literal, err);
        if (rc) {
            free(literal);
            return rc;
        }
        format = literal;
    }
    lb_template_t *t = new_template(spec);
    if (!t || !(t->format = literal ? literal : strdup(format))) {
        if (!t) free(literal);
        lb_template_free(t);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    *out = t;
    return LB_OK;
}

int lb_template_render(const lb_template_t *t, const char *question, char **out, lb_error_t *err) {
    return lb_template_render_item(t, question, NULL, out, err);
}

/* Expands {q}, {prefix}, {{ and }} in format into dst (when not NULL) and returns
 * the length written, without the NUL. One walker serves both the sizing pass and
 * the writing pass, so the two can never disagree. */
static size_t expand(const char *format, const char *question, const char *prefix, char *dst) {
    size_t qn = strlen(question), pn = strlen(prefix), n = 0;
    for (const char *p = format; *p; p++) {
        const char *src = p;
        size_t len = 1;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
        } else if (!strncmp(p, "{q}", 3)) {
            src = question, len = qn;
            p += 2;
        } else if (!strncmp(p, "{prefix}", 8)) {
            src = prefix, len = pn;
            p += 7;
        }
        if (dst) memcpy(dst + n, src, len);
        n += len;
    }
    return n;
}

int lb_template_render_item(const lb_template_t *t, const char *question, const char *prefix,
                            char **out, lb_error_t *err) {
    *out = NULL;
    if (t->chat) return lbi_jj_render(t->chat, t->bos, t->eos, question, 1, out, err);
    if (!prefix) prefix = "";
    size_t n = expand(t->format, question, prefix, NULL);
    char *s = malloc(n + 1);
    if (!s) return lb_error_set(err, LB_ENOMEM, "out of memory");
    expand(t->format, question, prefix, s);
    s[n] = '\0';
    *out = s;
    return LB_OK;
}

int lb_template_is_chat(const lb_template_t *t) { return t->chat != NULL; }

int lb_template_render_chat(const lb_template_t *t, const char *const *roles,
                            const char *const *contents, size_t n, int add_generation_prompt,
                            char **out, lb_error_t *err) {
    *out = NULL;
    if (!t->chat)
        return lb_error_set(err, LB_EINVAL, "template '%s' is not a chat template", t->name);
    return lbi_jj_render_messages(t->chat, t->bos, t->eos, roles, contents, n,
                                 add_generation_prompt, out, err);
}

const char *lb_template_name(const lb_template_t *t) { return t->name; }

void lb_template_free(lb_template_t *t) {
    if (!t) return;
    lbi_jj_free(t->chat);
    free(t->name);
    free(t->format);
    free(t->bos);
    free(t->eos);
    free(t);
}
