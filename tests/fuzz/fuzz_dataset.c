/* libFuzzer target: the dataset readers. Every input is read three times through lb_data_load,
 * as JSON (a top-level array, or JSON Lines when the first value is not an array), as JSONL and
 * as CSV (libcsv, strict; the Harry Potter header layout), so one corpus feeds all three.
 * Invariants: a refused file gives a negative LB_E* code with a message and an empty dataset;
 * an accepted one has every item's id and question set, and its lists as long as they say. */
#include <string.h>

#include "fuzz_common.h"
#include "leakbound/data.h"

static void check(const lb_dataset_t *ds) {
    for (size_t i = 0; i < ds->n; i++) {
        const lb_data_item_t *it = &ds->items[i];
        LB_FUZZ_CHECK(it->id && it->question, "item %zu without id or question", i);
        (void)strlen(it->id);
        (void)strlen(it->question);
        if (it->answer) (void)strlen(it->answer);
        if (it->paraphrased_answer) (void)strlen(it->paraphrased_answer);
        if (it->author) (void)strlen(it->author);
        for (size_t k = 0; k < it->n_perturbed; k++) (void)strlen(it->perturbed[k]);
        for (size_t k = 0; k < it->n_keywords; k++) (void)strlen(it->keywords[k]);
        LB_FUZZ_CHECK(it->line >= 1, "item %zu on line %ld", i, it->line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const lb_data_format_t fmts[] = {LB_DATA_JSON, LB_DATA_JSONL, LB_DATA_CSV};
    char path[64];
    int fd = lb_fuzz_memfd(data, size, path);
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        lseek(fd, 0, SEEK_SET);
        lb_dataset_t ds;
        lb_error_t err = {0};
        int rc = lb_data_load(path, fmts[f], &ds, &err);
        if (rc) {
            LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED, "rc %d", rc);
            LB_FUZZ_CHECK(err.msg[0] != '\0', "error %d without a message", rc);
            LB_FUZZ_CHECK(ds.n == 0 && ds.items == NULL, "a refused file left %zu items", ds.n);
            continue;
        }
        check(&ds);
        lb_dataset_free(&ds);
    }
    close(fd);
    return 0;
}
