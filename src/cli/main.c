/* leakbound — git-style dispatcher. Each subcommand is one cli_<name>.c file. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <omp.h>

#include "cli.h"
#include "leakbound/model.h"

static const lb_cli_command_t commands[] = {
    {"score", "score sampled generations (ROUGE, keywords, exact match)", lb_cli_score},
    {"bound", "high-probability bounds per prompt from sample scores", lb_cli_bound},
    {"tokenize", "encode/decode text with a Hugging Face tokenizer.json", lb_cli_tokenize},
    {"tokenizer", "train a byte-level BPE tokenizer (Hugging Face tokenizer.json)", lb_cli_tokenizer},
    {"inspect", "describe a Hugging Face checkpoint", lb_cli_inspect},
    {"generate", "stream a model's continuation of a prompt", lb_cli_generate},
    {"data", "datasets: show with rendered prompts, generate the fictitious-author set", lb_cli_data},
    {"sample", "greedy + n sampled answers per question (batched, shared prompt cache)", lb_cli_sample},
    {"eval", "sample, score and bound every question; report.json/.md and plots", lb_cli_eval},
    {"tofu", "TOFU's unlearning metrics: truth ratio, forget quality, model utility, MIA", lb_cli_tofu},
    {"plot", "SVG plots of a bound/eval report: score densities, ECDF with DKW band, ED", lb_cli_plot},
    {"init", "a fresh random model (llama, phi, gpt2) in Hugging Face layout", lb_cli_init},
    {"finetune", "fine-tune a model on question/answer pairs (fp32 AdamW)", lb_cli_finetune},
    {"unlearn", "unlearn a forget set: GA, GD or NPO, with optional entropy optimisation", lb_cli_unlearn},
    {"config", "show the resolved configuration of a --config YAML file (finetune, unlearn, eval, tofu)", lb_cli_config},
    {"demo", "the paper's experiment end to end on a generated benchmark (demo.md)", lb_cli_demo},
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static void usage(FILE *out) {
    fprintf(out, "usage: leakbound <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'leakbound <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv) {
    /* Spinning OpenMP threads collapse on a shared machine: wait passively unless the
     * user chose. libgomp reads these at load time, so set them and start again once.
     * (glibc's double-precision math is not pinned here: the program and the library loaded
     * by Python must compute alike; docs/reproducibility.md says how to pin it for both.) */
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT") && !setenv("OMP_WAIT_POLICY", "passive", 0))
        execv("/proc/self/exe", argv);   /* on failure: carry on with the default policy */
    lb_cli_keep_argv(argc, argv);
    /* Threads: the cores other processes leave free (lb_core_default_threads; LB_PROC_STAT: a
     * stand-in for /proc/stat, for tests), unless OMP_NUM_THREADS says; --threads overrides
     * either. */
    if (!getenv("OMP_NUM_THREADS"))
        omp_set_num_threads(lb_core_default_threads(omp_get_num_procs(), NULL));
    /* LEAKBOUND_ISA: the kernels' instruction-set path (every path gives the same bits). */
    const char *isa = getenv("LEAKBOUND_ISA");
    if (isa && *isa) {
        lb_error_t err = {0};
        if (lb_model_isa_force(isa, &err)) {
            fprintf(stderr, "leakbound: LEAKBOUND_ISA=%s: %s\n", isa, err.msg);
            return LB_EXIT_USAGE;
        }
    }
    if (argc < 2) {
        usage(stderr);
        return LB_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return LB_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("leakbound %s\n", lb_version());
        return LB_EXIT_OK;
    }
    for (size_t i = 0; i < n_commands; i++)
        /* every command's stdout checked at the end: `> /dev/full` is an error, not a silent loss */
        if (!strcmp(argv[1], commands[i].name)) {
            int status = commands[i].run(argc - 1, argv + 1);
            return status ? status : lb_cli_stdout_done(commands[i].name, status);
        }
    fprintf(stderr, "leakbound: unknown command '%s'\nTry 'leakbound --help'.\n", argv[1]);
    return LB_EXIT_USAGE;
}
