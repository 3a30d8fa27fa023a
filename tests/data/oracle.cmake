# Data module oracles: readers vs Python's csv/json, chat templates vs jinja2 (python3-jinja2),
# and the fictitious-author CLI read back with json/hashlib.
lb_oracle_test(data_readers data_readers.py)
lb_oracle_test(data_chat_templates data_chat_templates.py)
lb_oracle_test(data_fictitious data_fictitious.py)
# Real Hugging Face folder files (tests/data/hf) load, with HF's big integers; templates vs jinja2.
lb_oracle_test(data_model_folders data_model_folders.py)
