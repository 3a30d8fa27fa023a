/* Driver for the data oracles.
 *   driver_data load FILE [FORMAT]   print the items as JSON Lines (exit 2 + message on error)
 *   driver_data chat < cases.json    cases: [{"template", "bos", "eos", "question"}, ...];
 *                                    prints [{"out": s} | {"error": msg, "code": c}, ...]
 *   driver_data chatdir PATH < qs.json   the chat template of PATH (a model folder or its
 *                                    tokenizer_config.json, as `--template chat --config PATH`)
 *                                    on each question of qs.json: prints ["prompt", ...], or exit 2
 *                                    with the error
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "leakbound/data.h"

static json_t *str_list(char **v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

static int load(const char *path, const char *fmt_name) {
    lb_error_t err;
    lb_data_format_t fmt = LB_DATA_AUTO;
    if (fmt_name && lb_data_format_parse(fmt_name, &fmt, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    lb_dataset_t ds;
    if (lb_data_load(path, fmt, &ds, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    for (size_t i = 0; i < ds.n; i++) {
        const lb_data_item_t *it = &ds.items[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(it->id));
        json_object_set_new(o, "question", json_string(it->question));
        json_object_set_new(o, "answer", it->answer ? json_string(it->answer) : json_null());
        json_object_set_new(o, "prefix", it->prefix ? json_string(it->prefix) : json_null());
        json_object_set_new(o, "paraphrased_answer",
                            it->paraphrased_answer ? json_string(it->paraphrased_answer) : json_null());
        json_object_set_new(o, "perturbed_answer", str_list(it->perturbed, it->n_perturbed));
        json_object_set_new(o, "keywords", str_list(it->keywords, it->n_keywords));
        json_object_set_new(o, "author", it->author ? json_string(it->author) : json_null());
        json_object_set_new(o, "line", json_integer(it->line));
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(s);
        free(s);
        json_decref(o);
    }
    if (ds.n_lenient) fprintf(stderr, "lenient %zu %ld\n", ds.n_lenient, ds.lenient_line);
    lb_dataset_free(&ds);
    return 0;
}

static const char *opt_str(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int chat(void) {
    json_error_t je;
    json_t *cases = json_loadf(stdin, 0, &je);
    if (!json_is_array(cases)) {
        fprintf(stderr, "stdin: %s\n", je.text);
        return 2;
    }
    json_t *res = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        lb_error_t err;
        lb_template_t *t;
        char *out = NULL;
        json_t *r = json_object();
        int rc = lb_template_chat(opt_str(c, "template"), opt_str(c, "bos"), opt_str(c, "eos"),
                                  "tokenizer_config.json", &t, &err);
        if (!rc) {
            rc = lb_template_render(t, opt_str(c, "question"), &out, &err);
            lb_template_free(t);
        }
        if (rc) {
            json_object_set_new(r, "error", json_string(err.msg));
            json_object_set_new(r, "code", json_integer(rc));
        } else {
            json_object_set_new(r, "out", json_string(out));
        }
        free(out);
        json_array_append_new(res, r);
    }
    char *s = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII);
    puts(s);
    free(s);
    json_decref(res);
    json_decref(cases);
    return 0;
}

static int chatdir(const char *path) {
    json_error_t je;
    json_t *qs = json_loadf(stdin, 0, &je);
    lb_error_t err;
    lb_template_t *t = NULL;
    if (!json_is_array(qs) || lb_template_open("chat", path, &t, &err)) {
        fprintf(stderr, "%s\n", qs ? err.msg : je.text);
        json_decref(qs);
        return 2;
    }
    json_t *res = json_array();
    size_t i;
    json_t *q;
    int rc = 0;
    json_array_foreach(qs, i, q) {
        char *out = NULL;
        if ((rc = lb_template_render(t, json_string_value(q), &out, &err))) {
            fprintf(stderr, "%s\n", err.msg);
            break;
        }
        json_array_append_new(res, json_string(out));
        free(out);
    }
    if (!rc) {
        char *s = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII);
        puts(s);
        free(s);
    }
    lb_template_free(t);
    json_decref(res);
    json_decref(qs);
    return rc ? 2 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "load")) return load(argv[2], argc > 3 ? argv[3] : NULL);
    if (argc == 2 && !strcmp(argv[1], "chat")) return chat();
    if (argc == 3 && !strcmp(argv[1], "chatdir")) return chatdir(argv[2]);
    fprintf(stderr, "usage: driver_data load FILE [FORMAT] | chat < cases.json | chatdir PATH < qs.json\n");
    return 2;
}
