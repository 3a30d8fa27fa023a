/* train_write.c — `leakbound tokenizer train` as one call: count the files, learn the merges
 * and write tokenizer.json atomically under the destination's lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/tokenizer_train.h"

int lb_bpe_train_write(const lb_bpe_train_opts_t *opts, const char *const *files, size_t n_files,
                       const char *out, int io_flags, lb_bpe_train_result_t *res, lb_error_t *err) {
    lb_bpe_train_result_t dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    lb_io_lock_t lock = {0};
    lb_bpe_trainer_t *t = NULL;
    char *json = NULL;
    size_t len = 0;
    int rc;
    /* out is this run's until it ends: a second run into it is refused (or waits) */
    res->stage = LB_BPE_AT_LOCK;
    if (strcmp(out, "-") && (rc = lb_io_lock_acquire(&lock, out, io_flags, err))) return rc;
    res->stage = LB_BPE_AT_INPUT;
    if ((rc = lb_bpe_trainer_new(opts, &t, err))) goto done;
    for (size_t i = 0; i < n_files; i++)
        if ((rc = lb_bpe_trainer_feed_file(t, files[i], err))) goto done;
    res->stage = LB_BPE_AT_TRAIN;
    if ((rc = lb_bpe_trainer_train(t, err)) || (rc = lb_bpe_trainer_to_json(t, &json, &len, err))) goto done;
    res->stage = LB_BPE_AT_OPEN;
    lb_atomic_file_t f;
    if ((rc = lb_atomic_open(&f, out, err))) goto done;
    res->stage = LB_BPE_AT_WRITE;
    if (fwrite(json, 1, len, f.fp) != len || fputc('\n', f.fp) == EOF) {
        lb_atomic_abort(&f);
        rc = lb_error_set(err, LB_EIO, "cannot write %s", out);
    } else if (!(rc = lb_atomic_commit(&f, err))) {
        res->vocab_size = lb_bpe_trainer_vocab_size(t);
        res->n_merges = lb_bpe_trainer_n_merges(t);
    }
done:
    free(json);
    lb_bpe_trainer_free(t);
    lb_io_lock_release(&lock);
    return rc;
}
