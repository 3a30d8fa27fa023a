/* driver_stats — lets the Python oracles call the stats library in bulk: one request per
 * stdin line, one answer line per request (%.17g, space-separated), so a single process
 * answers thousands of cases.
 *
 *   cp K N ALPHA                 -> Clopper-Pearson upper bound
 *   sample ALPHA N x1..xN        -> eps1 eps2 anderson_upper(eps1) anderson_lower(eps1)
 *                                   sigma_upper(alpha) conbo_expectation(alpha): mean lo hi
 *                                   conbo_std(alpha): std lo hi
 *   grid ALPHA S N x1..xN        -> conbo_expectation(alpha, S): mean lo hi, conbo_std(alpha,
 *                                   S): std lo hi
 *   tail EPS T N x1..xN          -> dkw_tail_upper count_ge
 *   curve EPS N x1..xN           -> m xs[0..m) ys[0..m)
 *   shift EPS N x1..xN           -> min_c U(c), argmin c
 *   prompt METHOD ALPHA LAMBDA QK LK LEAKT NT t1..tNT N x1..xN
 *                                -> n mean std max M_mu M_mu_lower M_sigma ED binary M_bin
 *                                   n_leaking queries leak_at M_gen[..] P_ge[..]
 *   leak N C K                   -> leak@k
 *   queries M K                  -> 1 - (1-M)^K
 *   sort N x1..xN                -> the sorted values
 * A malformed request prints "error" and the driver exits 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/stats.h"

static char *cursor;

static int next_double(double *v) {
    char *end;
    *v = strtod(cursor, &end);
    if (end == cursor) return -1;
    cursor = end;
    return 0;
}

static int next_size(size_t *v) {
    char *end;
    unsigned long long u = strtoull(cursor, &end, 10);
    if (end == cursor) return -1;
    cursor = end;
    *v = (size_t)u;
    return 0;
}

static void put(double v) { printf(" %.17g", v); }

/* Reads N then N doubles into a buffer that grows as needed (the driver is a test tool). */
static double *read_sample(size_t *n, double **scratch) {
    static double *buf, *scr;
    static size_t cap;
    if (next_size(n) || *n == 0) return NULL;
    if (*n > cap) {
        cap = *n;
        buf = realloc(buf, cap * sizeof *buf);
        scr = realloc(scr, cap * sizeof *scr);
        if (!buf || !scr) return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        if (next_double(&buf[i])) return NULL;
    *scratch = scr;
    return buf;
}

static int handle(const char *op) {
    double *x, *scr;
    size_t n;
    if (!strcmp(op, "cp")) {
        size_t k, nn;
        double a, v;
        lb_error_t err;
        if (next_size(&k) || next_size(&nn) || next_double(&a)) return -1;
        if (lb_stats_cp_upper(k, nn, a, &v, &err)) return -1;
        put(v);
    } else if (!strcmp(op, "sample")) {
        double a;
        if (next_double(&a) || !(x = read_sample(&n, &scr))) return -1;
        lb_stats_sort(x, n, scr);
        double e1 = lb_stats_eps_one_sided(n, a), e2 = lb_stats_eps_two_sided(n, a);
        lb_stats_interval_t mu, sd;
        lb_stats_conbo_expectation(x, n, a, 100, &mu);
        lb_stats_conbo_std(x, n, a, 100, &sd);
        put(e1), put(e2), put(lb_stats_anderson_upper(x, n, e1));
        put(lb_stats_anderson_lower(x, n, e1)), put(lb_stats_sigma_upper(x, n, a));
        put(mu.estimate), put(mu.lower), put(mu.upper), put(sd.estimate), put(sd.lower);
        put(sd.upper);
    } else if (!strcmp(op, "grid")) {
        double a;
        size_t s;
        if (next_double(&a) || next_size(&s) || s < 2 || !(x = read_sample(&n, &scr))) return -1;
        lb_stats_sort(x, n, scr);
        lb_stats_interval_t mu, sd;
        lb_stats_conbo_expectation(x, n, a, s, &mu);
        lb_stats_conbo_std(x, n, a, s, &sd);
        put(mu.estimate), put(mu.lower), put(mu.upper), put(sd.estimate), put(sd.lower);
        put(sd.upper);
    } else if (!strcmp(op, "tail")) {
        double e, t;
        if (next_double(&e) || next_double(&t) || !(x = read_sample(&n, &scr))) return -1;
        lb_stats_sort(x, n, scr);
        put(lb_stats_dkw_tail_upper(x, n, e, t));
        printf(" %zu", lb_stats_count_ge(x, n, t));
    } else if (!strcmp(op, "curve")) {
        double e;
        if (next_double(&e) || !(x = read_sample(&n, &scr))) return -1;
        lb_stats_sort(x, n, scr);
        double *xs = malloc(n * sizeof *xs), *ys = malloc(n * sizeof *ys);
        if (!xs || !ys) return -1;
        size_t m = lb_stats_dkw_curve(x, n, e, xs, ys);
        printf(" %zu", m);
        for (size_t i = 0; i < m; i++) put(xs[i]);
        for (size_t i = 0; i < m; i++) put(ys[i]);
        free(xs);
        free(ys);
    } else if (!strcmp(op, "shift")) {
        double e, c;
        if (next_double(&e) || !(x = read_sample(&n, &scr))) return -1;
        lb_stats_sort(x, n, scr);
        put(lb_stats_shift_var_upper(x, n, e, &c));
        put(c);
    } else if (!strcmp(op, "prompt")) {
        lb_stats_options_t o = {0};
        size_t method, nt;
        double qk, lk;
        if (next_size(&method) || next_double(&o.alpha) || next_double(&o.ed_lambda) ||
            next_double(&qk) || next_double(&lk) || next_double(&o.leak_threshold) ||
            next_size(&nt))
            return -1;
        o.method = method ? LB_STATS_CONBO : LB_STATS_EXACT;
        o.queries_k = (long)qk;
        o.leak_at_k = (long)lk;
        double th[64], mg[64], pg[64];
        if (nt > 64) return -1;
        for (size_t i = 0; i < nt; i++)
            if (next_double(&th[i])) return -1;
        o.thresholds = th;
        o.n_thresholds = nt;
        if (!(x = read_sample(&n, &scr))) return -1;
        lb_stats_prompt_t p = {.M_gen = mg, .P_ge = pg};
        lb_error_t err;
        if (lb_stats_prompt_bounds(x, n, scr, &o, &p, &err)) return -1;
        printf(" %zu", p.n);
        put(p.mean), put(p.std), put(p.max), put(p.M_mu), put(p.M_mu_lower), put(p.M_sigma);
        put(p.ED);
        printf(" %d", p.binary);
        put(p.M_bin);
        printf(" %zu", p.n_leaking);
        put(p.queries), put(p.leak_at);
        for (size_t i = 0; i < nt; i++) put(mg[i]);
        for (size_t i = 0; i < nt; i++) put(pg[i]);
    } else if (!strcmp(op, "leak")) {
        size_t nn, c, k;
        if (next_size(&nn) || next_size(&c) || next_size(&k)) return -1;
        put(lb_stats_leak_at_k(nn, c, k));
    } else if (!strcmp(op, "queries")) {
        double m;
        size_t k;
        if (next_double(&m) || next_size(&k)) return -1;
        put(lb_stats_queries(m, (long)k));
    } else if (!strcmp(op, "sort")) {
        if (!(x = read_sample(&n, &scr))) return -1;
        lb_stats_sort(x, n, scr);
        for (size_t i = 0; i < n; i++) put(x[i]);
    } else {
        return -1;
    }
    putchar('\n');
    return 0;
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        char op[16];
        int used = 0;
        if (sscanf(line, "%15s%n", op, &used) != 1) continue;
        cursor = line + used;
        if (handle(op)) {
            printf("error\n");
            free(line);
            return 2;
        }
    }
    free(line);
    return 0;
}
