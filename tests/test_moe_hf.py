"""Hugging Face config.json files: each family parsed, its parameter count checked, bad configs refused."""

import dataclasses
import itertools
import json
from pathlib import Path

import pytest

from spacexnet_opt.setting.resolvers import scenario_profile
from spacexnet_opt.errors import InputError
from spacexnet_opt.formats.scenario import parse_scenario
from spacexnet_opt.moe import PROFILES, get_profile, load_profile
from spacexnet_opt.moe.hf import FAMILIES, profile_from_hf_config

HF = Path(__file__).parent / "data" / "hf"

# Published totals and actives (billions), from the model cards and papers:
# Mixtral (mistral.ai, arXiv 2401.04088), Phi-3.5-MoE (model card), gpt-oss (model card, arXiv 2508.10925),
# OLMoE (arXiv 2409.02060), Qwen1.5-MoE (Qwen blog), Qwen3 (model cards), DeepSeek-V2 (arXiv 2405.04434),
# DeepSeek-V3 (arXiv 2412.19437), Kimi K2 (arXiv 2507.20534: 1.04T total, 32.6B active).
# The last item: whether the published active count includes the input embedding (gpt-oss leaves it out).
PUBLISHED = {
    "Mixtral-8x7B-v0.1": ("mixtral", 46.7, 12.9, True),
    "Phi-3.5-MoE-instruct": ("phimoe", 41.9, 6.6, True),
    "gpt-oss-120b": ("gpt_oss", 116.83, 5.13, False),
    "gpt-oss-20b": ("gpt_oss", 20.91, 3.61, False),
    "OLMoE-1B-7B-0924": ("olmoe", 6.9, 1.3, True),
    "Qwen1.5-MoE-A2.7B": ("qwen2_moe", 14.3, 2.7, True),
    "Qwen3-30B-A3B": ("qwen3_moe", 30.5, 3.3, True),
    "Qwen3-235B-A22B": ("qwen3_moe", 235.0, 22.0, True),
    "DeepSeek-V2-Lite": ("deepseek_v2", 15.7, None, False),
    "DeepSeek-V2": ("deepseek_v2", 236.0, 21.0, True),
    "DeepSeek-V3": ("deepseek_v3", 671.0, 37.0, True),
    "Kimi-K2-Instruct": ("kimi_k2", 1040.0, 32.6, True),
}


def _config(name: str) -> dict:
    return json.loads((HF / f"{name}.json").read_text())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_match_the_published_figures(name):
    # Weight matrices only (embedding and LM head included, norms and biases left out): within 2 %
    # of each published figure, most of which are rounded to two or three significant digits.
    family, total, active, input_embedding = PUBLISHED[name]
    assert _config(name)["model_type"] == family
    p = load_profile(HF / f"{name}.json")
    assert p.name == name and p.source == str(HF / f"{name}.json")
    assert p.total_params() / 1e9 == pytest.approx(total, rel=0.02)
    if active is not None:
        embedding = 0 if input_embedding else p.vocab_size * p.hidden_size
        assert (p.active_params() - embedding) / 1e9 == pytest.approx(active, rel=0.02)


def test_deepseek_v2_lite_active_count_leaves_out_the_input_embedding():
    # Its card says 2.4B active: our 2.66B less the 102400 x 2048 input embedding is 2.45B.
    p = load_profile(HF / "DeepSeek-V2-Lite.json")
    assert (p.active_params() - p.vocab_size * p.hidden_size) / 1e9 == pytest.approx(2.4, rel=0.025)


def test_every_family_has_a_shipped_config():
    assert {family for family, *_ in PUBLISHED.values()} == set(FAMILIES)


@pytest.mark.parametrize(
    "name, builtin",
    [("Mixtral-8x7B-v0.1", "mixtral-8x7b"), ("Qwen1.5-MoE-A2.7B", "qwen1.5-moe-a2.7b"),
     ("DeepSeek-V2-Lite", "deepseek-v2-lite"), ("DeepSeek-V3", "deepseek-v3"), ("Qwen3-30B-A3B", "qwen3-30b-a3b"),
     ("Qwen3-235B-A22B", "qwen3-235b-a22b"), ("Kimi-K2-Instruct", "kimi-k2")],
)
def test_config_gives_the_builtin_profile_field_for_field(name, builtin):
    parsed = load_profile(HF / f"{name}.json")
    expected = get_profile(builtin)
    assert dataclasses.replace(parsed, name=expected.name, source=expected.source) == expected


def test_family_specific_fields_land_where_they_belong():
    qwen15 = load_profile(HF / "Qwen1.5-MoE-A2.7B.json")
    assert (qwen15.n_shared_experts, qwen15.shared_expert_ffn_dim, qwen15.expert_ffn_dim) == (1, 5632, 1408)
    qwen3 = load_profile(HF / "Qwen3-30B-A3B.json")
    assert (qwen3.n_heads, qwen3.n_kv_heads, qwen3.head_dim, qwen3.hidden_size) == (32, 4, 128, 2048)
    v2lite = load_profile(HF / "DeepSeek-V2-Lite.json")
    assert v2lite.q_lora_rank is None and v2lite.is_mla and v2lite.moe_layers == tuple(range(1, 27))
    kimi = load_profile(HF / "Kimi-K2-Instruct.json")
    assert (kimi.n_experts, kimi.top_k, kimi.n_heads, kimi.n_dense_layers, kimi.vocab_size) == (384, 8, 64, 1, 163840)
    mixtral = load_profile(HF / "Mixtral-8x7B-v0.1.json")
    assert mixtral.head_dim == 4096 // 32 and not mixtral.tied_embeddings


def test_family_from_architectures_and_multimodal_text_config():
    cfg = _config("OLMoE-1B-7B-0924")
    by_arch = {k: v for k, v in cfg.items() if k != "model_type"}
    assert profile_from_hf_config(by_arch, name="o") == profile_from_hf_config(cfg, name="o")
    wrapped = {"model_type": "kimi_k25", "architectures": ["KimiK25ForConditionalGeneration"],
               "text_config": _config("Kimi-K2-Instruct")}
    assert profile_from_hf_config(wrapped, name="kimi-k2") == dataclasses.replace(get_profile("kimi-k2"), source="")


def test_name_defaults_to_name_or_path_then_the_folder_of_a_config_json(tmp_path):
    folder = tmp_path / "my-moe"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(_config("Mixtral-8x7B-v0.1")))
    assert load_profile(folder / "config.json").name == "my-moe"
    named = {**_config("Mixtral-8x7B-v0.1"), "_name_or_path": "mistralai/Mixtral-8x7B-v0.1"}
    assert profile_from_hf_config(named).name == "Mixtral-8x7B-v0.1"


def _write(tmp_path, cfg, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(cfg))
    return path


@pytest.mark.parametrize("cfg", [{"model_type": ["mixtral"]}, {"architectures": [["MixtralForCausalLM"]]},
                                 {"architectures": "MixtralForCausalLM"}])
def test_family_fields_of_the_wrong_type_are_an_unknown_family(tmp_path, cfg):
    path = _write(tmp_path, cfg)
    with pytest.raises(InputError, match=f"^{path}: model_type: unknown model family "):
        load_profile(path)


def test_unknown_family_is_one_line_naming_file_and_model_type(tmp_path, cli):
    path = _write(tmp_path, {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096})
    message = (f"{path}: model_type: unknown model family 'llama' (architectures ['LlamaForCausalLM']); "
               f"supported model_type values: {', '.join(FAMILIES)}")
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert str(info.value) == message
    result = cli("moe", "info", path)
    assert result.exit_code == 2 and result.stderr == f"error: {message}\n"


@pytest.mark.parametrize(
    "base, change, field, message",
    [
        ("Mixtral-8x7B-v0.1", {"num_key_value_heads": 64}, "num_key_value_heads",
         "64 key/value heads must divide the 32 attention heads"),
        ("Qwen3-30B-A3B", {"num_experts_per_tok": 200}, "num_experts_per_tok", "top_k=200 exceeds n_experts=128"),
        ("Qwen3-30B-A3B", {"moe_intermediate_size": None}, "moe_intermediate_size",
         "missing: a qwen3_moe config must give it"),
        ("OLMoE-1B-7B-0924", {"num_experts": "64"}, "num_experts", "must be an integer >= 1, got '64'"),
        ("Mixtral-8x7B-v0.1", {"hidden_size": 4100}, "head_dim", "not given, and hidden_size 4100 is not a multiple"),
        ("Qwen1.5-MoE-A2.7B", {"mlp_only_layers": [3]}, "mlp_only_layers", "dense layers [3] are not the leading"),
        ("Qwen1.5-MoE-A2.7B", {"decoder_sparse_step": 2}, "decoder_sparse_step",
         "a MoE layer every 2 layers leaves dense layers between them"),
        ("DeepSeek-V3", {"moe_layer_freq": 2}, "moe_layer_freq", "must be 1, got 2: a profile has experts in every"),
        ("Qwen3-30B-A3B", {"mlp_only_layers": list(range(48))}, "mlp_only_layers",
         "48 dense layers leave no MoE layer of 48"),
        ("DeepSeek-V3", {"intermediate_size": 0}, "intermediate_size", "must be an integer >= 1, got 0"),
        ("DeepSeek-V3", {"first_k_dense_replace": 61}, "first_k_dense_replace", "61 dense layers leave no MoE layer"),
        ("Phi-3.5-MoE-instruct", {"tie_word_embeddings": "no"}, "tie_word_embeddings", "must be true or false"),
    ],
)
def test_bad_values_name_the_config_key(tmp_path, cli, base, change, field, message):
    path = _write(tmp_path, {**_config(base), **change})
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert str(info.value).startswith(f"{path}: {field}: {message}")
    result = cli("moe", "info", path)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {path}: {field}: {message}")
    assert result.stderr.count("\n") == 1


def test_qwen_dense_layer_count_agrees_with_the_per_layer_rule():
    # transformers: layer i has experts unless i is in mlp_only_layers or (i + 1) % decoder_sparse_step != 0.
    tiny = {**_config("Qwen3-30B-A3B"), "num_experts": 4, "num_experts_per_tok": 2}
    for n_layers, step in itertools.product(range(1, 7), range(1, 5)):
        for size in range(4):
            for only in itertools.combinations(range(-1, 8), size):
                dense = [i for i in range(n_layers) if i in only or (i + 1) % step]
                leading = dense == list(range(len(dense))) and len(dense) < n_layers
                cfg = {**tiny, "num_hidden_layers": n_layers, "mlp_only_layers": list(only),
                       "decoder_sparse_step": step}
                try:
                    got = profile_from_hf_config(cfg).n_dense_layers
                except InputError:
                    got = None
                assert got == (len(dense) if leading else None), (n_layers, step, only)


def test_leading_dense_qwen_layers_become_dense_layers(tmp_path):
    p = load_profile(_write(tmp_path, {**_config("Qwen1.5-MoE-A2.7B"), "mlp_only_layers": [0, 1]}))
    assert (p.n_dense_layers, p.dense_ffn_dim, p.moe_layers[0]) == (2, 5632, 2)


def test_moe_info_and_a_scenario_both_read_a_config_json(cli, tmp_path):
    config = _write(tmp_path, _config("Qwen3-30B-A3B"))
    result = cli("moe", "info", config, "--json")
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert (info["name"], info["experts"], info["top_k"]) == (tmp_path.name, 128, 8)
    assert info["total_params_billion"] == pytest.approx(30.5, rel=0.02)
    text = ('format = "spacexnet-scenario"\nversion = 1\nname = "t"\n[constellation]\npreset = "paper"\n'
            '[model]\nfile = "config.json"\n[statistics]\nkind = "zipf"\n')
    scenario = tmp_path / "s.toml"
    profile = scenario_profile(parse_scenario(text, source=scenario), scenario)
    assert dataclasses.replace(profile, name="qwen3-30b-a3b", source="") == \
        dataclasses.replace(PROFILES["qwen3-30b-a3b"], source="")


WEIRD = [-1, 0, 1, 3, 1.5, 1e308, 10**30, "x", "", None, True, [], {}, [[]], [0, 1], [1, 3], {"a": 1}]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_any_weird_value_of_any_key_gives_a_profile_or_an_input_error(name):
    cfg = _config(name)
    outcomes = {"profile": 0, "refused": 0}
    for key in cfg:
        for value in WEIRD:
            try:
                profile_from_hf_config({**cfg, key: value}, source="c.json")
                outcomes["profile"] += 1
            except InputError as exc:
                assert str(exc).startswith("c.json: ") and "\n" not in str(exc)
                outcomes["refused"] += 1
    assert outcomes["profile"] and outcomes["refused"]
