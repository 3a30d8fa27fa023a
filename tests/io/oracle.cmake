# Safetensors reader/writer against an independent Python writer/reader (numpy, torch).
lb_oracle_test(io_safetensors io_safetensors.py)
# The JSON number parser of bound's fast reader against Python's float() (bits, length, declines).
lb_oracle_test(io_jsonnum io_jsonnum.py)
