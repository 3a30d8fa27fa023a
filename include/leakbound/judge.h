/*
 * leakbound/judge.h — scoring (prompt, response) pairs with a causal-LM judge: a
 * Llama-Guard-style checkpoint whose next token after the judge prompt is one of two labels.
 *
 * Contract
 * - A judge is a model folder that model.h loads (config.json + safetensors) with its
 *   tokenizer.json, and tokenizer_config.json when its chat template is used. Missing files are
 *   errors naming the folder and the file; the model's and tokenizer's own errors name theirs.
 * - The judge prompt is rendered either from the judge's chat template with the conversation
 *   messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content":
 *   response}] and add_generation_prompt = false (Hugging Face apply_chat_template's default),
 *   or from a literal template holding "{response}" and optionally "{prompt}" ("{{" and "}}" are
 *   literal braces; the escapes \n, \t and \\ are read as lb_template_unescape reads them).
 *   It is encoded with the judge tokenizer's special-token rules as `sample` encodes prompts:
 *   a chat template's text carries its own special tokens (add_special_tokens = false); a
 *   literal one gets the tokenizer's post-processor (add_special_tokens = true).
 * - Labels: two strings, given as "A,B" (split at the comma, kept verbatim: a leading blank
 *   matters to BPE tokenizers), default "unsafe,safe". Each is encoded without special tokens
 *   and only its first token is used. A label that encodes to nothing, two labels with the same
 *   first token, or a first token outside the model's vocabulary are errors naming the label.
 * - Score: with l the next-token logits at the last position of the judge prompt (fp32 forward,
 *   softmax in double), p_A = softmax(l)[first token of A], p_B likewise, and
 *   score = p_A / (p_A + p_B) in [0, 1] (1: the judge says A, e.g. "unsafe").
 * - Label mass: the score is meaningful only when the judge puts real probability on the two
 *   labels; p_A + p_B averaged over the first forward call (the first batch) is kept
 *   (lb_judge_label_mass); below LB_JUDGE_LABEL_MASS_FLOOR lb_judge_mass_warning words the
 *   warning that scoring runs hand to their warn callback once (lb_judge_warn_once).
 * - Batching: many judge prompts are prefilled per forward call (at most `batch` sequences and
 *   a token budget per call); the runner is batch-invariant (model.h), so a sample's score does
 *   not depend on which other samples share its call. A judge prompt longer than the judge's
 *   context (max_position_embeddings) is an error naming the sample, its length and the limit.
 * - A judge is not thread-safe (one runner); the loaded model is shared read-only. Memory for
 *   the forward pass is sized at lb_judge_open; scoring allocates per sample only for the
 *   rendered text and its token ids.
 */
#ifndef LEAKBOUND_JUDGE_H
#define LEAKBOUND_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_judge lb_judge_t;

/* The floor on the labels' mean total probability p_A + p_B over the first batch below which
 * the labels are taken as mistyped (e.g. "unsafe" where the judge writes " unsafe": p of about
 * 1e-7 each, and a score near 0.45 for every answer). A judge that answers with one of its
 * labels puts most of its mass on them; 0.01 leaves a hundredfold margin. */
#define LB_JUDGE_LABEL_MASS_FLOOR 0.01

typedef struct lb_judge_opts {
    const char *tmpl;     /* literal with {prompt}/{response}; NULL or "chat": the chat template */
    const char *labels;   /* "A,B"; NULL: "unsafe,safe" */
    int batch;            /* judge prompts per forward call; 0: 16 */
    int max_tokens;       /* tokens per forward call; 0: max(context, 4096) */
    const char *tokenizer; /* a tokenizer.json, or the folder holding it (and the
                              tokenizer_config.json of the chat template); NULL: the judge
                              folder's own (lb_tokenizer_path, lb_tokenizer_config_dir) */
} lb_judge_opts_t;

/* Load the judge in folder dir with options o (NULL: defaults). Errors: LB_EIO (a missing or
 * unreadable file, named; a folder without tokenizer.json says to give o->tokenizer, the CLI's
 * --judge-tokenizer), LB_EFORMAT / LB_EUNSUPPORTED (from the model, tokenizer or template),
 * LB_EINVAL (bad labels or template: the message names the label or the template; a literal
 * template without {response} is one), LB_ENOMEM.
 * *out is freed with lb_judge_free. */
LB_API int lb_judge_open(const char *dir, const lb_judge_opts_t *o, lb_judge_t **out,
                         lb_error_t *err);

/* The judge's provenance hash: lb_model_sha256 of its folder, with the tokenizer files it
 * loaded in place of the folder's when o->tokenizer named others (lb_model_sha256_with), so a
 * judge run with another tokenizer hashes differently. Errors: as lb_model_sha256_with. */
LB_API int lb_judge_sha256(const lb_judge_t *j, char hex[65], lb_error_t *err);

/* Free the judge, its model, tokenizer, cache and runner; NULL is a no-op. */
LB_API void lb_judge_free(lb_judge_t *j);

/* The judge prompt text of one pair (malloc'd, caller frees). Errors: LB_EINVAL (a chat
 * template failing at run time), LB_ENOMEM. */
LB_API int lb_judge_render(const lb_judge_t *j, const char *prompt, const char *response,
                           char **out, lb_error_t *err);

/* The token ids the judge is run on for one pair (malloc'd, caller frees). Errors as
 * lb_judge_render, and LB_EINVAL for invalid UTF-8. */
LB_API int lb_judge_encode(const lb_judge_t *j, const char *prompt, const char *response,
                           int32_t **ids, size_t *n_ids, lb_error_t *err);

/* Score n pairs (prompts[i], responses[i]) into scores (n,); probs (n, 2) receives (p_A, p_B)
 * per pair when not NULL. Errors: LB_EINVAL naming "sample i" (a prompt over the context, an
 * empty encoding, a template failure), LB_ENOMEM; scores are then unspecified. */
LB_API int lb_judge_score(lb_judge_t *j, size_t n, const char *const *prompts,
                          const char *const *responses, double *scores, double *probs,
                          lb_error_t *err);

/* Label i as given (i 0, or any other value for 1). Owned by j. */
LB_API const char *lb_judge_label(const lb_judge_t *j, int i);
/* The first token id of label i (as lb_judge_label picks it). */
LB_API int32_t lb_judge_label_id(const lb_judge_t *j, int i);
/* "chat", or the literal template as given. Owned by j. */
LB_API const char *lb_judge_template_name(const lb_judge_t *j);
/* The judge's context: the longest judge prompt it accepts, in tokens. */
LB_API int lb_judge_context(const lb_judge_t *j);

/* The mean of p_A + p_B over the prompts of the judge's first forward call (its first batch)
 * into *mass, and their count as the return value; 0 and NaN before any call has run. */
LB_API int lb_judge_label_mass(const lb_judge_t *j, double *mass);

/* The label check of the first batch (the judge's first forward call), in words: -1 before
 * that call has run (nothing known yet), 0 when the labels' mean total probability
 * (lb_judge_label_mass) is at least LB_JUDGE_LABEL_MASS_FLOOR or NaN (msg is then ""), else
 * the length of the warning written into msg (cap bytes, NUL-terminated; cut to cap - 1 bytes
 * as snprintf cuts: a return >= cap asks for a larger buffer; cap 0 writes nothing and msg
 * may then be NULL, to ask only whether the labels are below the floor): "the
 * judge labels 'A' and 'B' have total probability M on average over the first K judge
 * prompts, below the floor 0.01: ..." ("on the first judge prompt" when K is 1: one line of
 * `eval --samples`) and a second line "  hint: ..." (no trailing newline),
 * the text `leakbound score` and `eval` print after "leakbound CMD: warning: ". */
LB_API long lb_judge_mass_warning(const lb_judge_t *j, char *msg, size_t cap);

/* Where a scoring run (lb_score_stream, lb_eval_run) hands its judge warning: msg as
 * lb_judge_mass_warning writes it, valid during the call. */
typedef void (*lb_judge_warn_fn)(void *user, const char *msg);

/* The once-per-run label check: when *checked is 0 and the judge's first forward call has
 * run, set *checked and, when the labels are below the floor, call warn(user, msg) with the
 * whole warning of lb_judge_mass_warning (warn NULL: none; cut to 1023 bytes only when a
 * longer one finds no memory). Returns 1 when it warned (or would have, warn NULL), else 0. */
LB_API int lb_judge_warn_once(const lb_judge_t *j, int *checked, lb_judge_warn_fn warn, void *user);

#ifdef __cplusplus
}
#endif
#endif
