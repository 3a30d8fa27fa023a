/* JSONL reading on top of jansson; one getline buffer reused for the whole file. */
#include "leakbound/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* fopen succeeds on a folder and the first read fails: say what it is. */
static int is_dir(FILE *fp) {
    struct stat st;
    return !fstat(fileno(fp), &st) && S_ISDIR(st.st_mode);
}

int lb_jsonl_open(lb_jsonl_reader_t *r, const char *path, lb_error_t *err) {
    memset(r, 0, sizeof *r);
    if (strcmp(path, "-") == 0) {
        r->fp = stdin;
        r->path = strdup("<stdin>");
    } else {
        r->fp = fopen(path, "rb");
        if (!r->fp) return lb_error_set(err, LB_EIO, "%s: cannot open: %s", path, strerror(errno));
        r->owns_fp = 1;
        if (is_dir(r->fp)) {
            lb_jsonl_close(r);
            return lb_error_set(err, LB_EIO, "%s: is a directory, not a file", path);
        }
        r->path = strdup(path);
    }
    if (!r->path) {
        lb_jsonl_close(r);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    return LB_OK;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

int lb_jsonl_next(lb_jsonl_reader_t *r, json_t **out, lb_error_t *err) {
    *out = NULL;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->line_cap, r->fp);
        if (n < 0) {
            if (ferror(r->fp))
                return lb_error_set(err, LB_EIO, "%s:%ld: read error: %s", r->path, r->lineno + 1,
                                    strerror(errno ? errno : EIO));
            return 0;
        }
        r->lineno++;
        size_t len = (size_t)n;
        if (len && r->line[len - 1] == '\n') len--;
        if (len && r->line[len - 1] == '\r') len--;
        if (is_blank(r->line, len)) continue;
        json_error_t je;
        json_t *v = json_loadb(r->line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        if (!v)
            return lb_error_set(err, LB_EFORMAT, "%s:%ld:%d: malformed JSON: %s", r->path,
                                r->lineno, je.column, je.text);
        *out = v;
        return 1;
    }
}

void lb_jsonl_close(lb_jsonl_reader_t *r) {
    if (r->owns_fp && r->fp) fclose(r->fp);
    free(r->path);
    free(r->line);
    memset(r, 0, sizeof *r);
}

int lb_io_read_file(const char *path, char **data, size_t *len, lb_error_t *err) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) return lb_error_set(err, LB_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (is_dir(fp)) {
        if (!is_stdin) fclose(fp);
        return lb_error_set(err, LB_EIO, "%s: is a directory, not a file", path);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    errno = 0;
    for (;;) {
        if (!buf) break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0) break;
    }
    int oom = !buf, bad = oom || ferror(fp), saved = errno;
    if (!is_stdin) fclose(fp);
    if (bad) {
        free(buf);
        if (oom) return lb_error_set(err, LB_ENOMEM, "%s: out of memory reading it", path);
        return lb_error_set(err, LB_EIO, "%s: read failed: %s", path, strerror(saved ? saved : EIO));
    }
    buf[n] = '\0';
    *data = buf;
    if (len) *len = n;
    return LB_OK;
}
