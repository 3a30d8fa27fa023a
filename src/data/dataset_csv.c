/* CSV reader (Harry Potter Q&A layout) on libcsv, the Debian-packaged RFC 4180 parser.
 *
 * libcsv runs in strict mode (a quote inside an unquoted field, or text after a closing quote,
 * is an error) and with no "space" characters, so unquoted fields keep their blanks exactly as
 * RFC 4180 and Python's csv module read them. The file is fed one physical line at a time: a
 * record's callbacks then fire while its last line is being fed, which gives every record the
 * line it ends on; subtracting the newlines inside its quoted fields gives the line it starts on.
 *
 * Before libcsv sees a line, lenient_line() drops the blanks that people put around quoted
 * fields (`"a", "b"`, `"a" ,b`): a run of blanks at the start of a field that is followed by a
 * quote, and a run of blanks after a closing quote that is followed by a delimiter or the line
 * end. It follows the quoting state across lines itself (fields, quoted fields, doubled
 * quotes), keeps a map back to the original columns for error messages, and leaves every other
 * byte alone, so libcsv's strict checks still reject everything else. */
#include "data_internal.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct csv_ctx {
    const char *path;
    long line;               /* physical line being fed */
    char **fields;           /* (n_fields) fields of the current record */
    size_t n_fields, cap_fields;
    long rec_newlines;       /* '\n' inside the current record's fields */
    long nul_field;          /* 1 + the first field of the current record holding a NUL (0: none) */
    long last_end;           /* line of the last completed record (0: none) */
    int have_header;
    size_t n_cols;
    long col_q, col_kw, col_ans, col_id, col_prefix;
    size_t index;
    lb_dataset_t *ds;
    lb_error_t *err;
    int rc;
} csv_ctx_t;

static int no_space(unsigned char c) {
    (void)c;
    return 0;
}

static void clear_fields(csv_ctx_t *c) {
    for (size_t i = 0; i < c->n_fields; i++) free(c->fields[i]);
    c->n_fields = 0;
    c->rec_newlines = 0;
}

static void on_field(void *data, size_t len, void *arg) {
    csv_ctx_t *c = arg;
    if (c->rc) return;
    if (c->n_fields == c->cap_fields) {
        size_t cap = c->cap_fields ? c->cap_fields * 2 : 8;
        char **nf = realloc(c->fields, cap * sizeof *nf);
        if (!nf) {
            c->rc = lb_error_set(c->err, LB_ENOMEM, "out of memory");
            return;
        }
        c->fields = nf;
        c->cap_fields = cap;
    }
    const char *s = data ? data : "";
    char *f = strndup(s, len);
    if (!f) {
        c->rc = lb_error_set(c->err, LB_ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < len; i++) c->rec_newlines += s[i] == '\n';
    if (!c->nul_field && memchr(s, '\0', len)) c->nul_field = (long)c->n_fields + 1;
    c->fields[c->n_fields++] = f;
}

static int header_is(const char *field, const char *name) {
    const char *a = field, *b = field + strlen(field);
    while (a < b && strchr(" \t", *a)) a++;
    while (b > a && strchr(" \t", b[-1])) b--;
    return (size_t)(b - a) == strlen(name) && !strncasecmp(a, name, (size_t)(b - a));
}

static void on_header(csv_ctx_t *c, long start) {
    c->have_header = 1;
    c->n_cols = c->n_fields;
    c->col_q = c->col_kw = c->col_ans = c->col_id = c->col_prefix = -1;
    long col_prompt = -1;  /* prompt-only layouts: "prompt", AdvBench "goal", HarmBench "Behavior" */
    for (size_t i = 0; i < c->n_fields; i++) {
        const char *f = c->fields[i];
        if (c->col_q < 0 && header_is(f, "question")) c->col_q = (long)i;
        else if (col_prompt < 0 && (header_is(f, "prompt") || header_is(f, "goal") ||
                                    header_is(f, "behavior")))
            col_prompt = (long)i;
        else if (c->col_kw < 0 && (header_is(f, "key words") || header_is(f, "keywords"))) c->col_kw = (long)i;
        else if (c->col_ans < 0 && header_is(f, "answer")) c->col_ans = (long)i;
        else if (c->col_id < 0 && header_is(f, "id")) c->col_id = (long)i;
        else if (c->col_prefix < 0 && header_is(f, "affirmative response")) c->col_prefix = (long)i;
    }
    if (c->col_q < 0) c->col_q = col_prompt;
    if (c->col_q < 0)
        c->rc = lb_error_set(c->err, LB_EINVAL,
                             "%s:%ld: the header has no \"Question\" column (Harry Potter Q&A layout: "
                             "Question, Key Words; prompt-only layouts: \"prompt\", \"goal\" or "
                             "\"Behavior\")",
                             c->path, start);
}

static int nul_field_error(const csv_ctx_t *c, long line) {
    long k = c->nul_field - 1;
    const char *name = !c->have_header ? NULL
                     : k == c->col_q ? "Question" : k == c->col_kw ? "Key Words"
                     : k == c->col_ans ? "Answer" : k == c->col_prefix ? "Affirmative Response"
                     : k == c->col_id ? "id" : NULL;
    if (name)
        return lb_error_set(c->err, LB_EINVAL, "%s:%ld: \"%s\" field holds a NUL byte, which would "
                            "cut the text short", c->path, line, name);
    return lb_error_set(c->err, LB_EINVAL, "%s:%ld: %sfield %ld holds a NUL byte, which would cut "
                        "the text short", c->path, line, c->have_header ? "" : "header ", k + 1);
}

static void on_record(int term, void *arg) {
    (void)term;
    csv_ctx_t *c = arg;
    if (c->rc) return;
    long start = c->line - c->rec_newlines;
    c->last_end = c->line;
    if (c->nul_field) {
        /* strndup stopped at the NUL: the text would be cut short. */
        c->rc = nul_field_error(c, start);
        return;
    }
    if (!c->have_header) {
        on_header(c, start);
        clear_fields(c);
        return;
    }
    if (c->n_fields != c->n_cols) {
        c->rc = lb_error_set(c->err, LB_EINVAL, "%s:%ld: record has %zu fields, the header has %zu",
                             c->path, start, c->n_fields, c->n_cols);
        return;
    }
    lb_data_item_t it = {0};
    it.line = start;
    it.question = c->fields[c->col_q];
    if (!*it.question) {
        c->rc = lb_error_set(c->err, LB_EINVAL, "%s:%ld: item %zu: empty \"Question\" field",
                             c->path, start, c->index);
        return;
    }
    if (c->col_ans >= 0) it.answer = c->fields[c->col_ans];
    if (c->col_prefix >= 0) it.prefix = c->fields[c->col_prefix];
    if (c->col_id >= 0 && *c->fields[c->col_id]) it.id = c->fields[c->col_id];
    if (c->col_kw >= 0)
        c->rc = lb_data_split_keywords(c->fields[c->col_kw], &it.keywords, &it.n_keywords, c->err);
    if (!c->rc) c->rc = lb_data_append(c->ds, &it, c->err);
    for (size_t i = 0; i < it.n_keywords; i++) free(it.keywords[i]);
    free(it.keywords);
    c->index++;
    clear_fields(c);
}

/* Where the quoted field left open at end of file was opened: scan the unfinished record. */
static void find_open_quote(const char *buf, size_t len, size_t from, long line, long *ol, long *oc) {
    int in_q = 0;
    long l = line, col = 1;
    *ol = line;
    *oc = 1;
    for (size_t i = from; i < len; i++, col++) {
        if (buf[i] == '"') {
            if (!in_q) {
                in_q = 1;
                *ol = l;
                *oc = col;
            } else if (i + 1 < len && buf[i + 1] == '"') {
                i++, col++;
            } else {
                in_q = 0;
            }
        }
        if (buf[i] == '\n') l++, col = 0;
    }
}

/* Quoting state of lenient_line, carried from one physical line to the next. */
enum { Q_START, Q_UNQUOTED, Q_QUOTED, Q_AFTER_QUOTE };

static int is_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* Copy line (n bytes; eof: nothing follows it) into out without the blanks around quoted
 * fields; map[j] is the 0-based column in line of out[j]. Returns the bytes written; *dropped
 * is set when any blank was dropped. */
static size_t lenient_line(const char *line, size_t n, int eof, int *state, char *out, size_t *map,
                           int *dropped) {
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = line[i];
        if (is_blank(ch) && (*state == Q_START || *state == Q_AFTER_QUOTE)) {
            size_t k = i;
            while (k < n && is_blank(line[k])) k++;
            int skip = *state == Q_START ? k < n && line[k] == '"'
                                         : (k == n && eof) || (k < n && strchr(",\r\n", line[k]));
            if (skip) {
                *dropped = 1;
                i = k - 1;
                continue;
            }
        }
        switch (*state) {
        case Q_START:
            *state = ch == '"' ? Q_QUOTED : (ch == ',' || ch == '\r' || ch == '\n') ? Q_START : Q_UNQUOTED;
            break;
        case Q_UNQUOTED:
            if (ch == ',' || ch == '\r' || ch == '\n') *state = Q_START;
            break;
        case Q_QUOTED:
            if (ch == '"') *state = Q_AFTER_QUOTE;
            break;
        default: /* Q_AFTER_QUOTE: a doubled quote, or the field ended (libcsv judges the rest) */
            *state = ch == '"' ? Q_QUOTED : Q_START;
            break;
        }
        map[j] = i;
        out[j++] = ch;
    }
    return j;
}

int lbi_data_parse_csv(const char *path, const char *buf, size_t len, lb_dataset_t *ds,
                      lb_error_t *err) {
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    csv_set_space_func(&p, no_space);
    csv_ctx_t c = {.path = path, .ds = ds, .err = err};
    size_t pos = 0;
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) pos = 3;
    size_t rec_from = pos;  /* first byte after the last completed record */
    long rec_from_line = 1;
    int qstate = Q_START;
    char *clean = malloc(len - pos + 1);
    size_t *map = malloc((len - pos + 1) * sizeof *map);
    if (!clean || !map) c.rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    for (c.line = 1; pos < len && !c.rc; c.line++) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t next = nl ? (size_t)(nl - buf) + 1 : len;
        long ended = c.last_end;
        int dropped = 0;
        size_t m = lenient_line(buf + pos, next - pos, next == len, &qstate, clean, map, &dropped);
        if (dropped && !ds->n_lenient++) ds->lenient_line = c.line;
        size_t got = csv_parse(&p, clean, m, on_field, on_record, &c);
        if (!c.rc && got < m) {
            int e = csv_error(&p);
            if (e == CSV_EPARSE)
                c.rc = lb_error_set(err, LB_EFORMAT,
                                    "%s:%ld:%zu: malformed CSV: quote inside an unquoted field or "
                                    "text after a closing quote (RFC 4180)",
                                    path, c.line, map[got] + 1);
            else
                c.rc = lb_error_set(err, LB_ENOMEM, "%s:%ld: %s", path, c.line, csv_strerror(e));
        }
        if (c.last_end != ended) {
            rec_from = next;
            rec_from_line = c.line + 1;
        }
        pos = next;
    }
    if (!c.rc) {
        c.line--;  /* csv_fini completes a record on the last line */
        if (c.line < 1) c.line = 1;
        if (csv_fini(&p, on_field, on_record, &c) != 0 && !c.rc) {
            long ol, oc;
            find_open_quote(buf, len, rec_from, rec_from_line, &ol, &oc);
            c.rc = lb_error_set(err, LB_EFORMAT, "%s:%ld:%ld: malformed CSV: unterminated quoted field",
                                path, ol, oc);
        }
    }
    if (!c.rc && !c.have_header)
        c.rc = lb_error_set(err, LB_EINVAL, "%s: empty CSV file (expected a header row)", path);
    clear_fields(&c);
    free(c.fields);
    free(clean);
    free(map);
    csv_free(&p);
    return c.rc;
}
