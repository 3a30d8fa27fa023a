/* Chat-template lexer: text runs and the tokens inside {{ }}, {% %} (comments dropped), with
 * Hugging Face's environment settings: trim_blocks, lstrip_blocks, "-" / "+" whitespace control,
 * newlines normalised to "\n" and one trailing newline of the source dropped. */
#include "jinja.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const char *origin;
    lb_jj_tok_t *toks;
    size_t n, cap;
    lb_error_t *err;
} lexer_t;

static int push(lexer_t *L, lb_jj_tok_kind_t kind, const char *s, size_t n, int line) {
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 64;
        lb_jj_tok_t *nt = realloc(L->toks, cap * sizeof *nt);
        if (!nt) return lb_error_set(L->err, LB_ENOMEM, "out of memory");
        L->toks = nt;
        L->cap = cap;
    }
    lb_jj_tok_t *t = &L->toks[L->n];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->line = line;
    t->s = malloc(n + 1);
    if (!t->s) return lb_error_set(L->err, LB_ENOMEM, "out of memory");
    if (n) memcpy(t->s, s, n);
    t->s[n] = '\0';
    t->n = n;
    L->n++;
    return LB_OK;
}

static int count_nl(const char *a, const char *b) {
    int k = 0;
    for (; a < b; a++) k += *a == '\n';
    return k;
}

static const char *const ops2[] = {"==", "!=", "<=", ">=", "//", "**"};
static const char ops1[] = "()[].,:|+-*/%~<>=";

/* Lex the inside of a tag from p until the closing delimiter (close = "}}" or "%}").
 * Returns the position of the closing delimiter's first char (or of the "-"/"+" before it). */
static int lex_expr(lexer_t *L, const char **pp, int *line, const char *close, const char **end) {
    const char *p = *pp;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n') {
            if (*p == '\n') (*line)++;
            p++;
        }
        if (!*p)
            return lb_error_set(L->err, LB_EUNSUPPORTED, "%s: chat_template:%d: unclosed tag (expected '%s')",
                                L->origin, *line, close);
        if ((*p == '-' || *p == '+') && !strncmp(p + 1, close, 2)) {
            *end = p;
            *pp = p;
            return LB_OK;
        }
        if (!strncmp(p, close, 2)) {
            *end = p;
            *pp = p;
            return LB_OK;
        }
        int rc;
        if (isalpha((unsigned char)*p) || *p == '_') {
            const char *s = p;
            while (isalnum((unsigned char)*p) || *p == '_') p++;
            rc = push(L, JT_NAME, s, (size_t)(p - s), *line);
        } else if (isdigit((unsigned char)*p)) {
            const char *s = p;
            while (isdigit((unsigned char)*p)) p++;
            if (*p == '.' && isdigit((unsigned char)p[1]))
                return lb_error_set(L->err, LB_EUNSUPPORTED,
                                    "%s: chat_template:%d: unsupported construct: float literal",
                                    L->origin, *line);
            long long v = 0;
            for (const char *d = s; d < p; d++)
                if (__builtin_mul_overflow(v, 10LL, &v) || __builtin_add_overflow(v, (long long)(*d - '0'), &v))
                    return lb_error_set(L->err, LB_EUNSUPPORTED,
                                        "%s: chat_template:%d: unsupported construct: integer literal %.*s "
                                        "(above 2^63 - 1; leakbound's integers are 64-bit)",
                                        L->origin, *line, (int)(p - s > 40 ? 40 : p - s), s);
            rc = push(L, JT_INT, s, (size_t)(p - s), *line);
            if (!rc) L->toks[L->n - 1].i = v;
        } else if (*p == '\'' || *p == '"') {
            char q = *p++;
            int start_line = *line;
            size_t cap = strlen(p) + 1, k = 0;
            char *buf = malloc(cap);
            if (!buf) return lb_error_set(L->err, LB_ENOMEM, "out of memory");
            while (*p && *p != q) {
                char c = *p++;
                if (c == '\n') (*line)++;
                if (c == '\\' && *p) {
                    char e = *p++;
                    switch (e) {
                    case 'n': c = '\n'; break;
                    case 't': c = '\t'; break;
                    case 'r': c = '\r'; break;
                    case '\\': c = '\\'; break;
                    case '\'': c = '\''; break;
                    case '"': c = '"'; break;
                    case '\n': (*line)++; continue;  /* Python: backslash-newline is dropped */
                    default: buf[k++] = '\\'; c = e; break;
                    }
                }
                buf[k++] = c;
            }
            if (!*p) {
                free(buf);
                return lb_error_set(L->err, LB_EUNSUPPORTED, "%s: chat_template:%d: unterminated string literal",
                                    L->origin, start_line);
            }
            p++;
            rc = push(L, JT_STRING, buf, k, start_line);
            free(buf);
        } else {
            size_t len = 0;
            for (size_t i = 0; i < sizeof ops2 / sizeof ops2[0]; i++)
                if (!strncmp(p, ops2[i], 2)) len = 2;
            if (!len && strchr(ops1, *p)) len = 1;
            if (!len)
                return lb_error_set(L->err, LB_EUNSUPPORTED, "%s: chat_template:%d: unexpected character '%c'",
                                    L->origin, *line, *p);
            rc = push(L, JT_OP, p, len, *line);
            p += len;
        }
        if (rc) return rc;
    }
}

int lbi_jj_lex(const char *src_in, const char *origin, lb_jj_tok_t **toks, size_t *n, lb_error_t *err) {
    lexer_t L = {.origin = origin, .err = err};
    /* Jinja normalises newlines in template data; doing it on the whole source is equivalent
     * for every template that does not spell "\r" inside a literal. */
    size_t len = strlen(src_in);
    char *src = malloc(len + 1);
    if (!src) return lb_error_set(err, LB_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (src_in[i] == '\r') {
            src[k++] = '\n';
            if (src_in[i + 1] == '\n') i++;
        } else {
            src[k++] = src_in[i];
        }
    }
    if (k && src[k - 1] == '\n') k--;  /* keep_trailing_newline = False */
    src[k] = '\0';

    const char *p = src;
    int line = 1, rc = 0;
    int strip_next = 0;  /* previous tag ended with "-": drop leading whitespace of the text */
    int trim_next = 0;   /* previous tag was a block/comment: drop one newline (trim_blocks) */
    while (!rc) {
        const char *tag = p;
        while (*tag && !(tag[0] == '{' && (tag[1] == '{' || tag[1] == '%' || tag[1] == '#'))) tag++;
        const char *ts = p, *te = tag;
        if (strip_next)
            while (ts < te && isspace((unsigned char)*ts)) ts++;
        else if (trim_next && ts < te && *ts == '\n')
            ts++;
        char kind = *tag ? tag[1] : 0;
        char mod = *tag ? tag[2] : 0;
        if (kind && mod == '-') {
            while (te > ts && isspace((unsigned char)te[-1])) te--;
        } else if ((kind == '%' || kind == '#') && mod != '+') {
            /* lstrip_blocks, as Jinja's lexer decides it: the blanks between the start of the
             * line and the tag go, when the text holds a newline or the previous token ended
             * one (or this is the start of the template). */
            const char *l = te;
            while (l > ts && l[-1] != '\n') l--;
            int line_starting = ts == src || ts[-1] == '\n';
            if (l > ts || line_starting) {
                const char *q = l;
                while (q < te && isspace((unsigned char)*q)) q++;
                if (q == te) te = l;
            }
        }
        int text_line = line + count_nl(p, ts);
        if (te > ts) rc = push(&L, JT_TEXT, ts, (size_t)(te - ts), text_line);
        line += count_nl(p, tag);
        if (rc || !kind) break;
        p = tag + 2 + (mod == '-' || mod == '+');
        strip_next = trim_next = 0;
        if (kind == '#') {
            const char *e = strstr(p, "#}");
            if (!e) {
                rc = lb_error_set(err, LB_EUNSUPPORTED, "%s: chat_template:%d: unclosed comment",
                                  origin, line);
                break;
            }
            line += count_nl(p, e);
            strip_next = e > p && e[-1] == '-';
            trim_next = !(e > p && e[-1] == '+');
            p = e + 2;
            continue;
        }
        const char *close = kind == '{' ? "}}" : "%}";
        rc = push(&L, kind == '{' ? JT_VAR_BEGIN : JT_BLOCK_BEGIN, "", 0, line);
        const char *end = NULL;
        if (!rc) rc = lex_expr(&L, &p, &line, close, &end);
        if (rc) break;
        strip_next = *end == '-';
        trim_next = kind == '%' && *end != '+';
        rc = push(&L, kind == '{' ? JT_VAR_END : JT_BLOCK_END, "", 0, line);
        p = end + (*end == '-' || *end == '+') + 2;
    }
    if (!rc) rc = push(&L, JT_EOF, "", 0, line);
    free(src);
    if (rc) {
        lbi_jj_tokens_free(L.toks, L.n);
        return rc;
    }
    *toks = L.toks;
    *n = L.n;
    return LB_OK;
}

void lbi_jj_tokens_free(lb_jj_tok_t *toks, size_t n) {
    for (size_t i = 0; i < n; i++) free(toks[i].s);
    free(toks);
}
