# Tests of the program's commands as a whole (argv, exit codes, stdout, output files), where no
# single module is what is tested.
# `inspect` and `generate` on a random GPT-2: greedy ids against the PyTorch reference,
# streamed UTF-8 text, EOS and limits from generation_config.json, generate == sample -n 1.
lb_oracle_test(cli_inspect_generate cli_inspect_generate.py)
# Multi-file commands on a full disk (file-size limit) and a full stdout: exit 1, reason named,
# output folder unchanged.
lb_oracle_test(cli_atomic_outputs cli_atomic_outputs.py)
# `leakbound bound` against scipy/statsmodels and independent numpy code.
lb_oracle_test(cli_bound cli_bound.py)
# `bound` on numbered answers: "sample": -1 is the greedy answer (not counted in n), repeated
# (id, sample) pairs refused unless --allow-duplicates; fast and jansson paths agree.
lb_oracle_test(cli_bound_samples cli_bound_samples.py)
# `leakbound score`: bad input (exit 2, file and line named), stdin, fields kept byte for byte, output order across batches and threads.
lb_oracle_test(cli_score cli_score.py)
# One CLI dialect: every subcommand's unknown option, missing value, missing input, --threads
# and --help against the rules of src/cli/cli.h (tests/oracle/cli_dialect.py).
lb_oracle_test(cli_dialect cli_dialect.py)
# The default thread count on a shared machine: free cores from a stand-in /proc/stat, overrides.
lb_oracle_test(cli_threads cli_threads.py)
# --tokenizer FILE|DIR on every command that loads a model: same outputs as the folder's own.
lb_oracle_test(cli_tokenizer_flag cli_tokenizer_flag.py)
# Provenance covers what was loaded: piped --data hashed as read (hashlib), --resume with other
# piped bytes refused, model_sha256 = the framed hash of the files a load reads (single and
# sharded), shard index entries that are paths refused.
lb_oracle_test(cli_provenance cli_provenance.py)
# Two runs into one output (eval folders, sample -o), runs killed (kill -9, SIGTERM, SIGINT)
# midway, an older version's stranded staging folders, demo failing or killed midway: no user
# file lost, no mixed output, no temporary folder left (docs/guarantees.md).
lb_oracle_test(cli_concurrent_outputs cli_concurrent_outputs.py)
# finetune/unlearn --quiet: nothing on stderr, the same model.
lb_oracle_test(cli_followups_quiet cli_followups.py quiet)
# A model folder without config.json (or no folder): the message says what is missing and what
# a model folder holds.
lb_oracle_test(cli_followups_modelfolder cli_followups.py modelfolder)
# score --metric keywords refuses an empty keyword list with file:line.
lb_oracle_test(cli_followups_scorekw cli_followups.py scorekw)
# data fictitious / tokenizer train --out: locked (refused or --wait), one seed's whole set.
lb_oracle_test(cli_followups_outlock cli_followups.py outlock)
# bound records the SHA-256 of the bytes it read (file, stdin, pipe path).
lb_oracle_test(cli_followups_boundhash cli_followups.py boundhash)
# --tokenizer enters model_sha256 and the provenance; sample --resume with another is refused.
lb_oracle_test(cli_followups_tokprov cli_followups.py tokprov)
# --out's missing parent folders are created (as --help says), a parent that is a file named.
lb_oracle_test(cli_followups_outparents cli_followups.py outparents)
