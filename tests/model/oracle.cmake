# Model forward vs the PyTorch reference (tests/oracle/model_ref.py), one test per family group.
lb_oracle_test(model_llama model_oracle.py llama_gqa_f32 llama_tied_bf16_llama3 llama_bias_keep_f16)
lb_oracle_test(model_qwen2_mistral model_oracle.py qwen2_bias_sharded_f16 mistral_window_headdim)
lb_oracle_test(model_phi model_oracle.py phi_partial_f16 phi_mixed_keep_gqa)
lb_oracle_test(model_gpt2 model_oracle.py gpt2_tied_f32 gpt2_noprefix_bf16_keep gpt2_untied_gelu_f16)
lb_oracle_test(model_errors model_errors.py)
lb_oracle_test(model_parallel model_oracle.py gpt2_parallel llama_parallel)
