# Safetensors reader/writer against an independent Python writer/reader (numpy, torch).
lb_oracle_test(io_safetensors io_safetensors.py)
# The JSON number parser of bound's fast reader against Python's float() (bits, length, declines).
lb_oracle_test(io_jsonnum io_jsonnum.py)
# Every model-folder JSON reader accepts any valid JSON number, as Python's json does.
lb_oracle_test(io_json_any_number io_json_any_number.py)
