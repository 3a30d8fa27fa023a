/*
 * leakbound/train_config.h — the reference's Hydra YAML experiment files (finetuning/configs/
 * phi.yaml, unlearning/configs/phi-{GA,GD,NPO}.yaml) as finetune/unlearn run options, and as
 * the flags of eval and tofu (lb_train_config_args).
 *
 * Contract
 * - The file is YAML (libyaml). Its keys are flattened with dots: "hparams.learning_rate",
 *   "hparams.training.seed" (finetune files nest the optimiser keys under hparams.training).
 *   Every key is known (one table per command, below in config.c); a key that is not is an
 *   error naming the file, the line and the key, with the nearest known key suggested.
 * - Keys that do not apply on a CPU or to leakbound (hparams.device, gradient_checkpointing,
 *   batch_size_inference, save_model, and the whole top-level `defaults:` and `hydra:` blocks:
 *   launcher, sweeper, sweep dirs) are accepted and listed as ignored.
 * - Overrides are Hydra's: "key=value" ("+key=value", "++key=value" alike), "~key" (back to
 *   the default); values are read as YAML plain scalars ('quoted' = a string). An override of an
 *   unknown key is an error as in the file.
 * - Values are typed as OmegaConf types them (YAML 1.1; "1e-5" is a float) and range-checked;
 *   a wrong type or range names the key, the value and the range. Omitted keys take the
 *   reference's published values (lambda 1, beta 0.05, lambda_f 1, lambda_r -0.25, batch 16,
 *   accumulation 2/4, lr 2e-5/1e-5, epochs 5/10, weight decay 0.01, max_length 256, seed 0,
 *   split 10, dataset "full", the Phi tags); regularization defaults to none.
 * - Paths: hparams.model and hparams.tokenizer_model must be local folders (a Hugging Face hub
 *   name is an error saying the hub is not reachable; for tokenizer_model, the model folder's
 *   own tokenizer.json is used instead when it has one, with a note). `split: N` names TOFU's
 *   forgetNN and retain(100-N) files, `dataset: NAME` NAME's file, .json or .jsonl, in
 *   hparams.data_dir (leakbound's key; the CLI's --data-dir sets it).
 * - eval and tofu read the same files plus the reference sampling demo's hparams.num_samples,
 *   hparams.top_p and hparams.temperature. Keys that apply: model, tokenizer_model, the three
 *   tags, max_length, split, data_dir; eval also seed, num_samples, top_p, temperature and
 *   dataset. Every training key (and, for tofu, the sampling keys, seed and dataset: tofu's
 *   answers are greedy) is accepted and listed as ignored. Keys the file omits keep the
 *   command's own defaults (the tags: phi's; answer_tag: none).
 */
#ifndef LEAKBOUND_TRAIN_CONFIG_H
#define LEAKBOUND_TRAIN_CONFIG_H

#include <stdio.h>
#include <jansson.h>
#include "leakbound/core.h"
#include "leakbound/train_run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_train_config lb_train_config_t;

/* Read path (YAML) for command "finetune", "unlearn", "eval" or "tofu" ("" or NULL: guessed
 * between finetune and unlearn from the file:
 * hparams.training or hparams.dataset -> finetune, else unlearn), apply the n overrides, type-
 * and range-check every key. *out owns everything (lb_train_config_free). Errors: LB_EIO (the
 * file cannot be read), LB_EFORMAT (malformed YAML: file:line:column; a bad key or value: file,
 * line, key, value, range), LB_EINVAL (a bad override or command). */
LB_API int lb_train_config_load(const char *path, const char *command, const char *const *overrides,
                                size_t n_overrides, lb_train_config_t **out, lb_error_t *err);

/* lb_train_config_load with data_dir (NULL: none) applied last, as the override
 * "hparams.data_dir=DATA_DIR": what the commands' --data-dir DIR means (the one place that
 * spells it). Errors: lb_train_config_load's; LB_ENOMEM. */
LB_API int lb_train_config_load_dir(const char *path, const char *command,
                                    const char *const *overrides, size_t n_overrides,
                                    const char *data_dir, lb_train_config_t **out, lb_error_t *err);

/* "finetune", "unlearn", "eval" or "tofu". */
LB_API const char *lb_train_config_command(const lb_train_config_t *c);

/* finetune/unlearn (an eval/tofu configuration: LB_EINVAL). Set the run options the file gives (o already holds the command's defaults; keys the file and
 * overrides leave unset keep the reference's published values listed in the contract). Paths:
 * o->model_dir, o->tokenizer, o->data_path, o->retain_path, o->template_spec, o->answer_prefix
 * point into c (keep c alive while o is used). Paths are checked by lb_train_config_check.
 * Errors: LB_EINVAL (hparams.unlearning_loss missing), LB_ENOMEM. notes: unused (NULL ok). */
LB_API int lb_train_config_apply(const lb_train_config_t *c, lb_train_run_opts_t *o, FILE *notes,
                                 lb_error_t *err);

/* After the command's flags (which beat the file) are applied over lb_train_config_apply's
 * options: check what still comes from the file. hparams.model must be a local folder (a hub
 * name: an error saying the hub is not reachable); hparams.tokenizer_model too, except that when
 * it is not one and the model folder has tokenizer.json, that one is used (a note to notes);
 * the split/dataset files must exist; without --data-dir, hparams.data_dir or data flags, an
 * error says what to give. Errors: LB_EINVAL naming the file, line and key. */
LB_API int lb_train_config_check(const lb_train_config_t *c, lb_train_run_opts_t *o, FILE *notes,
                                 lb_error_t *err);

/* eval/tofu: the file's settings as the command's flags, (flag, value) pairs in *args (2 * pairs
 * strings, valid while c lives, until the next call): --model, --tokenizer, --template (phi
 * for phi's tags, else the literal question_start_tag{q}question_end_tag), --strip-prefix
 * (eval: a literal's answer_tag, trailing blanks cut), --max-length; eval: --seed, -n, --top-p,
 * --temperature, --data (split N: DIR/forgetNN.json|.jsonl, else hparams.dataset's file);
 * tofu: --forget (forgetNN_perturbed when present, else forgetNN), --retain (retain_perturbed
 * when present, else retain(100-N); only when it exists). The caller puts them before the
 * command's own arguments so that those win. argv/argc: the command's own arguments; a path is
 * checked (a local folder or file, a hub name named as such; the split file exists; a split or
 * dataset without data_dir needs the data flag) unless its flag is among them. argv NULL: no
 * checks (config show). A tokenizer_model that is not local falls back to the model folder's
 * own tokenizer.json with a note to notes (NULL ok); tofu refuses a local tokenizer_model other
 * than the model folder (it reads the model's own) and an answer_tag with non-phi tags.
 * Errors: LB_EINVAL naming the file, line and key; LB_ENOMEM. */
LB_API int lb_train_config_args(lb_train_config_t *c, int argc, char *const *argv, FILE *notes,
                                const char *const **args, size_t *n, lb_error_t *err);

/* The resolved configuration, one key per setting, the file's key names:
 * {"hparams.model": "...", "hparams.learning_rate": 1e-05, ...} with typed values (a new
 * reference). With sources: {"key": {"value": v, "source": "file"|"override"|"default"}}. */
LB_API json_t *lb_train_config_json(const lb_train_config_t *c, int with_sources);

/* `config show --json`'s document (a new reference in *doc, NULL on error): {"file": the path
 * loaded, "command", "config": {key: value}, "sources": {key: "file"|"override"|"default"|
 * "unset"}, "ignored": [key, ...] (lb_train_config_ignored), and for eval and tofu "flags":
 * [...] (lb_train_config_args without checks)}, keys in that order. Returns 0, or
 * lb_train_config_args's error, or LB_ENOMEM. */
LB_API int lb_train_config_show_json(lb_train_config_t *c, json_t **doc, lb_error_t *err);

/* The keys accepted but ignored (CPU-only run, launcher blocks), in file order: *keys[i]
 * valid while c lives. Returns the count. */
LB_API size_t lb_train_config_ignored(const lb_train_config_t *c, const char *const **keys);

/* Free the configuration and its strings; NULL is a no-op. */
LB_API void lb_train_config_free(lb_train_config_t *c);

#ifdef __cplusplus
}
#endif
#endif
