/* A whole finetune / unlearn run into its output folder (lb_train_run_to_dir): the atomic
 * folder, the run, loss.svg, the run record and the commit. */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/train_run.h"

/* The names a run writes into its folder besides checkpoints: the set a new run replaces as a
 * whole (lbi_train_copy_model_files' list, the weights, the logs, the plot and the record). */
static const char *const out_files[] = {
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "model.safetensors",
    "model-*.safetensors", "model.safetensors.index.json", "train_log.csv", "eval_log.csv",
    "loss.svg",
    LB_TRAIN_RUN_FILE, NULL};

/* The run is staged in a temporary sibling of out_dir (lb_io_dir_*); checkpoints go to out_dir
 * itself, so that a killed run can be resumed from them, and the commit carries them (and any
 * other file of the user's) into the new folder. --resume reads only the checkpoint folder,
 * never the staged files. */
int lb_train_run_to_dir(const lb_train_run_opts_t *o, lb_train_dir_t *d, lb_error_t *err) {
    lb_io_dir_t out = {0};
    d->stage = LB_TRAIN_DIR_BEGIN;
    d->trained = 0;
    d->tmp_dir[0] = 0;
    memset(&d->info, 0, sizeof d->info);
    int rc = lb_io_dir_begin(&out, o->out_dir, out_files, d->io_flags, err);
    if (rc) return rc;
    d->stage = LB_TRAIN_DIR_RUN;
    snprintf(d->tmp_dir, sizeof d->tmp_dir, "%s", out.path);
    lb_train_run_info_t info;
    lb_train_run_opts_t run = *o;
    run.stage_dir = out.path;
    run.info = &info;
    rc = lb_train_run(&run, err);
    d->trained = !rc;
    if (!rc && !o->stop_after) d->info = info;
    if (!rc && !o->stop_after && d->plot) rc = d->plot(out.path, d->check_metric, err);
    if (!rc && !o->stop_after) /* how the model was made (docs/training.md, 'Run record') */
        rc = lb_train_write_record(out.path, d->record ? d->record : o, &info, d->command, d->argc,
                                   d->argv, d->file_config, omp_get_max_threads(), err);
    if (!rc && !o->stop_after) rc = lb_io_dir_commit(&out, err);
    lb_io_dir_abort(&out);
    return rc;
}
