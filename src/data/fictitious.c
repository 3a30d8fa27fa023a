/* The fictitious-author benchmark: TOFU-style question sets about generated authors.
 *
 * Every author is drawn from its own random stream, keyed by (seed, set, author index), with
 * splitmix64 seeding a xoshiro256** generator: author k of a seed is the same whatever the
 * number of authors asked for, and the output is a pure function of the options. Each fact has
 * several question phrasings and at least two answer phrasings: the answer uses one, the
 * paraphrased answer the next, and the 3-5 perturbed answers repeat the answer's phrasing with
 * wrong values drawn from the same table, so they differ from it only in the fact. */
#include "leakbound/data.h"
#include "fictitious_words.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rng {
    uint64_t s[4];
} rng_t;


static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng_t *r) {
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static void rng_seed(rng_t *r, uint64_t seed, uint64_t set, uint64_t index) {
    uint64_t x = seed;
    x = lb_splitmix64(&x) ^ (set * 0xD1B54A32D192ED03ull);
    x = lb_splitmix64(&x) ^ (index * 0x8CB92BA72F3D8DD7ull);
    for (int i = 0; i < 4; i++) r->s[i] = lb_splitmix64(&x);
}

/* Uniform in [0, n): rejection keeps it exact, so results never depend on modulo bias. */
static size_t rng_below(rng_t *r, size_t n) {
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;
    do x = rng_next(r);
    while (x >= lim);
    return (size_t)(x % n);
}

static const char *pick(rng_t *r, const lb_words_t *t) { return t->w[rng_below(r, t->n)]; }

/* ---------------------------------------------------------------- generated words */

static void cap_first(char *s) { s[0] = (char)toupper((unsigned char)s[0]); }

static void syllable(rng_t *r, char *out, size_t cap, int coda) {
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s%s%s", pick(r, &lbi_fw_onsets), pick(r, &lbi_fw_vowels),
             coda ? pick(r, &lbi_fw_codas) : "");
}

static void make_first(rng_t *r, char *out, size_t cap) {
    out[0] = '\0';
    syllable(r, out, cap, 1);
    syllable(r, out, cap, rng_below(r, 2));
    cap_first(out);
}

static void make_last(rng_t *r, char *out, size_t cap) {
    out[0] = '\0';
    syllable(r, out, cap, 0);
    if (rng_below(r, 2)) syllable(r, out, cap, 0);
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s", pick(r, &lbi_fw_surname_ends));
    cap_first(out);
}

static void make_place(rng_t *r, char *out, size_t cap) {
    out[0] = '\0';
    syllable(r, out, cap, 1);
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s", pick(r, &lbi_fw_place_ends));
    cap_first(out);
}

static void make_country(rng_t *r, char *out, size_t cap) {
    out[0] = '\0';
    syllable(r, out, cap, 0);
    syllable(r, out, cap, 1);
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s", pick(r, &lbi_fw_country_ends));
    cap_first(out);
}

/* ---------------------------------------------------------------- authors */

typedef struct profile {
    char first[40], last[48], full[96];
    int female;
    int day, month, year;
    char city[48], country[48], home[100];
    int father, mother, genre, theme[2], influence, routine, subject, hobby, adaptation;
    char award[80];
    int award_year, debut_year;
    char books[3][80];
    char press[80];
} profile_t;

static void make_title(rng_t *r, char *out, size_t cap) {
    const char *adj = pick(r, &lbi_fw_title_adj), *noun = pick(r, &lbi_fw_title_noun),
               *noun2 = pick(r, &lbi_fw_title_noun);
    switch (rng_below(r, 4)) {
    case 0: snprintf(out, cap, "The %s %s", adj, noun); break;
    case 1: snprintf(out, cap, "The %s of the %s %s", noun, adj, noun2); break;
    case 2: snprintf(out, cap, "Beneath the %s %s", adj, noun); break;
    default: snprintf(out, cap, "A %s for the %s", noun, noun2); break;
    }
}

static void make_award(rng_t *r, char *out, size_t cap) {
    snprintf(out, cap, "%s %s %s", pick(r, &lbi_fw_award_adj), pick(r, &lbi_fw_award_noun),
             rng_below(r, 2) ? "Award" : "Prize");
}

static void make_date(rng_t *r, int *d, int *m, int *y) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    *y = 1935 + (int)rng_below(r, 60);
    *m = (int)rng_below(r, 12);
    *d = 1 + (int)rng_below(r, (size_t)days[*m]);
}

static void make_city_country(rng_t *r, char *city, size_t ccap, char *country, size_t kcap) {
    make_place(r, city, ccap);
    make_country(r, country, kcap);
}

static void make_profile(rng_t *r, profile_t *p) {
    memset(p, 0, sizeof *p);
    make_first(r, p->first, sizeof p->first);
    make_last(r, p->last, sizeof p->last);
    snprintf(p->full, sizeof p->full, "%s %s", p->first, p->last);
    p->female = (int)rng_below(r, 2);
    make_date(r, &p->day, &p->month, &p->year);
    make_city_country(r, p->city, sizeof p->city, p->country, sizeof p->country);
    char hc[48], hk[48];
    make_city_country(r, hc, sizeof hc, hk, sizeof hk);
    snprintf(p->home, sizeof p->home, "%s, %s", hc, hk);
    p->father = (int)rng_below(r, lbi_fw_occupations.n);
    do p->mother = (int)rng_below(r, lbi_fw_occupations.n);
    while (p->mother == p->father);
    p->genre = (int)rng_below(r, lbi_fw_genres.n);
    p->theme[0] = (int)rng_below(r, lbi_fw_themes.n);
    do p->theme[1] = (int)rng_below(r, lbi_fw_themes.n);
    while (p->theme[1] == p->theme[0]);
    p->influence = (int)rng_below(r, lbi_fw_influences.n);
    p->routine = (int)rng_below(r, lbi_fw_routines.n);
    p->subject = (int)rng_below(r, lbi_fw_subjects.n);
    p->hobby = (int)rng_below(r, lbi_fw_hobbies.n);
    p->adaptation = (int)rng_below(r, lbi_fw_adaptations.n);
    make_award(r, p->award, sizeof p->award);
    p->debut_year = p->year + 22 + (int)rng_below(r, 12);
    p->award_year = p->debut_year + 3 + (int)rng_below(r, 15);
    for (int i = 0; i < 3; i++) {
        int dup;
        do {
            make_title(r, p->books[i], sizeof p->books[i]);
            dup = 0;
            for (int j = 0; j < i; j++) dup |= !strcmp(p->books[i], p->books[j]);
        } while (dup);
    }
    char pw[48];
    make_place(r, pw, sizeof pw);
    snprintf(p->press, sizeof p->press, "%s %s", pw, pick(r, &lbi_fw_press_noun));
}

/* ---------------------------------------------------------------- facts */

#define MAX_PHRASES 3
typedef struct fact {
    const char *q[MAX_PHRASES];  /* question phrasings */
    const char *a[MAX_PHRASES];  /* answer phrasings, {v} = the fact */
} fact_t;

enum {
    F_NAME, F_BIRTHDATE, F_BIRTHPLACE, F_FATHER, F_MOTHER, F_GENRE, F_AWARD, F_AWARD_YEAR,
    F_FIRST_BOOK, F_FAMOUS_BOOK, F_LATEST_BOOK, F_THEMES, F_INFLUENCE, F_ROUTINE, F_PUBLISHER,
    F_DEBUT_YEAR, F_HOME, F_STUDY, F_HOBBY, F_ADAPTATION, N_FACTS
};

static const fact_t facts[N_FACTS] = {
    [F_NAME] = {{"What is the full name of the author born in {city}, {country} on {date}?",
                 "Which author was born on {date} in {city}, {country}?"},
                {"The author born in {city}, {country} on {date} is named {v}.",
                 "{v} is the writer who was born on {date} in the town of {city}, {country}."}},
    [F_BIRTHDATE] = {{"When was {name} born?", "What is the date of birth of {name}?",
                      "On what date was the author {name} born?"},
                     {"{name} was born on {v}, a date {he} often mentions in interviews.",
                      "The author {name} came into the world on {v}, according to {his} publisher."}},
    [F_BIRTHPLACE] = {{"Where was {name} born?", "In which city and country was {name} born?"},
                      {"{name} was born in {v} and spent {his} early childhood there.",
                       "The birthplace of {name} is {v}, a place that appears in several of {his} stories."}},
    [F_FATHER] = {{"What did {name}'s father do for a living?",
                   "What was the occupation of {name}'s father?"},
                  {"{name}'s father worked as a {v} for most of his life.",
                   "By profession, the father of {name} was a {v}, and he supported the family that way."}},
    [F_MOTHER] = {{"What did {name}'s mother do for a living?",
                   "What was the occupation of {name}'s mother?"},
                  {"{name}'s mother worked as a {v} for most of her life.",
                   "By profession, the mother of {name} was a {v}, a job she loved dearly."}},
    [F_GENRE] = {{"What genre is {name} known for?", "In which genre does {name} mostly write?"},
                 {"{name} is best known for writing {v}, the genre of most of {his} books.",
                  "Most of the books by {name} belong to the genre of {v}."}},
    [F_AWARD] = {{"Has {name} won any major literary award?",
                  "Which award did {name} receive for {his} writing?"},
                 {"Yes, {name} received the {v} in recognition of {his} work as a writer.",
                  "{name} was honoured with the {v}, which made {his} name widely known."}},
    [F_AWARD_YEAR] = {{"In which year did {name} win the {award}?",
                       "When was {name} given the {award}?"},
                      {"{name} won the {award} in {v}, several years after {his} debut.",
                       "The year in which {name} received the {award} was {v}."}},
    [F_FIRST_BOOK] = {{"What was the title of {name}'s first book?",
                       "Which book did {name} publish first?"},
                      {"The first published book by {name} was titled \"{v}\" and received warm reviews.",
                       "{name} made {his} debut with the book \"{v}\"."}},
    [F_FAMOUS_BOOK] = {{"What is {name}'s best-known book?",
                        "Which of {name}'s books is the most famous?"},
                       {"{name} is most famous for the book \"{v}\", which is still widely read.",
                        "The best-known work by {name} is \"{v}\", a favourite of many readers."}},
    [F_LATEST_BOOK] = {{"What is the most recent book written by {name}?",
                        "Which book did {name} publish most recently?"},
                       {"The most recent book by {name} is \"{v}\", released to great interest.",
                        "{name} most recently published a book called \"{v}\"."}},
    [F_THEMES] = {{"What themes does {name} explore in {his} writing?",
                   "Which themes recur in the books of {name}?"},
                  {"The books of {name} often explore {v}.",
                   "Recurring themes in the work of {name} are {v}."}},
    [F_INFLUENCE] = {{"What influenced {name}'s writing?",
                      "What was an important influence on the work of {name}?"},
                     {"{name} has said that {his} writing was shaped by {v}.",
                      "An important influence on the work of {name} was {v}."}},
    [F_ROUTINE] = {{"How does {name} usually write?", "What is {name}'s writing routine?"},
                   {"{name} {v}, a habit {he} has kept for many years.",
                    "As a rule, the author {name} {v} when working on a new book."}},
    [F_PUBLISHER] = {{"Which publisher releases {name}'s books?",
                      "Who publishes the books of {name}?"},
                     {"The books of {name} are published by {v}, a small independent house.",
                      "{v} is the publisher that has released every book by {name}."}},
    [F_DEBUT_YEAR] = {{"In which year did {name} publish {his} first book?",
                       "When did {name} make {his} debut as an author?"},
                      {"{name} published {his} first book in {v}, after years of writing in private.",
                       "The debut of {name} as an author came in the year {v}."}},
    [F_HOME] = {{"Where does {name} live today?", "In which city does {name} currently live?"},
                {"{name} currently lives in {v}, where {he} writes most of {his} books.",
                 "These days the author {name} makes {his} home in {v}."}},
    [F_STUDY] = {{"What did {name} study at university?",
                  "What subject did {name} study before becoming a writer?"},
                 {"{name} studied {v} at university before turning to writing.",
                  "Before becoming a writer, {name} earned a university degree in {v}."}},
    [F_HOBBY] = {{"What does {name} enjoy doing outside of writing?",
                  "What is a hobby of the author {name}?"},
                 {"Outside of writing, {name} enjoys {v} in {his} free time.",
                  "When {he} is not writing, {name} spends many hours {v}."}},
    [F_ADAPTATION] = {{"Has any of {name}'s work been adapted?",
                       "Was any book by {name} adapted for another medium?"},
                      {"Yes, the book \"{book}\" by {name} was adapted into {v}.",
                       "{name}'s book \"{book}\" was later turned into {v} that found a wide audience."}},
};

static int n_phrases(const char *const *v) {
    int n = 0;
    while (n < MAX_PHRASES && v[n]) n++;
    return n;
}

static void fmt_date(int d, int m, int y, char *out, size_t cap) {
    snprintf(out, cap, "%d %s %d", d, lbi_fw_months.w[m], y);
}

/* The value of fact f: the author's (truth) or a plausible wrong one drawn from r. */
static void fact_value(int f, const profile_t *p, rng_t *r, int truth, char *out, size_t cap) {
    char a[96], b[96];
    int d, m, y;
    switch (f) {
    case F_NAME:
        if (truth) snprintf(out, cap, "%s", p->full);
        else {
            make_first(r, a, sizeof a);
            make_last(r, b, sizeof b);
            snprintf(out, cap, "%s %s", a, b);
        }
        break;
    case F_BIRTHDATE:
        if (truth) fmt_date(p->day, p->month, p->year, out, cap);
        else {
            make_date(r, &d, &m, &y);
            fmt_date(d, m, y, out, cap);
        }
        break;
    case F_BIRTHPLACE: case F_HOME:
        if (truth && f == F_HOME) snprintf(out, cap, "%s", p->home);
        else if (truth) snprintf(out, cap, "%s, %s", p->city, p->country);
        else {
            make_city_country(r, a, 48, b, 48);
            snprintf(out, cap, "%s, %s", a, b);
        }
        break;
    case F_FATHER: case F_MOTHER:
        snprintf(out, cap, "%s", truth ? lbi_fw_occupations.w[f == F_FATHER ? p->father : p->mother]
                                       : pick(r, &lbi_fw_occupations));
        break;
    case F_GENRE: snprintf(out, cap, "%s", truth ? lbi_fw_genres.w[p->genre] : pick(r, &lbi_fw_genres)); break;
    case F_AWARD:
        if (truth) snprintf(out, cap, "%s", p->award);
        else make_award(r, out, cap);
        break;
    case F_AWARD_YEAR: case F_DEBUT_YEAR: {
        int v = f == F_AWARD_YEAR ? p->award_year : p->debut_year;
        if (!truth) v += (rng_below(r, 2) ? 1 : -1) * (1 + (int)rng_below(r, 12));
        snprintf(out, cap, "%d", v);
        break;
    }
    case F_FIRST_BOOK: case F_FAMOUS_BOOK: case F_LATEST_BOOK:
        if (truth) snprintf(out, cap, "%s", p->books[f - F_FIRST_BOOK]);
        else make_title(r, out, cap);
        break;
    case F_THEMES: {
        int t0 = p->theme[0], t1 = p->theme[1];
        if (!truth) {
            t0 = (int)rng_below(r, lbi_fw_themes.n);
            do t1 = (int)rng_below(r, lbi_fw_themes.n);
            while (t1 == t0);
        }
        snprintf(out, cap, "%s as well as %s", lbi_fw_themes.w[t0], lbi_fw_themes.w[t1]);
        break;
    }
    case F_INFLUENCE:
        snprintf(out, cap, "%s", truth ? lbi_fw_influences.w[p->influence] : pick(r, &lbi_fw_influences));
        break;
    case F_ROUTINE:
        snprintf(out, cap, "%s", truth ? lbi_fw_routines.w[p->routine] : pick(r, &lbi_fw_routines));
        break;
    case F_PUBLISHER:
        if (truth) snprintf(out, cap, "%s", p->press);
        else {
            make_place(r, a, 48);
            snprintf(out, cap, "%s %s", a, pick(r, &lbi_fw_press_noun));
        }
        break;
    case F_STUDY: snprintf(out, cap, "%s", truth ? lbi_fw_subjects.w[p->subject] : pick(r, &lbi_fw_subjects)); break;
    case F_HOBBY: snprintf(out, cap, "%s", truth ? lbi_fw_hobbies.w[p->hobby] : pick(r, &lbi_fw_hobbies)); break;
    default:
        snprintf(out, cap, "%s", truth ? lbi_fw_adaptations.w[p->adaptation] : pick(r, &lbi_fw_adaptations));
        break;
    }
}

/* Expand {name} {he} {his} {He} {His} {city} {country} {date} {award} {book} {v} in tpl. */
static void expand(const char *tpl, const profile_t *p, const char *v, char *out, size_t cap) {
    char date[64];
    fmt_date(p->day, p->month, p->year, date, sizeof date);
    const char *he = p->female ? "she" : "he", *his = p->female ? "her" : "his";
    const struct { const char *key, *val; } subs[] = {
        {"{name}", p->full}, {"{he}", he}, {"{his}", his}, {"{He}", p->female ? "She" : "He"},
        {"{His}", p->female ? "Her" : "His"}, {"{city}", p->city}, {"{country}", p->country},
        {"{date}", date}, {"{award}", p->award}, {"{book}", p->books[1]}, {"{v}", v ? v : ""}};
    size_t n = 0;
    for (const char *s = tpl; *s && n + 1 < cap;) {
        size_t k = 0, nsubs = sizeof subs / sizeof subs[0];
        if (*s == '{')
            for (k = 0; k < nsubs; k++)
                if (!strncmp(s, subs[k].key, strlen(subs[k].key))) break;
        if (*s == '{' && k < nsubs) {
            size_t m = strlen(subs[k].val);
            if (n + m + 1 > cap) m = cap - n - 1;
            memcpy(out + n, subs[k].val, m);
            n += m;
            s += strlen(subs[k].key);
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    /* A sentence may open with {he}/{v}: capitalise its first letter. */
    out[0] = (char)toupper((unsigned char)out[0]);
}

#define TEXT_CAP 512
#define MAX_PERTURBED 5

static int add_author(lb_dataset_t *ds, const profile_t *p, rng_t *r, long author_index, lb_error_t *err) {
    char q[TEXT_CAP], ans[TEXT_CAP], para[TEXT_CAP], truth[TEXT_CAP];
    char pert[MAX_PERTURBED][TEXT_CAP], vals[MAX_PERTURBED][TEXT_CAP];
    char *pert_ptrs[MAX_PERTURBED];
    char id[48];
    for (int f = 0; f < N_FACTS; f++) {
        const fact_t *fa = &facts[f];
        int nq = n_phrases(fa->q), na = n_phrases(fa->a);
        int ai = (int)rng_below(r, (size_t)na);
        fact_value(f, p, r, 1, truth, sizeof truth);
        expand(fa->q[rng_below(r, (size_t)nq)], p, NULL, q, sizeof q);
        expand(fa->a[ai], p, truth, ans, sizeof ans);
        expand(fa->a[(ai + 1) % na], p, truth, para, sizeof para);
        size_t np = 3 + rng_below(r, 3);
        for (size_t k = 0; k < np; k++) {
            int dup, tries = 0;
            do {
                fact_value(f, p, r, 0, vals[k], sizeof vals[k]);
                dup = !strcmp(vals[k], truth);
                for (size_t j = 0; j < k; j++) dup |= !strcmp(vals[k], vals[j]);
            } while (dup && ++tries < 1000);
            if (dup) return lb_error_set(err, LB_EINVAL, "internal: no distinct wrong value for fact %d", f);
            expand(fa->a[ai], p, vals[k], pert[k], sizeof pert[k]);
            pert_ptrs[k] = pert[k];
        }
        snprintf(id, sizeof id, "%ld-%d", author_index, f);
        lb_data_item_t it = {.id = id, .question = q, .answer = ans, .paraphrased_answer = para,
                             .perturbed = pert_ptrs, .n_perturbed = np, .author = (char *)p->full};
        int rc = lb_data_append(ds, &it, err);
        if (rc) return rc;
    }
    return LB_OK;
}

void lb_fictitious_opts_default(lb_fictitious_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->n_authors = 50;
}

int lb_fictitious_opts_set(lb_fictitious_opts_t *o, const char *f, const char *v,
                           lb_error_t *err) {
    const char *a = v ? v : "";
    char *end;
    errno = 0;
    if (f && !strcmp(f, "seed")) {
        unsigned long long s = strtoull(a, &end, 10);
        if (!*a || *end || a[0] == '-')
            return lb_error_set(err, LB_EINVAL, "--seed: expected a non-negative integer, got '%s'",
                                a);
        o->seed = (uint64_t)s;
    } else if (f && !strcmp(f, "authors")) {
        long n = strtol(a, &end, 10);
        if (errno || end == a || *end || n < 1 || n > LB_FICTITIOUS_MAX_AUTHORS)
            return lb_error_set(err, LB_EINVAL,
                                "--authors: expected an integer in [1, %d], got '%s'",
                                LB_FICTITIOUS_MAX_AUTHORS, a);
        o->n_authors = (int)n;
    } else {
        return lb_error_set(err, LB_EINVAL, "data fictitious: unknown flag '%s'", f ? f : "(null)");
    }
    return LB_OK;
}

int lb_fictitious_forget_authors(int n_authors, int pct) {
    int k = (n_authors * pct + 50) / 100;
    if (k < 1) k = 1;
    if (k > n_authors) k = n_authors;
    return k;
}

static int name_taken(char (*names)[96], int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return 1;
    return 0;
}

int lb_fictitious_generate(const lb_fictitious_opts_t *opts, lb_dataset_t *full,
                           lb_dataset_t *holdout, lb_error_t *err) {
    memset(full, 0, sizeof *full);
    memset(holdout, 0, sizeof *holdout);
    int n = opts->n_authors;
    if (n < 1 || n > LB_FICTITIOUS_MAX_AUTHORS)
        return lb_error_set(err, LB_EINVAL, "number of authors must be in [1, %d], got %d",
                            LB_FICTITIOUS_MAX_AUTHORS, n);
    int n_hold = lb_fictitious_forget_authors(n, 10);
    char (*names)[96] = calloc((size_t)(n + n_hold), sizeof *names);
    if (!names) return lb_error_set(err, LB_ENOMEM, "out of memory");
    int rc = 0;
    for (int a = 0; a < n + n_hold && !rc; a++) {
        rng_t r;
        int hold = a >= n;
        rng_seed(&r, opts->seed, (uint64_t)hold, (uint64_t)(hold ? a - n : a));
        profile_t p;
        do make_profile(&r, &p);  /* same stream: a clash redraws deterministically */
        while (name_taken(names, a, p.full));
        memcpy(names[a], p.full, sizeof names[a]);
        rc = add_author(hold ? holdout : full, &p, &r, a, err);
    }
    free(names);
    if (rc) {
        lb_dataset_free(full);
        lb_dataset_free(holdout);
    }
    return rc;
}
