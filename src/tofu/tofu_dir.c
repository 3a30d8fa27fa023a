/* `leakbound tofu` as one call (lb_tofu_run_to_dir): the options' check, the run and its
 * documents written as one folder. */
#include <stdio.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/tofu.h"

/* The names tofu writes into its folder: the set a new run replaces as a whole. */
static const char *const tofu_files[] = {"tofu.json", "tofu.md", "items.jsonl", NULL};

int lb_tofu_run_to_dir(const lb_tofu_opts_t *o, const lb_tofu_hooks_t *hooks, lb_tofu_dir_t *d,
                       lb_tofu_result_t *res, lb_error_t *err) {
    memset(res, 0, sizeof *res);
    d->stage = LB_TOFU_DIR_CHECK;
    d->tmp_dir[0] = 0;
    int have_holdout = 0;
    for (int i = 0; i < o->n_splits; i++) have_holdout |= o->splits[i].role == LB_TOFU_HOLDOUT;
    if ((o->metrics & LB_TOFU_MIA) && !have_holdout)
        return lb_error_set(err, LB_EINVAL, "--metrics mia needs --holdout FILE");
    d->stage = LB_TOFU_DIR_RUN;
    json_t *prov = NULL;
    int rc = lb_tofu_run(o, hooks, res, err);
    if (!rc && d->provenance && !(prov = d->provenance(d->user, err))) rc = err->code ? err->code : LB_ENOMEM;
    if (rc) return rc;
    d->stage = LB_TOFU_DIR_OUT;
    lb_io_dir_t out = {0};
    if ((rc = lb_io_dir_begin(&out, d->out_dir, tofu_files, d->io_flags, err)) == LB_EINVAL)
        lb_error_prefix(err, "--out");
    if (!rc) snprintf(d->tmp_dir, sizeof d->tmp_dir, "%s", out.path);
    if (!rc) rc = lb_tofu_write(res, o, prov, out.path, err);
    if (!rc) rc = lb_io_dir_commit(&out, err);
    lb_io_dir_abort(&out);
    json_decref(prov);
    return rc;
}
