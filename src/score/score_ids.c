/* lb_score_ids_t — the ids of a samples or scores file, kept once for `leakbound bound`
 * (lb_scores_read) and `leakbound eval --samples` (lb_eval_from_samples): numbering by first
 * appearance, one id one JSON type (1 and "1" refused), one greedy answer per id (an identical
 * repeat kept once with allow-duplicates), one answer per (id, "sample") unless allow-duplicates.
 * Both hash tables use open addressing; the messages are worded as each reader words them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/score.h"

struct lb_score_ids {
    const char *path;
    unsigned flags;
    lb_score_ids_words_t words;
    size_t n;                     /* ids numbered */
    char *keys;                   /* every id's key, one after another */
    size_t *key_off;              /* (n + 1) where each key starts */
    long *first_line, *greedy_line; /* (n) */
    size_t *ans_at, *ans_len;     /* (n) each greedy answer's bytes in ans */
    char *ans;
    size_t ans_used;
    size_t keys_cap, key_off_cap, first_cap, greedy_cap, at_cap, len_cap, ans_cap;
    /* id -> number: slot holds number + 1 (0: empty), hash the key's hash */
    size_t *slot;
    uint64_t *hash;
    size_t cap;
    /* the (id, sample) pairs seen: id + 1 (0: empty), the sample, the line that brought it */
    size_t *pair_id;
    long long *pair_sample;
    long *pair_line;
    size_t pair_cap, pair_n;
};

static int nomem(lb_error_t *err) { return lb_error_set(err, LB_ENOMEM, "out of memory"); }

/* FNV-1a over the type byte and the payload, then a final avalanche. */
static uint64_t key_hash(char type, const char *s, size_t n) {
    uint64_t h = (1469598103934665603ULL ^ (unsigned char)type) * 1099511628211ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* Id number + 1 of the key (type, s[0..n)) with hash h, 0 when absent; *at its slot or the
 * empty slot where it would go. */
static size_t find(const lb_score_ids_t *b, char type, const char *s, size_t n, uint64_t h,
                   size_t *at) {
    size_t j = h & (b->cap - 1);
    for (; b->slot[j]; j = (j + 1) & (b->cap - 1)) {
        size_t p = b->slot[j] - 1;
        const char *k = b->keys + b->key_off[p];
        if (b->hash[j] == h && b->key_off[p + 1] - b->key_off[p] == n + 1 && k[0] == type &&
            (!n || !memcmp(k + 1, s, n))) {
            if (at) *at = j;
            return p + 1;
        }
    }
    if (at) *at = j;
    return 0;
}

static int rehash(lb_score_ids_t *b, size_t cap) {
    size_t *slot = calloc(cap, sizeof *slot);
    uint64_t *hash = malloc(cap * sizeof *hash);
    if (!slot || !hash) {
        free(slot);
        free(hash);
        return -1;
    }
    for (size_t i = 0; i < b->cap; i++) {
        if (!b->slot[i]) continue;
        size_t j = b->hash[i] & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = b->slot[i];
        hash[j] = b->hash[i];
    }
    free(b->slot);
    free(b->hash);
    b->slot = slot;
    b->hash = hash;
    b->cap = cap;
    return 0;
}

int lb_score_ids_new(lb_score_ids_t **out, const char *path, unsigned flags,
                     lb_score_ids_words_t words, lb_error_t *err) {
    lb_score_ids_t *b = calloc(1, sizeof *b);
    *out = NULL;
    if (!b || !(b->key_off = calloc(2, sizeof *b->key_off)) || rehash(b, 1024)) {
        lb_score_ids_free(b);
        return nomem(err);
    }
    b->key_off_cap = 2;
    b->path = path;
    b->flags = flags;
    b->words = words;
    *out = b;
    return 0;
}

void lb_score_ids_free(lb_score_ids_t *b) {
    if (!b) return;
    free(b->keys);
    free(b->key_off);
    free(b->first_line);
    free(b->greedy_line);
    free(b->ans_at);
    free(b->ans_len);
    free(b->ans);
    free(b->slot);
    free(b->hash);
    free(b->pair_id);
    free(b->pair_sample);
    free(b->pair_line);
    free(b);
}

/* An id for `bound`'s messages: 12 or 'text' (cut at 60 bytes; %.*s stops at a NUL). */
static const char *bound_name(char type, const char *s, size_t n, char *buf, size_t cap) {
    if (type == 'i') {
        json_int_t i;
        memcpy(&i, s, sizeof i);
        snprintf(buf, cap, "%lld", (long long)i);
    } else {
        snprintf(buf, cap, "'%.*s%s'", (int)(n > 60 ? 60 : n), s, n > 60 ? "..." : "");
    }
    return buf;
}

/* An id for `eval --samples`'s messages, whole: the integer's digits (written into buf, 32
 * bytes) or the string's text (eval's ids hold no NUL); *len its length, for "%.*s". */
static const char *text_name(char type, const char *s, size_t n, char *buf, int *len) {
    if (type == 'i') {
        json_int_t i;
        memcpy(&i, s, sizeof i);
        *len = snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, i);
        return buf;
    }
    *len = n > INT32_MAX ? INT32_MAX : (int)n;
    return s;
}

const char *lb_score_ids_name(const lb_score_ids_t *b, size_t p, char *buf, size_t cap) {
    const char *k = b->keys + b->key_off[p];
    size_t n = b->key_off[p + 1] - b->key_off[p] - 1;
    if (b->words == LB_SCORE_IDS_BOUND) return bound_name(k[0], k + 1, n, buf, cap);
    char digits[32];
    int len;
    const char *t = text_name(k[0], k + 1, n, digits, &len);
    snprintf(buf, cap, "%.*s", len, t);
    return buf;
}

/* The number + 1 of the id of the other type written the same (the integer i and the string
 * of its digits as JSON writes them), 0 when there is none. */
static size_t other_type(const lb_score_ids_t *b, char type, const char *s, size_t n) {
    char buf[32];
    if (type == 'i') {
        json_int_t i;
        memcpy(&i, s, sizeof i);
        int m = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, i);
        return find(b, 's', buf, (size_t)m, key_hash('s', buf, (size_t)m), NULL);
    }
    /* the string of an integer's digits as JSON writes them: -?(0|[1-9][0-9]*), in range */
    size_t d = n && s[0] == '-';
    if (n - d == 0 || n - d > 19 || (s[d] == '0' && n - d > 1)) return 0;
    for (size_t i = d; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    if (!strcmp(buf, "-0")) return 0; /* JSON's -0 is the integer 0, written "0" */
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno) return 0;
    json_int_t i = (json_int_t)v;
    return find(b, 'i', (const char *)&i, sizeof i, key_hash('i', (const char *)&i, sizeof i),
                NULL);
}

/* The mixed-types refusal: the id (type, s, n) on line, the other type's id q. */
static int mixed(const lb_score_ids_t *b, char type, const char *s, size_t n, long line,
                 size_t q, lb_error_t *err) {
    int now = type == 'i';
    const char *tail = "one id must be written one way in a file, always an integer or always "
                       "a string (mixed id types)";
    char a[96], c[96];
    if (b->words == LB_SCORE_IDS_BOUND) {
        lb_score_ids_name(b, q, c, sizeof c);
        return lb_error_set(err, LB_EINVAL, "%s:%ld: id %s is %s, but line %ld's id %s is %s: %s",
                            b->path, line, bound_name(type, s, n, a, sizeof a),
                            now ? "an integer" : "a string", b->first_line[q], c,
                            now ? "a string" : "an integer", tail);
    }
    /* the same digits either way: strings quoted "1" */
    int len;
    const char *t = text_name(type, s, n, a, &len);
    const char *qn = now ? "" : "\"", *qo = now ? "\"" : "";
    return lb_error_set(err, LB_EINVAL, "%s:%ld: id %s%.*s%s is %s, but line %ld's id %s%.*s%s is "
                        "%s: %s", b->path, line, qn, len, t, qn, now ? "an integer" : "a string",
                        b->first_line[q], qo, len, t, qo, now ? "a string" : "an integer", tail);
}

int lb_score_ids_prompt(lb_score_ids_t *b, int is_int, long long ival, const char *s,
                        size_t len, long line, size_t *p, int *is_new, lb_error_t *err) {
    json_int_t iv = (json_int_t)ival;
    char type = is_int ? 'i' : 's';
    if (is_int) {
        s = (const char *)&iv;
        len = sizeof iv;
    }
    uint64_t h = key_hash(type, s, len);
    size_t j, have = find(b, type, s, len, h, &j);
    *is_new = !have;
    if (have) {
        *p = have - 1;
        return 0;
    }
    size_t q = other_type(b, type, s, len);
    if (q) return mixed(b, type, s, len, line, q - 1, err);
    size_t n = b->n;
    if ((n + 1) * 2 > b->cap) {
        if (rehash(b, b->cap * 2)) return nomem(err);
        find(b, type, s, len, h, &j);
    }
    if (lb_grow((void **)&b->key_off, &b->key_off_cap, n + 2, sizeof *b->key_off) ||
        lb_grow((void **)&b->keys, &b->keys_cap, b->key_off[n] + len + 1, 1) ||
        lb_grow((void **)&b->first_line, &b->first_cap, n + 1, sizeof *b->first_line) ||
        lb_grow((void **)&b->greedy_line, &b->greedy_cap, n + 1, sizeof *b->greedy_line) ||
        lb_grow((void **)&b->ans_at, &b->at_cap, n + 1, sizeof *b->ans_at) ||
        lb_grow((void **)&b->ans_len, &b->len_cap, n + 1, sizeof *b->ans_len))
        return nomem(err);
    char *k = b->keys + b->key_off[n];
    k[0] = type;
    if (len) memcpy(k + 1, s, len);
    b->key_off[n + 1] = b->key_off[n] + len + 1;
    b->first_line[n] = line;
    b->greedy_line[n] = 0;
    b->ans_at[n] = b->ans_len[n] = 0;
    b->slot[j] = n + 1;
    b->hash[j] = h;
    b->n = n + 1;
    *p = n;
    return 0;
}

int lb_score_ids_greedy(lb_score_ids_t *b, size_t p, long line, const void *answer, size_t len,
                        int *take, lb_error_t *err) {
    int allow = (b->flags & LB_SCORES_ALLOW_DUPLICATES) != 0;
    *take = 0;
    if (b->greedy_line[p]) {
        /* the same greedy answer repeated: one answer whichever line repeats it */
        if (allow && b->ans_len[p] == len && !memcmp(b->ans + b->ans_at[p], answer, len))
            return 0;
        const char *k = b->keys + b->key_off[p];
        size_t n = b->key_off[p + 1] - b->key_off[p] - 1;
        char name[96];
        if (b->words == LB_SCORE_IDS_BOUND)
            return lb_error_set(err, LB_EINVAL, "%s:%ld: id %s has a second greedy answer "
                                "(\"sample\": -1; the first is on line %ld%s)", b->path, line,
                                bound_name(k[0], k + 1, n, name, sizeof name), b->greedy_line[p],
                                allow ? ", with another score" : "");
        int tl;
        const char *t = text_name(k[0], k + 1, n, name, &tl);
        return lb_error_set(err, LB_EINVAL, "%s:%ld: a second greedy answer for id '%.*s' (the "
                            "first is on line %ld%s)", b->path, line, tl, t, b->greedy_line[p],
                            allow ? ", with another text" : "");
    }
    if (allow) { /* kept only to recognize a repeat */
        if (lb_grow((void **)&b->ans, &b->ans_cap, b->ans_used + len + 1, 1)) return nomem(err);
        memcpy(b->ans + b->ans_used, answer, len);
        b->ans_at[p] = b->ans_used;
        b->ans_len[p] = len;
        b->ans_used += len;
    }
    b->greedy_line[p] = line;
    *take = 1;
    return 0;
}

static uint64_t pair_hash(size_t p, long long sample) {
    uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ULL ^ (uint64_t)sample * 0xc2b2ae3d27d4eb4fULL;
    h ^= h >> 31;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static int pair_grow(lb_score_ids_t *b) {
    size_t cap = b->pair_cap ? b->pair_cap * 2 : 4096;
    size_t *np = calloc(cap, sizeof *np);
    long long *ns = malloc(cap * sizeof *ns);
    long *nl = malloc(cap * sizeof *nl);
    if (!np || !ns || !nl) {
        free(np);
        free(ns);
        free(nl);
        return -1;
    }
    for (size_t i = 0; i < b->pair_cap; i++) {
        if (!b->pair_id[i]) continue;
        size_t j = pair_hash(b->pair_id[i] - 1, b->pair_sample[i]) & (cap - 1);
        while (np[j]) j = (j + 1) & (cap - 1);
        np[j] = b->pair_id[i];
        ns[j] = b->pair_sample[i];
        nl[j] = b->pair_line[i];
    }
    free(b->pair_id);
    free(b->pair_sample);
    free(b->pair_line);
    b->pair_id = np;
    b->pair_sample = ns;
    b->pair_line = nl;
    b->pair_cap = cap;
    return 0;
}

int lb_score_ids_sample(lb_score_ids_t *b, size_t p, long long sample, long line,
                        lb_error_t *err) {
    if (b->flags & LB_SCORES_ALLOW_DUPLICATES) return 0;
    if ((b->pair_n + 1) * 2 > b->pair_cap && pair_grow(b)) return nomem(err);
    size_t j = pair_hash(p, sample) & (b->pair_cap - 1);
    for (; b->pair_id[j]; j = (j + 1) & (b->pair_cap - 1)) {
        if (b->pair_id[j] != p + 1 || b->pair_sample[j] != sample) continue;
        if (b->words == LB_SCORE_IDS_EVAL_SAMPLES)
            return lb_error_set(err, LB_EINVAL, "%s:%ld: this id and \"sample\" are already on "
                                "line %ld: the bounds assume independent samples, each counted "
                                "once (--allow-duplicates counts repeats)", b->path, line,
                                b->pair_line[j]);
        char name[96];
        return lb_error_set(err, LB_EINVAL, "%s:%ld: id %s, sample %lld again (first on line "
                            "%ld): a repeated answer would count twice and tighten every bound; "
                            "remove the duplicate lines, or allow them with --allow-duplicates",
                            b->path, line, lb_score_ids_name(b, p, name, sizeof name), sample,
                            b->pair_line[j]);
    }
    b->pair_id[j] = p + 1;
    b->pair_sample[j] = sample;
    b->pair_line[j] = line;
    b->pair_n++;
    return 0;
}

size_t lb_score_ids_count(const lb_score_ids_t *b) { return b ? b->n : 0; }

const char *lb_score_ids_key(const lb_score_ids_t *b, size_t p, size_t *len) {
    *len = b->key_off[p + 1] - b->key_off[p];
    return b->keys + b->key_off[p];
}

long lb_score_ids_first_line(const lb_score_ids_t *b, size_t p) { return b->first_line[p]; }

long lb_score_ids_greedy_line(const lb_score_ids_t *b, size_t p) { return b->greedy_line[p]; }
