# Training gradients, AdamW trajectory and the oracle's own finite-difference check, against
# PyTorch (tests/oracle/train_grad.py, train_common.py on model_ref.py).
lb_oracle_test(train_grads_llama train_grad.py grads_llama)
lb_oracle_test(train_grads_phi train_grad.py grads_phi)
lb_oracle_test(train_grads_gpt2 train_grad.py grads_gpt2)
lb_oracle_test(train_grads_variants train_grad.py grads_variants)
lb_oracle_test(train_grads_bf16 train_grad.py grads_bf16)
lb_oracle_test(train_grads_f16 train_grad.py grads_f16)
lb_oracle_test(train_adamw train_grad.py adamw)
lb_oracle_test(train_fd train_grad.py fd)
# leakbound init / finetune / unlearn end to end (tests/oracle/train_cli.py).
lb_oracle_test(train_cli_init train_cli.py init)
lb_oracle_test(train_cli_loss train_cli.py loss)
lb_oracle_test(train_cli_resume train_cli.py resume)
lb_oracle_test(train_cli_dtype train_cli.py dtype)
lb_oracle_test(train_cli_errors train_cli.py errors)
# The reference's Hydra YAML files (tests/train/hydra) through --config and `config show`.
lb_oracle_test(train_config train_config.py)
# eval/tofu --config: the same files as the flags they stand for (tests/oracle/train_config_eval.py).
lb_oracle_test(train_config_eval train_config_eval.py)
# leakbound_run.json in finetune/unlearn outputs: fields against the command line, hashlib and
# the schedule's arithmetic; shown by inspect; linked from eval's provenance.
lb_oracle_test(train_run_record train_run_record.py)
# --eval-every / --eval-data / --stop-when: eval_log.csv, the kept step (the last step a
# candidate) and an independent `eval` of the output (tests/oracle/train_stop.py).
lb_oracle_test(train_stop train_stop.py)
