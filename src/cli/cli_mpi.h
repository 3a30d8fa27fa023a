/*
 * cli_mpi.h — one `sample` or `eval` job over the ranks of an MPI launch (private to src/cli;
 * docs/scaling.md). The only place that calls MPI: no library module does.
 *
 * Contract
 * - A plain process (no mpirun/srun: none of OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK in the
 *   environment), or a program built without MPI (-DLB_MPI=OFF, or MPI not found), is rank 0 of
 *   1: every function below is then a no-op or calls the sampler directly.
 * - Work is shared statically by question: question p goes to rank p mod K. With fewer
 *   questions than ranks, the job's (question, result) pairs in order — the greedy answer first,
 *   then samples 0..n-1 of each question — are cut into K contiguous ranges of equal size (± 1),
 *   so the samples of one question are spread over ranks (lb_sampler_opts_t.first_sample).
 *   Every draw is keyed by (seed, id, sample, step) and decoding is batch-invariant, so every
 *   result is bit-identical to the one a single process computes.
 * - Rank 0 gathers the results and hands each question's complete group to the command's emit
 *   callback in question order, exactly as lb_sampler_run does: the command's outputs are made
 *   on rank 0 only, by the same code as in one process. Other ranks write no file.
 * - Failure: every rank's setup outcome meets in lb_cli_mpi_ready; a rank that fails later sends
 *   its message and error code to rank 0, which returns it as the run's error ("rank r of K:
 *   ..."); the command then cleans its outputs up as in one process. Ranks are stopped by
 *   messages, not by MPI_Abort: on a failure during the run, rank 0 (in
 *   lb_cli_mpi_sampler_run) sends every worker a STOP, which a worker sees at its next
 *   progress or emit callback and ends its share (returning 0: rank 0 reports why), and rank 0
 *   drains what workers still send, so every rank reaches MPI_Finalize; lb_cli_mpi_end does the
 *   same for a failure between lb_cli_mpi_ready and the run, then agrees on one exit status
 *   over all ranks. The one MPI_Abort left is rank 0 running out of memory for the gather
 *   buffer of lb_cli_mpi_ready (exit status 1).
 * - Progress: the command's progress callback, on rank 0, sees the whole job (prompts handed
 *   back, samples and tokens finished on every rank, time since the run began).
 */
#ifndef LEAKBOUND_CLI_MPI_H
#define LEAKBOUND_CLI_MPI_H

#include <stddef.h>
#include <stdint.h>

#include "leakbound/eval.h"
#include "leakbound/sample.h"

/* Join the launch's ranks (MPI_Init) when started by an MPI launcher; cmd names the command in
 * messages. Call first in the command; pair with lb_cli_mpi_end. */
void lb_cli_mpi_begin(const char *cmd);

/* This process's rank and the number of ranks (0 and 1 for a plain process). */
int lb_cli_mpi_rank(void);
int lb_cli_mpi_size(void);

/* Record why this rank failed (msg, copied) for lb_cli_mpi_end to pass to rank 0 when the
 * command returns before lb_cli_mpi_ready. */
void lb_cli_mpi_failed(const char *msg);

/* What every rank must agree on: the prompts (keys and ids) and the options that shape the
 * draws. A rank with other data or flags (another file on its node) is refused in ready. */
uint64_t lb_cli_mpi_fingerprint(const lb_sampler_prompt_t *prompts, size_t n,
                                const lb_sampler_opts_t *o);

/* What a rank loaded for the job: the fingerprint, and the model folder and data file with
 * their content hashes (lb_model_sha256; the --data bytes loaded). NULL members: none. */
typedef struct lb_cli_mpi_job {
    uint64_t fingerprint;
    const char *model, *model_sha256;
    const char *data, *data_sha256;
} lb_cli_mpi_job_t;

/* Collective, once per command: each rank's outcome of its setup (rc 0 or an LB_E* code with
 * err set) and job (may be NULL) meet on rank 0. Returns 0 when every rank is ready, else the
 * first failing rank's code; on rank 0 a failure of another rank, a model or data hash that
 * differs from rank 0's (the message names both ranks' paths and hashes), or a fingerprint
 * that differs fills err with "rank r of K: ...". With one rank it returns rc. */
int lb_cli_mpi_ready(int rc, const lb_cli_mpi_job_t *job, lb_error_t *err);

/* lb_eval_flow_t's ready and go hooks of `sample` and `eval` (user unused): lb_cli_mpi_ready
 * with the job of ctx (lb_cli_mpi_fingerprint of its prompts and sampler options; o's model
 * and data with ctx's hashes), and lb_cli_mpi_go. */
int lb_cli_mpi_flow_ready(void *user, int rc, const lb_eval_ctx_t *ctx, const lb_eval_opts_t *o,
                          lb_error_t *err);
int lb_cli_mpi_flow_go(void *user, int rc);

/* Collective, after lb_cli_mpi_ready: rank 0's outcome of what it alone does before the run
 * (opening its outputs). Returns rank 0's rc on every rank: non-zero stops every rank there
 * (rank 0 reports it). */
int lb_cli_mpi_go(int rc);

/* Rank 0's n bytes to every rank (collective). */
void lb_cli_mpi_bcast(void *buf, size_t n);

/* lb_sampler_run over the job's ranks: the same arguments (every rank passes the same prompts
 * and options) and, on rank 0, the same calls of emit (whole groups, in prompt order) with the
 * same results; progress is called on rank 0 only, with the job's totals. On other ranks emit
 * and progress are never called and the return is that rank's own outcome. Errors: those of
 * lb_sampler_run on any rank (rank 0's err names the rank when it is another), LB_ENOMEM. */
int lb_cli_mpi_sampler_run(const lb_model_t *m, const lb_tokenizer_t *tok,
                           const lb_sampler_prompt_t *prompts, size_t n_prompts,
                           const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                           lb_sampler_progress_fn progress, void *user, lb_error_t *err);

/* Leave the launch (MPI_Finalize) and return the command's exit status: a command that fails
 * after lb_cli_mpi_ready but outside lb_cli_mpi_sampler_run stops the other ranks there (a
 * worker sends rank 0 its error and waits for STOP; rank 0 sends STOP and drains); one that
 * fails before lb_cli_mpi_ready still meets the others there, so that no rank waits forever. Every rank returns the same status (a
 * reduction): the largest of the statuses of the ranks that failed themselves (a rank stopped
 * for another's failure counts 0), so mpirun's exit status does not depend on which rank
 * exits first. */
int lb_cli_mpi_end(int status);

#endif
