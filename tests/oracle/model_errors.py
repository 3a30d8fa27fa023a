"""Bad model folders and bad calls: the driver must exit 2 with a message naming the culprit
(tensor, field, folder), never crash. Checkpoints are written with model_ref's HF writer."""
import json
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_ref  # noqa: E402
from model_oracle import llama_cfg, phi_cfg, gpt2_cfg  # noqa: E402


def build(work, name, cfg, edit=None, shards=1):
    gen = torch.Generator().manual_seed(7)
    named = model_ref.random_weights(cfg, gen)
    if edit:
        named = edit(named)
    folder = os.path.join(work, "err_" + name)
    model_ref.write_checkpoint(folder, cfg, named, shards)
    return folder


def drop(name):
    return lambda named: [(n, t) for n, t in named if n != name]


def reshape(name, shape):
    return lambda named: [(n, torch.zeros(shape) if n == name else t) for n, t in named]


def run(drivers, work, folder, spec=None):
    spec = spec or {"prompts": [[1, 2, 3]], "forks": [], "extend": [], "decode": [[4]],
                    "block_size": 4, "keep_file_dtype": False}
    sp = os.path.join(work, "err_spec.json")
    with open(sp, "w") as f:
        json.dump(spec, f)
    p = subprocess.run([os.path.join(drivers, "driver_model"), folder, sp,
                        os.path.join(work, "err_out.bin")], capture_output=True, text=True)
    return p.returncode, p.stderr


def main():
    work = os.environ.get("LB_WORK", "/tmp/lb_model_work")
    drivers = os.environ["LB_DRIVERS"]
    os.makedirs(work, exist_ok=True)
    L = "model.layers.1."
    cases = [
        ("missing", llama_cfg(), drop(L + "mlp.up_proj.weight"),
         [L + "mlp.up_proj.weight", "missing"]),
        ("shape", llama_cfg(), reshape(L + "self_attn.k_proj.weight", (64, 64)),
         [L + "self_attn.k_proj.weight", "[64, 64]", "[32, 64]"]),
        ("untied_head", llama_cfg(), drop("lm_head.weight"), ["lm_head.weight"]),
        ("phi_head_bias", phi_cfg(), drop("lm_head.bias"), ["lm_head.bias"]),
        ("gpt2_wpe", gpt2_cfg(), drop("transformer.wpe.weight"), ["transformer.wpe.weight"]),
        ("qwen2_bias", llama_cfg(architectures=["Qwen2ForCausalLM"], model_type="qwen2"),
         drop("model.layers.0.self_attn.v_proj.bias"), ["model.layers.0.self_attn.v_proj.bias"]),
        ("arch", llama_cfg(architectures=["BertModel"]), None,
         ["unsupported architecture", "BertModel"]),
        ("no_hidden", {k: v for k, v in llama_cfg().items() if k != "hidden_size"}, None,
         ["config.json", "hidden_size"]),
        ("heads", llama_cfg(num_key_value_heads=3), None, ["num_key_value_heads"]),
        ("rope", llama_cfg(rope_scaling={"rope_type": "yarn", "factor": 2.0}), None,
         ["rope_scaling", "yarn"]),
        ("act", llama_cfg(hidden_act="relu"), None, ["hidden_act", "relu"]),
        ("int_field", llama_cfg(num_hidden_layers="two"), None, ["num_hidden_layers"]),
    ]
    bad = 0
    for name, cfg, edit, needles in cases:
        if name in ("arch", "no_hidden", "heads", "rope", "act", "int_field"):
            folder = build(work, name, llama_cfg())
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump(cfg, f)
        else:
            folder = build(work, name, cfg, edit)
        rc, err = run(drivers, work, folder)
        ok = rc == 2 and all(n in err for n in needles)
        print("%-14s rc=%d %s %s" % (name, rc, "ok " if ok else "BAD", err.strip()))
        bad += not ok

    # Config values out of range: each is refused before any allocation, naming config.json, the
    # field and the allowed range (before: NaN logits for rope_theta 0, "must be an integer" for
    # sizes out of an int, "out of memory" for 1e9 layers, silent acceptance of a config with
    # fewer layers than the weights and of eos ids outside the vocabulary).
    range_cases = [
        ("rope_theta0", llama_cfg, {"rope_theta": 0}, ["rope_theta", "[1, 1e+30]", "0"]),
        ("rope_theta_neg", phi_cfg, {"rope_theta": -10000.0}, ["rope_theta", "[1, 1e+30]"]),
        ("eps_neg", llama_cfg, {"rms_norm_eps": -1e-5}, ["rms_norm_eps", "[0, 1]"]),
        ("eps_big", phi_cfg, {"layer_norm_eps": 2.0}, ["layer_norm_eps", "[0, 1]"]),
        ("hidden_2_31", llama_cfg, {"hidden_size": 2 ** 31}, ["hidden_size", "2147483648", "[1, 65536]"]),
        ("hidden_neg", llama_cfg, {"hidden_size": -64}, ["hidden_size", "-64", "[1, 65536]"]),
        ("inter_1e12", llama_cfg, {"intermediate_size": 1e12}, ["intermediate_size", "1e+12", "[1, 1048576]"]),
        ("maxpos_2_40", llama_cfg, {"max_position_embeddings": 2 ** 40},
         ["max_position_embeddings", "1099511627776", "[1, 2097152]"]),
        ("layers_1e9", llama_cfg, {"num_hidden_layers": 1e9}, ["num_hidden_layers", "[1, 4096]"]),
        ("layers_3", llama_cfg, {"num_hidden_layers": 3}, ["num_hidden_layers", "3", "2 layers"]),
        ("layers_1", llama_cfg, {"num_hidden_layers": 1}, ["num_hidden_layers", "1", "2 layers", "model.layers.1."]),
        ("gpt2_layers_1", gpt2_cfg, {"n_layer": 1}, ["n_layer", "2 layers", "transformer.h.1."]),
        ("phi_layers_1", phi_cfg, {"num_hidden_layers": 1}, ["num_hidden_layers", "2 layers"]),
        ("eos_1e12", llama_cfg, {"eos_token_id": 1e12}, ["eos_token_id", "[0, 97)"]),
        ("eos_neg", llama_cfg, {"eos_token_id": -5}, ["eos_token_id", "-5", "[0, 97)"]),
        ("eos_list", llama_cfg, {"eos_token_id": [2, 97]}, ["eos_token_id", "97", "[0, 97)"]),
        ("bos_neg", phi_cfg, {"bos_token_id": -1}, ["bos_token_id", "[0, 101)"]),
        ("kv_heads0", llama_cfg, {"num_key_value_heads": 0}, ["num_key_value_heads", "[1, 4096]"]),
        ("rope_factor", llama_cfg, {"rope_scaling": {"rope_type": "llama3", "factor": -8.0,
                                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                     "original_max_position_embeddings": 8192}},
         ["rope_scaling.factor", "[1e-06, 1000000]"]),
        ("rope_factor_denormal", llama_cfg, {"rope_scaling": {"rope_type": "llama3", "factor": 1e-320,
                                                              "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                              "original_max_position_embeddings": 8192}},
         ["rope_scaling.factor", "[1e-06, 1000000]"]),
        ("rope_opm", llama_cfg, {"rope_scaling": {"rope_type": "llama3", "factor": 8.0,
                                                  "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                  "original_max_position_embeddings": 1e300}},
         ["original_max_position_embeddings", "[1, 2097152]"]),
    ]
    for name, family, edits, needles in range_cases:
        folder = build(work, "range_" + name, family())
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(family(**edits), f)
        rc, err = run(drivers, work, folder)
        ok = rc == 2 and "config.json" in err and all(n in err for n in needles) and "out of memory" not in err
        print("%-14s rc=%d %s %s" % (name, rc, "ok " if ok else "BAD", err.strip()))
        bad += not ok
    # Still accepted: a list of eos ids within the vocabulary, null ids, rope_theta 1e6.
    for name, family, edits in [("eos_ok", llama_cfg, {"eos_token_id": [2, 96], "bos_token_id": None}),
                                ("theta_ok", llama_cfg, {"rope_theta": 1e6})]:
        folder = build(work, "range_" + name, family(**edits))
        rc, err = run(drivers, work, folder)
        print("%-14s rc=%d %s %s" % (name, rc, "ok " if rc == 0 else "BAD", err.strip()))
        bad += rc != 0

    # Malformed config.json and a truncated shard: clear errors, no crash.
    folder = build(work, "json", llama_cfg())
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write('{"architectures": ["LlamaForCausalLM"], ')
    rc, err = run(drivers, work, folder)
    ok = rc == 2 and "config.json:" in err
    print("%-14s rc=%d %s %s" % ("json", rc, "ok " if ok else "BAD", err.strip()))
    bad += not ok
    folder = build(work, "truncated", llama_cfg(), shards=2)
    shard = os.path.join(folder, "model-00002-of-00002.safetensors")
    with open(shard, "r+b") as f:
        f.truncate(os.path.getsize(shard) - 100)
    rc, err = run(drivers, work, folder)
    ok = rc == 2 and "model-00002-of-00002.safetensors" in err
    print("%-14s rc=%d %s %s" % ("truncated", rc, "ok " if ok else "BAD", err.strip()))
    bad += not ok

    # A token outside the vocabulary is refused by the forward.
    folder = build(work, "token", llama_cfg())
    rc, err = run(drivers, work, folder, {"prompts": [[1, 97]], "forks": [], "extend": [],
                                          "decode": [], "block_size": 4})
    ok = rc == 2 and "97" in err and "outside" in err
    print("%-14s rc=%d %s %s" % ("token", rc, "ok " if ok else "BAD", err.strip()))
    bad += not ok
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
