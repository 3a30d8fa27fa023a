/* Reading the pipeline components of tokenizer.json: normalizer, pre_tokenizer, decoder and
 * post_processor. An unknown "type" is refused with the file and the type named. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* GPT-2's pre-token regex (HF ByteLevel, use_regex = true). */
static const char GPT2_RE[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/* HF Whitespace pre-tokenizer, `\w+|[^\w\s]+` with Rust regex's Unicode classes spelled out
 * (PCRE2's \w lacks marks and joiners; Rust's \s is White_Space). */
static const char WS_RE[] = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]+"
                            "|[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}\\p{White_Space}]+";

static const char *jtype(json_t *j) {
    json_t *t = json_object_get(j, "type");
    return json_is_string(t) ? json_string_value(t) : NULL;
}

static int get_bool(json_t *j, const char *k, int dflt) {
    json_t *v = json_object_get(j, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int get_str(json_t *j, const char *k, const char **out, size_t *len, const char *file,
                   const char *where, lb_error_t *err) {
    json_t *v = json_object_get(j, k);
    if (!json_is_string(v))
        return lb_error_set(err, LB_EFORMAT, "%s: %s: field \"%s\" must be a string", file, where, k);
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

static int get_char(json_t *j, const char *k, int32_t *cp, const char *file, const char *where,
                    lb_error_t *err) {
    const char *s = NULL;
    size_t n = 0;
    int rc = get_str(j, k, &s, &n, file, where, err);
    if (rc) return rc;
    if (n == 0 || n > 4 || (size_t)tk_utf8_decode((const unsigned char *)s, n, cp) != n)
        return lb_error_set(err, LB_EFORMAT, "%s: %s: field \"%s\" must be one character", file,
                            where, k);
    return 0;
}

/* {"String": "..."} or {"Regex": "..."} */
static int load_pattern(json_t *j, tk_pattern_t *p, const char *file, const char *where, lb_error_t *err) {
    json_t *pat = json_object_get(j, "pattern");
    json_t *s = json_object_get(pat, "String"), *r = json_object_get(pat, "Regex");
    char what[256];
    snprintf(what, sizeof what, "%s: %s", file, where);
    if (json_is_string(s)) return tk_pattern_compile(p, json_string_value(s), json_string_length(s), 0, what, err);
    if (json_is_string(r)) return tk_pattern_compile(p, json_string_value(r), json_string_length(r), 1, what, err);
    return lb_error_set(err, LB_EFORMAT, "%s: %s: \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}",
                        file, where);
}

static char *dup_str(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

int tk_load_normalizer(json_t *j, tk_normalizer_t *n, const char *file, lb_error_t *err) {
    memset(n, 0, sizeof *n);
    const char *t = jtype(j);
    if (!t) return lb_error_set(err, LB_EFORMAT, "%s: normalizer without a \"type\"", file);
    const char *s = NULL;
    size_t len = 0;
    int rc;
    if (!strcmp(t, "NFC")) n->type = TK_N_NFC;
    else if (!strcmp(t, "NFD")) n->type = TK_N_NFD;
    else if (!strcmp(t, "NFKC")) n->type = TK_N_NFKC;
    else if (!strcmp(t, "NFKD")) n->type = TK_N_NFKD;
    else if (!strcmp(t, "Lowercase")) n->type = TK_N_LOWERCASE;
    else if (!strcmp(t, "Prepend")) {
        n->type = TK_N_PREPEND;
        if ((rc = get_str(j, "prepend", &s, &len, file, "normalizer Prepend", err))) return rc;
        if (!(n->str = dup_str(s, len))) return LB_ENOMEM;
        n->str_len = len;
    } else if (!strcmp(t, "Replace")) {
        n->type = TK_N_REPLACE;
        if ((rc = get_str(j, "content", &s, &len, file, "normalizer Replace", err))) return rc;
        if (!(n->str = dup_str(s, len))) return LB_ENOMEM;
        n->str_len = len;
        if ((rc = load_pattern(j, &n->pat, file, "normalizer Replace", err))) return rc;
    } else if (!strcmp(t, "Strip")) {
        n->type = TK_N_STRIP;
        n->left = get_bool(j, "strip_left", 1);
        n->right = get_bool(j, "strip_right", 1);
    } else if (!strcmp(t, "Sequence")) {
        n->type = TK_N_SEQUENCE;
        json_t *a = json_object_get(j, "normalizers");
        if (!json_is_array(a))
            return lb_error_set(err, LB_EFORMAT, "%s: normalizer Sequence: \"normalizers\" must be an array", file);
        n->n_sub = json_array_size(a);
        if (n->n_sub && !(n->sub = calloc(n->n_sub, sizeof *n->sub))) return LB_ENOMEM;
        for (size_t i = 0; i < n->n_sub; i++)
            if ((rc = tk_load_normalizer(json_array_get(a, i), &n->sub[i], file, err))) return rc;
    } else
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: unsupported normalizer type \"%s\"", file, t);
    return 0;
}

void tk_normalizer_free(tk_normalizer_t *n) {
    if (!n) return;
    for (size_t i = 0; i < n->n_sub; i++) tk_normalizer_free(&n->sub[i]);
    free(n->sub);
    free(n->str);
    tk_pattern_free(&n->pat);
}

static int prepend_scheme(json_t *j, const char *file, const char *where, int *out, lb_error_t *err) {
    json_t *ps = json_object_get(j, "prepend_scheme");
    if (json_is_string(ps)) {
        const char *v = json_string_value(ps);
        if (!strcmp(v, "always")) *out = TK_PREPEND_ALWAYS;
        else if (!strcmp(v, "first")) *out = TK_PREPEND_FIRST;
        else if (!strcmp(v, "never")) *out = TK_PREPEND_NEVER;
        else return lb_error_set(err, LB_EUNSUPPORTED, "%s: %s: unsupported prepend_scheme \"%s\"", file, where, v);
        return 0;
    }
    /* Files written before prepend_scheme existed carry add_prefix_space instead. */
    *out = get_bool(j, "add_prefix_space", 1) ? TK_PREPEND_ALWAYS : TK_PREPEND_NEVER;
    return 0;
}

int tk_load_pretok(json_t *j, tk_pretok_t *p, const char *file, lb_error_t *err) {
    memset(p, 0, sizeof *p);
    const char *t = jtype(j);
    if (!t) return lb_error_set(err, LB_EFORMAT, "%s: pre_tokenizer without a \"type\"", file);
    int rc;
    char what[256];
    snprintf(what, sizeof what, "%s: pre_tokenizer %s", file, t);
    if (!strcmp(t, "ByteLevel")) {
        p->type = TK_P_BYTELEVEL;
        p->add_prefix_space = get_bool(j, "add_prefix_space", 1);
        p->use_regex = get_bool(j, "use_regex", 1);
        if (p->use_regex && (rc = tk_pattern_compile(&p->pat, GPT2_RE, strlen(GPT2_RE), 1, what, err)))
            return rc;
    } else if (!strcmp(t, "Split")) {
        p->type = TK_P_SPLIT;
        if ((rc = load_pattern(j, &p->pat, file, "pre_tokenizer Split", err))) return rc;
        json_t *b = json_object_get(j, "behavior");
        const char *bv = json_is_string(b) ? json_string_value(b) : "";
        if (!strcmp(bv, "Removed")) p->behavior = TK_REMOVED;
        else if (!strcmp(bv, "Isolated")) p->behavior = TK_ISOLATED;
        else if (!strcmp(bv, "MergedWithPrevious")) p->behavior = TK_MERGED_PREV;
        else if (!strcmp(bv, "MergedWithNext")) p->behavior = TK_MERGED_NEXT;
        else if (!strcmp(bv, "Contiguous")) p->behavior = TK_CONTIGUOUS;
        else return lb_error_set(err, LB_EFORMAT, "%s: unknown behavior \"%s\"", what, bv);
        p->invert = get_bool(j, "invert", 0);
    } else if (!strcmp(t, "Metaspace")) {
        p->type = TK_P_METASPACE;
        if ((rc = get_char(j, "replacement", &p->repl_cp, file, "pre_tokenizer Metaspace", err))) return rc;
        p->repl_len = (size_t)tk_utf8_encode(p->repl_cp, p->repl);
        if ((rc = prepend_scheme(j, file, "pre_tokenizer Metaspace", &p->prepend_scheme, err))) return rc;
        p->split = get_bool(j, "split", 1);
    } else if (!strcmp(t, "Digits")) {
        p->type = TK_P_DIGITS;
        p->individual_digits = get_bool(j, "individual_digits", 0);
    } else if (!strcmp(t, "Whitespace")) {
        p->type = TK_P_WHITESPACE;
        if ((rc = tk_pattern_compile(&p->pat, WS_RE, strlen(WS_RE), 1, what, err))) return rc;
    } else if (!strcmp(t, "WhitespaceSplit")) {
        p->type = TK_P_WHITESPACE_SPLIT;
    } else if (!strcmp(t, "Sequence")) {
        p->type = TK_P_SEQUENCE;
        json_t *a = json_object_get(j, "pretokenizers");
        if (!json_is_array(a))
            return lb_error_set(err, LB_EFORMAT, "%s: \"pretokenizers\" must be an array", what);
        p->n_sub = json_array_size(a);
        if (p->n_sub && !(p->sub = calloc(p->n_sub, sizeof *p->sub))) return LB_ENOMEM;
        for (size_t i = 0; i < p->n_sub; i++)
            if ((rc = tk_load_pretok(json_array_get(a, i), &p->sub[i], file, err))) return rc;
    } else
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: unsupported pre_tokenizer type \"%s\"", file, t);
    return 0;
}

void tk_pretok_free(tk_pretok_t *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_sub; i++) tk_pretok_free(&p->sub[i]);
    free(p->sub);
    tk_pattern_free(&p->pat);
}

int tk_load_decoder(json_t *j, tk_decoder_t *d, const char *file, lb_error_t *err) {
    memset(d, 0, sizeof *d);
    const char *t = jtype(j);
    if (!t) return lb_error_set(err, LB_EFORMAT, "%s: decoder without a \"type\"", file);
    int rc;
    if (!strcmp(t, "ByteLevel")) d->type = TK_D_BYTELEVEL;
    else if (!strcmp(t, "ByteFallback")) d->type = TK_D_BYTEFALLBACK;
    else if (!strcmp(t, "Fuse")) d->type = TK_D_FUSE;
    else if (!strcmp(t, "Metaspace")) {
        d->type = TK_D_METASPACE;
        if ((rc = get_char(j, "replacement", &d->repl_cp, file, "decoder Metaspace", err))) return rc;
        if ((rc = prepend_scheme(j, file, "decoder Metaspace", &d->prepend_scheme, err))) return rc;
    } else if (!strcmp(t, "Replace")) {
        d->type = TK_D_REPLACE;
        const char *s = NULL;
        size_t len = 0;
        if ((rc = get_str(j, "content", &s, &len, file, "decoder Replace", err))) return rc;
        if (!(d->str = dup_str(s, len))) return LB_ENOMEM;
        d->str_len = len;
        if ((rc = load_pattern(j, &d->pat, file, "decoder Replace", err))) return rc;
    } else if (!strcmp(t, "Strip")) {
        d->type = TK_D_STRIP;
        if ((rc = get_char(j, "content", &d->content_cp, file, "decoder Strip", err))) return rc;
        json_t *a = json_object_get(j, "start"), *b = json_object_get(j, "stop");
        if (!json_is_integer(a) || !json_is_integer(b) || json_integer_value(a) < 0 || json_integer_value(b) < 0)
            return lb_error_set(err, LB_EFORMAT, "%s: decoder Strip: \"start\" and \"stop\" must be counts", file);
        d->start = (size_t)json_integer_value(a);
        d->stop = (size_t)json_integer_value(b);
    } else if (!strcmp(t, "Sequence")) {
        d->type = TK_D_SEQUENCE;
        json_t *a = json_object_get(j, "decoders");
        if (!json_is_array(a))
            return lb_error_set(err, LB_EFORMAT, "%s: decoder Sequence: \"decoders\" must be an array", file);
        d->n_sub = json_array_size(a);
        if (d->n_sub && !(d->sub = calloc(d->n_sub, sizeof *d->sub))) return LB_ENOMEM;
        for (size_t i = 0; i < d->n_sub; i++)
            if ((rc = tk_load_decoder(json_array_get(a, i), &d->sub[i], file, err))) return rc;
    } else
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: unsupported decoder type \"%s\"", file, t);
    return 0;
}

void tk_decoder_free(tk_decoder_t *d) {
    if (!d) return;
    for (size_t i = 0; i < d->n_sub; i++) tk_decoder_free(&d->sub[i]);
    free(d->sub);
    free(d->str);
    tk_pattern_free(&d->pat);
}

static int ids_append(int32_t **v, size_t *n, const int32_t *src, size_t m, int front) {
    int32_t *d = realloc(*v, (*n + m + 1) * sizeof *d);
    if (!d) return LB_ENOMEM;
    if (m && front) {
        memmove(d + m, d, *n * sizeof *d);
        memcpy(d, src, m * sizeof *d);
    } else if (m)
        memcpy(d + *n, src, m * sizeof *d);
    *v = d;
    *n += m;
    return 0;
}

/* Template ids of one TemplateProcessing: those before $A and after it (single sequence). */
static int load_template(json_t *j, int32_t **pre, size_t *n_pre, int32_t **post, size_t *n_post,
                         const char *file, lb_error_t *err) {
    json_t *single = json_object_get(j, "single"), *specials = json_object_get(j, "special_tokens");
    if (!json_is_array(single))
        return lb_error_set(err, LB_EFORMAT, "%s: post_processor TemplateProcessing: \"single\" must be an array", file);
    int seen_a = 0;
    for (size_t i = 0; i < json_array_size(single); i++) {
        json_t *it = json_array_get(single, i);
        json_t *sp = json_object_get(it, "SpecialToken"), *sq = json_object_get(it, "Sequence");
        if (sq) {
            seen_a = 1;
            continue;
        }
        json_t *id = json_object_get(sp, "id");
        if (!json_is_string(id))
            return lb_error_set(err, LB_EFORMAT, "%s: post_processor TemplateProcessing: single[%zu] is neither "
                                "a SpecialToken nor a Sequence", file, i);
        json_t *st = json_object_get(json_object_get(specials, json_string_value(id)), "ids");
        if (!json_is_array(st))
            return lb_error_set(err, LB_EFORMAT, "%s: post_processor TemplateProcessing: special token \"%s\" "
                                "missing from special_tokens", file, json_string_value(id));
        for (size_t k = 0; k < json_array_size(st); k++) {
            json_t *v = json_array_get(st, k);
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > TK_MAX_ID)
                return lb_error_set(err, LB_EFORMAT, "%s: post_processor TemplateProcessing: special token \"%s\" "
                                    "needs integer ids in [0, %d]", file, json_string_value(id), TK_MAX_ID);
            int32_t x = (int32_t)json_integer_value(v);
            if (ids_append(seen_a ? post : pre, seen_a ? n_post : n_pre, &x, 1, 0)) return LB_ENOMEM;
        }
    }
    return 0;
}

int tk_load_post(json_t *j, lb_tokenizer_t *t, const char *file, lb_error_t *err) {
    const char *ty = jtype(j);
    if (!ty) return lb_error_set(err, LB_EFORMAT, "%s: post_processor without a \"type\"", file);
    if (!strcmp(ty, "ByteLevel")) return 0; /* offsets only */
    if (!strcmp(ty, "TemplateProcessing")) {
        int32_t *pre = NULL, *post = NULL;
        size_t n_pre = 0, n_post = 0;
        int rc = load_template(j, &pre, &n_pre, &post, &n_post, file, err);
        /* A later processor wraps what the earlier ones produced. */
        if (!rc) rc = ids_append(&t->post.pre, &t->post.n_pre, pre, n_pre, 1);
        if (!rc) rc = ids_append(&t->post.post, &t->post.n_post, post, n_post, 0);
        free(pre);
        free(post);
        t->post.present = 1;
        return rc;
    }
    if (!strcmp(ty, "Sequence")) {
        json_t *a = json_object_get(j, "processors");
        if (!json_is_array(a))
            return lb_error_set(err, LB_EFORMAT, "%s: post_processor Sequence: \"processors\" must be an array", file);
        for (size_t i = 0; i < json_array_size(a); i++) {
            int rc = tk_load_post(json_array_get(a, i), t, file, err);
            if (rc) return rc;
        }
        return 0;
    }
    return lb_error_set(err, LB_EUNSUPPORTED, "%s: unsupported post_processor type \"%s\"", file, ty);
}
