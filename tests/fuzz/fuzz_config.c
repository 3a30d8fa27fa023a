/* libFuzzer target: a model folder's config.json. The input is written as config.json into a
 * private temporary folder beside a link to the bundled model's weights
 * (examples/default/model/model.safetensors), and the folder goes through lb_model_load. A
 * config the loader accepts must also be safe to run: the target then creates a runner and a
 * KV cache and runs a two-token prefill and one decode step. */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "leakbound/kvcache.h"
#include "leakbound/model.h"

#ifndef LB_SOURCE_DIR
#error "LB_SOURCE_DIR must name the source tree"
#endif

static char dir[256];
static char cfg_path[300];

static void cleanup(void) {
    unlink(cfg_path);
    char link[300];
    snprintf(link, sizeof link, "%s/model.safetensors", dir);
    unlink(link);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    /* Memory-backed when possible: a write and a load per input, thousands per second. */
    const char *tmp = getenv("LB_FUZZ_TMPDIR");
    if (!tmp || !*tmp) tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/lb_fuzz_config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    char link[300];
    snprintf(link, sizeof link, "%s/model.safetensors", dir);
    if (symlink(LB_SOURCE_DIR "/examples/default/model/model.safetensors", link)) {
        perror("symlink");
        abort();
    }
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
    atexit(cleanup);
    return 0;
}

static void run_once(const lb_model_t *m) {
    const lb_model_config_t *c = lb_model_config(m);
    lb_error_t err;
    lb_model_runner_t *r = NULL;
    lb_kvcache_t *kv = NULL;
    if (lb_model_runner_create(m, 1, 2, 8, 0, &r, &err) == 0 &&
        lb_kvcache_create(m, 16, 1, 8, 0, &kv, &err) == 0) {
        int seq = lb_kvcache_seq_new(kv, &err);
        LB_FUZZ_CHECK(seq >= 0, "seq_new: %s", err.msg);
        int n = 2;
        int32_t toks[2] = {0, c->vocab_size > 1 ? 1 : 0};
        const float *logits;
        if (lb_model_forward(r, kv, 1, &seq, &n, toks, 0, &logits, &err) == 0)
            (void)lb_model_decode(r, kv, 1, &seq, toks, &logits, &err);
    }
    lb_kvcache_free(kv);
    lb_model_runner_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = open(cfg_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd)) {
        perror(cfg_path);
        abort();
    }
    lb_model_options_t opt = {.keep_file_dtype = size & 1};
    lb_model_t *m = NULL;
    lb_error_t err = {0};
    int rc = lb_model_load(dir, &opt, &m, &err);
    if (rc) {
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && !m, "rc %d", rc);
        LB_FUZZ_CHECK(err.msg[0] != '\0', "error %d without a message", rc);
        return 0;
    }
    (void)lb_model_param_count(m);
    (void)lb_model_file_dtype(m);
    run_once(m);
    lb_model_free(m);
    return 0;
}
