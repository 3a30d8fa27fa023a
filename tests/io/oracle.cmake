# Safetensors reader/writer against an independent Python writer/reader (numpy, torch).
lb_oracle_test(io_safetensors io_safetensors.py)
lb_oracle_test(io_cli_generate io_cli_generate.py)
# Multi-file commands on a full disk (file-size limit) and a full stdout: exit 1, reason named,
# output folder unchanged.
lb_oracle_test(io_atomic_cli io_atomic_cli.py)
# The JSON number parser of bound's fast reader against Python's float() (bits, length, declines).
lb_oracle_test(io_jsonnum io_jsonnum.py)
