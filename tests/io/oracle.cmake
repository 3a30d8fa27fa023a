# Safetensors reader/writer against an independent Python writer/reader (numpy, torch).
lb_oracle_test(io_safetensors io_safetensors.py)
lb_oracle_test(io_cli_generate io_cli_generate.py)
