/*
 * leakbound/data.h — question sets, prompt templates and the generated fictitious-author benchmark.
 *
 * Contract
 * - Datasets. A dataset is an array of items {id, question, answer, paraphrased_answer,
 *   perturbed_answer[], keywords[], author}. Three layouts are read:
 *     JSON   a top-level array of objects (TOFU layout). A ".json" file whose first value is not
 *            an array is read as JSON Lines, because Hugging Face `datasets` writes TOFU's
 *            "forget10.json" and friends that way.
 *     JSONL  one object per line (TOFU layout).
 *     CSV    RFC 4180 (quoted fields, doubled quotes, embedded commas/newlines, CRLF, UTF-8 BOM),
 *            parsed with libcsv in strict mode; a header row names the columns. The Harry Potter
 *            Q&A layout: "Question" and "Key Words" (comma-separated keywords, trimmed, empty
 *            ones dropped); "Answer", "Affirmative Response" (the item's prefix) and
 *            "id" are read when present. Without a "Question" column, a "prompt", "goal"
 *            (AdvBench) or "Behavior" (HarmBench) column is the question. Header names match case-insensitively after
 *            trimming. Unquoted fields keep their blanks. One leniency, for files written by
 *            hand (the Harry Potter Q&A file has `"a", "b"`): blanks (space, tab) between a
 *            delimiter (or the start of a record) and an opening quote, and between a closing
 *            quote and the next delimiter or line end, are skipped; the dataset counts the
 *            lines where that happened (n_lenient, lenient_line), so the caller can warn.
 *            Python's csv.reader(skipinitialspace=True) reads the first kind the same way.
 *            Anything else stays an error: a quote inside an unquoted field, or text (blanks
 *            included) after a closing quote that is followed by more text. Lines are
 *            counted at "\n" (a file using bare "\r" line ends reads correctly, but its errors
 *            all name line 1).
 *   Object fields: "question" (string, required; "prompt" is read in its place when
 *   there is no "question", for prompt-only sets such as {"id", "prompt"}), "answer" (string,
 *   optional: NULL when absent, as in prompt-only sets scored by a judge),
 *   "paraphrased_answer" (string), "perturbed_answer" (array of strings, or one string),
 *   "keywords" (array of strings, or one comma-separated string), "author" (string),
 *   "id" (string or integer). Other fields are ignored. An item without an id gets its 0-based
 *   index in the file, written in decimal.
 *   Errors name the file and the place: "f.jsonl:12:7: malformed JSON: ...",
 *   "f.json:40: item 3: \"question\" must be a string", "f.csv:9:14: unterminated quoted field".
 * - Templates turn a question into a prompt: "raw" ("{q}"), "phi" ("Question: {q}\n"),
 *   "llama2" ("[INST] {q} [/INST]"), any literal format string containing "{q}" (with "{{" and
 *   "}}" for literal braces; "{prefix}" is the item's prefix, "" when it has none; the
 *   escapes \n, \t and \\ are read as newline, tab and backslash, any other backslash is
 *   kept, so a shell argument can carry them), and "chat": the chat_template of a
 *   tokenizer_config.json rendered
 *   with messages = [{"role": "user", "content": q}] and add_generation_prompt = true.
 *   Chat templates are run by a small Jinja interpreter with Hugging Face's settings
 *   (trim_blocks, lstrip_blocks, trailing newline of the source dropped). The subset:
 *     tags      {{ expr }}, {% if %}/{% elif %}/{% else %}/{% endif %}, {% for x in expr %}/
 *               {% endfor %} (loop.index, index0, revindex, revindex0, first, last, length),
 *               {% set name = expr %}, {# comments #}, whitespace control "-" and "+"
 *     exprs     string/integer/true/false/none literals, names (messages, bos_token, eos_token,
 *               add_generation_prompt, loop, set variables), x.attr, x['key'], x[i], x[a:b],
 *               + - * % ~, == != < <= > >=, in, not in, and, or, not, a if c else b, parentheses
 *     calls     raise_exception(msg); string methods strip/lstrip/rstrip/upper/lower()
 *               and startswith/endswith(s)
 *     filters   trim, length, count, lower, upper;   tests: defined, undefined, none, string
 *   Values follow Python: strings are sliced and measured by code point, strip()/trim remove
 *   Python's whitespace, `and`/`or` return an operand, % and // floor; an undefined name prints
 *   as "" and iterates as empty. lower/upper use simple one-to-one Unicode case mappings
 *   (Python's one-to-many ones, such as "ß".upper() == "SS", are not applied).
 *   Anything else (macros, namespace(), other filters or functions, ...) is a compile error that
 *   names tokenizer_config.json, the template line and the construct.
 * - The fictitious-author generator writes a TOFU-layout benchmark that is a pure function of
 *   (seed, number of authors): same arguments, byte-identical files.
 * Memory: datasets and templates own malloc'd memory released by their free functions; rendering
 * returns a malloc'd string. Nothing here is on a per-token path.
 */
#ifndef LEAKBOUND_DATA_H
#define LEAKBOUND_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- datasets */

typedef enum lb_data_format {
    LB_DATA_AUTO = 0,  /* by extension: .json, .jsonl, .csv */
    LB_DATA_JSON,
    LB_DATA_JSONL,
    LB_DATA_CSV
} lb_data_format_t;

typedef struct lb_data_item {
    char *id;                 /* never NULL */
    char *question;           /* never NULL */
    char *answer;             /* NULL when the item has none (CSV without "Answer", prompt-only) */
    char *prefix;             /* NULL when absent: CSV "Affirmative Response", the start of
                                 the answer a template may put after the question ({prefix}) */
    char *paraphrased_answer; /* NULL when absent */
    char **perturbed;         /* (n_perturbed) */
    size_t n_perturbed;
    char **keywords;          /* (n_keywords) */
    size_t n_keywords;
    char *author;             /* NULL when absent */
    long line;                /* 1-based line of the file where the item starts */
} lb_data_item_t;

typedef struct lb_dataset {
    lb_data_item_t *items;    /* (n) */
    size_t n;
    size_t cap;
    size_t n_lenient;         /* CSV: lines where blanks around a quoted field were skipped */
    long lenient_line;        /* CSV: the first such line (0: none) */
    char sha256[65];          /* lb_data_load: SHA-256 (hex) of the bytes it read and parsed:
                                 the file's, or a pipe's or stdin's as they came ("" otherwise) */
} lb_dataset_t;

/* Parse a format name ("auto", "json", "jsonl", "csv"). Returns 0 or LB_EINVAL. */
LB_API int lb_data_format_parse(const char *name, lb_data_format_t *out, lb_error_t *err);

/* Read the dataset at path ("-" = stdin, which needs an explicit format) into *ds (which need not
 * be initialised; on failure it is left empty). The format comes from the extension when fmt is
 * LB_DATA_AUTO. ds->sha256 is the hash of exactly the bytes parsed (a pipe is read once, so
 * hashing its path again later would see other bytes). Returns 0, LB_EIO (cannot read),
 * LB_EFORMAT (malformed file) or LB_EINVAL (well-formed file with a missing or mistyped
 * field); err names the file and the place. */
LB_API int lb_data_load(const char *path, lb_data_format_t fmt, lb_dataset_t *ds, lb_error_t *err);

/* The lenient-CSV note of ds (read from path): "PATH:LINE: blanks around a quoted field
 * skipped (not RFC 4180; N line(s))" into buf (cap bytes, cut to fit, NUL-terminated), the
 * text the CLI prints after "leakbound CMD: warning: ". Returns its length (as snprintf: the
 * whole text's), or 0 with buf "" when ds has no such line (n_lenient 0). */
LB_API size_t lb_data_lenient_warning(const lb_dataset_t *ds, const char *path, char *buf,
                                      size_t cap);

/* Append a copy of item (every string duplicated) to ds; ds may start zero-initialised.
 * item->id may be NULL (the index is used). Returns 0 or LB_ENOMEM. */
LB_API int lb_data_append(lb_dataset_t *ds, const lb_data_item_t *item, lb_error_t *err);

/* Split a comma-separated keyword list (trimmed, empty ones dropped) into a malloc'd
 * array of malloc'd strings. *out is NULL when there are none. Returns 0 or LB_ENOMEM. */
LB_API int lb_data_split_keywords(const char *s, char ***out, size_t *n, lb_error_t *err);

/* Release everything ds owns and zero it. Safe on a zeroed dataset. */
LB_API void lb_dataset_free(lb_dataset_t *ds);

/* ---------------------------------------------------------------- templates */

typedef struct lb_template lb_template_t;

/* Build a template from a spec: "raw", "phi", "llama2", "chat", or a literal string containing
 * "{q}". For "chat", config is the path of tokenizer_config.json or of the model directory that
 * holds it (ignored otherwise). Errors: LB_EINVAL (no such name and no "{q}", unbalanced braces,
 * "chat" without config), LB_EIO/LB_EFORMAT (tokenizer_config.json unreadable or malformed),
 * LB_EUNSUPPORTED (chat_template outside the documented subset; the message names the file,
 * the template line and the construct). *out is owned by the caller (lb_template_free). */
LB_API int lb_template_open(const char *spec, const char *config, lb_template_t **out,
                            lb_error_t *err);

/* Compile a chat template from its source text. bos/eos may be NULL (rendered as ""); origin
 * names the source in messages (e.g. "tokenizer_config.json"). Errors as lb_template_open. */
LB_API int lb_template_chat(const char *source, const char *bos, const char *eos,
                            const char *origin, lb_template_t **out, lb_error_t *err);

/* Interpret the escapes \n, \t and \\ in s (newline, tab, backslash; any other backslash is
 * kept as it is) into a malloc'd string *out (caller frees). The one unescape of the CLI's
 * text arguments (literal templates, `generate --prompt`). Returns 0 or LB_ENOMEM. */
LB_API int lb_template_unescape(const char *s, char **out, lb_error_t *err);

/* Render the prompt for one question into a malloc'd string (*out, caller frees).
 * Errors: LB_EINVAL when a chat template calls raise_exception or fails at run time (type error,
 * undefined value used as a list, ...), with the template line. */
LB_API int lb_template_render(const lb_template_t *t, const char *question, char **out,
                              lb_error_t *err);

/* As lb_template_render, with the item's prefix for a literal's "{prefix}" (NULL = ""); chat
 * templates ignore it. */
LB_API int lb_template_render_item(const lb_template_t *t, const char *question, const char *prefix,
                                   char **out, lb_error_t *err);

/* Whether t is a chat template ("chat" or lb_template_chat). */
LB_API int lb_template_is_chat(const lb_template_t *t);

/* Render a chat template with a whole conversation: messages = [{"role": roles[i], "content":
 * contents[i]}] for i < n (n <= 16), and add_generation_prompt as given (a judge reads the
 * conversation user, assistant with add_generation_prompt = false, as Hugging Face's
 * apply_chat_template defaults to). Errors: LB_EINVAL (t is not a chat template, n > 16, or a
 * run-time failure of the template, with its line), LB_ENOMEM. */
LB_API int lb_template_render_chat(const lb_template_t *t, const char *const *roles,
                                   const char *const *contents, size_t n, int add_generation_prompt,
                                   char **out, lb_error_t *err);

/* The spec the template was built from ("phi", "chat", the literal string, ...). */
LB_API const char *lb_template_name(const lb_template_t *t);

/* Free t and everything it owns; NULL is a no-op. */
LB_API void lb_template_free(lb_template_t *t);

/* ---------------------------------------------------------------- fictitious benchmark */

#define LB_FICTITIOUS_MAX_AUTHORS 10000 /* n_authors is in [1, this] */

typedef struct lb_fictitious_opts {
    uint64_t seed;
    int n_authors;      /* authors in "full" (default 50); holdout adds max(1, n/10) more */
} lb_fictitious_opts_t;

/* Fill *o with `data fictitious`'s defaults: seed 0, 50 authors. */
LB_API void lb_fictitious_opts_default(lb_fictitious_opts_t *o);

/* Set one of `data fictitious`'s flags by name: "seed" (a non-negative integer) or "authors"
 * (an integer in [1, LB_FICTITIOUS_MAX_AUTHORS]). Returns 0, or LB_EINVAL naming the flag and
 * the allowed range (o unchanged), or for an unknown flag name. */
LB_API int lb_fictitious_opts_set(lb_fictitious_opts_t *o, const char *flag, const char *value,
                                  lb_error_t *err);

/* The dataset splits written by lb_fictitious_write, in this order. */
#define LB_FICTITIOUS_N_SPLITS 8
LB_API extern const char *const lb_fictitious_splits[LB_FICTITIOUS_N_SPLITS];

/* Generate the benchmark in memory: full (n_authors authors) and holdout (the extra authors).
 * Each item has author set; ids are "<author index>-<fact index>". Pure function of opts.
 * Returns 0, LB_EINVAL (n_authors < 1 or > 10000) or LB_ENOMEM. */
LB_API int lb_fictitious_generate(const lb_fictitious_opts_t *opts, lb_dataset_t *full,
                                  lb_dataset_t *holdout, lb_error_t *err);

/* Number of authors in forget<pct> (pct = 1, 5 or 10) for a set of n authors: TOFU's share,
 * rounded to nearest, at least 1. The forget set is the last ones; retain the others. */
LB_API int lb_fictitious_forget_authors(int n_authors, int pct);

/* Write <dir>/<split>.jsonl (JSON Lines, TOFU layout plus "author") for every split in
 * lb_fictitious_splits; dir is created if needed; each file is written atomically.
 * Returns 0, LB_EINVAL, LB_EIO or LB_ENOMEM. */
LB_API int lb_fictitious_write(const lb_fictitious_opts_t *opts, const char *dir, lb_error_t *err);

/* Where lb_fictitious_write_set failed. */
enum {
    LB_FICTITIOUS_AT_WRITE = 0, /* writing the files (or out of memory) */
    LB_FICTITIOUS_AT_DIR = 1    /* the folder itself: a parent cannot be created, or it is locked */
};

/* What lb_fictitious_write_set did: where it failed, else the authors of each part. */
typedef struct lb_fictitious_set_result {
    int at;          /* on failure: LB_FICTITIOUS_AT_WRITE or LB_FICTITIOUS_AT_DIR */
    int n_authors;   /* on success: authors in full (opts->n_authors) */
    int n_holdout;   /* on success: authors in holdout (as many as in forget10) */
} lb_fictitious_set_result_t;

/* `leakbound data fictitious`: lb_fictitious_write into the folder out as one set: out's
 * parents are created (mkdir -p), then the files are written in a temporary sibling folder
 * under out's lock (lb_io_dir_begin with io_flags: 0 or LB_IO_WAIT) and renamed into place
 * together; other files in out are kept, and a failure leaves out as it was. *res (may be
 * NULL) is zeroed first; res->at says where a failure happened, and on success res->n_authors
 * and res->n_holdout say what was written. Returns 0, or LB_EIO "cannot create PARENT: reason"
 * (at LB_FICTITIOUS_AT_DIR), lb_io_dir_begin's LB_EINVAL (another run holds out's lock) or
 * LB_EIO (at LB_FICTITIOUS_AT_DIR), LB_EIO naming a file written (at LB_FICTITIOUS_AT_WRITE),
 * LB_EINVAL (opts out of range), LB_ENOMEM. */
LB_API int lb_fictitious_write_set(const lb_fictitious_opts_t *opts, const char *out, int io_flags,
                                   lb_fictitious_set_result_t *res, lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
