"""Model profiles: published values, the FLOP check against the paper, user profile files."""

import json

import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.moe import PROFILES, ModelProfile, get_profile, load_profile


def test_paper_model_flops_match_36_3_tflop_per_4096_token_pass():
    p = get_profile("llama-moe-3.5b-2of8")
    assert (p.n_moe_layers, p.n_experts, p.top_k, p.hidden_size, p.expert_ffn_dim) == (32, 8, 2, 4096, 1376)
    # Hand count, 2 FLOP per MAC: per layer 4 h^2 projections, 2 h * ctx attention, 2 experts of 3 h f, router h E.
    h, f, ctx = 4096, 1376, 4096
    per_layer = 4 * h * h + 2 * h * ctx + 2 * 3 * h * f + h * 8
    total = 2 * (32 * per_layer + h * 32000) / 1e9
    assert p.total_gflop_per_token(ctx) == pytest.approx(total, rel=1e-12)
    assert p.total_gflop_per_token(ctx) == pytest.approx(8.9, abs=0.05)
    assert p.total_gflop_per_token(ctx) * 4096 / 1e3 == pytest.approx(36.3, rel=0.005)  # TFLOP per pass
    assert p.gateway_gflop_per_token(ctx) == pytest.approx(2 * (4 * h * h + 2 * h * ctx + 8 * h) / 1e9)
    assert p.expert_gflop_per_token() == pytest.approx(2 * 3 * h * f / 1e9)


def test_split_adds_up_and_context_only_moves_the_gateway():
    for p in PROFILES.values():
        dense = p.n_dense_layers * p.dense_layer_gflop_per_token(1000)
        parts = p.n_moe_layers * (p.gateway_gflop_per_token(1000) + p.top_k * p.expert_gflop_per_token())
        assert p.total_gflop_per_token(1000) == pytest.approx(parts + dense + p.lm_head_gflop_per_token())
        assert p.gateway_gflop_per_token(2000) > p.gateway_gflop_per_token(1000)


@pytest.mark.parametrize(
    "name, published_billion",
    [("llama-moe-3.5b-2of8", 3.5), ("llama-moe-3.5b-4of16", 3.5), ("mixtral-8x7b", 12.9),
     ("qwen1.5-moe-a2.7b", 2.7), ("deepseek-v3", 37.0)],
)
def test_active_parameters_match_the_model_cards(name, published_billion):
    # FLOP at zero context are 2 x the weights a token touches, so this checks the compute model too.
    assert get_profile(name).active_params() / 1e9 == pytest.approx(published_billion, rel=0.03)


def test_deepseek_v3_layout_and_message_size():
    p = get_profile("DeepSeek-V3")
    assert (p.n_layers, p.n_dense_layers, p.n_moe_layers, p.n_experts, p.n_shared_experts, p.top_k) == (61, 3, 58, 256, 1, 8)
    assert p.moe_layers == tuple(range(3, 61))
    assert p.activation_bytes() == 7168 * 2 and p.activation_bytes(4) == 7168 * 4


def test_unknown_profile_lists_valid_names():
    with pytest.raises(ValueError) as info:
        get_profile("gpt-moe")
    assert "gpt-moe" in str(info.value) and all(name in str(info.value) for name in PROFILES)


def test_user_profile_toml_and_json(tmp_path):
    toml = tmp_path / "tiny.toml"
    toml.write_text('[profile]\nname = "tiny"\nn_layers = 4\nn_dense_layers = 1\nn_experts = 4\ntop_k = 2\n'
                    'n_shared_experts = 0\nhidden_size = 64\nexpert_ffn_dim = 32\ndense_ffn_dim = 128\n'
                    'n_heads = 4\nn_kv_heads = 4\nhead_dim = 16\nvocab_size = 100\n')
    tiny = load_profile(toml)
    assert isinstance(tiny, ModelProfile) and tiny.moe_layers == (1, 2, 3) and tiny.source == str(toml)
    assert tiny.expert_gflop_per_token() == pytest.approx(2 * 3 * 64 * 32 / 1e9)
    js = tmp_path / "m.json"
    js.write_text(json.dumps({"base": "mixtral-8x7b", "name": "mixtral-top1", "top_k": 1}))
    m = load_profile(js)
    assert m.top_k == 1 and m.hidden_size == 4096 and m.name == "mixtral-top1"


@pytest.mark.parametrize(
    "text, field",
    [
        ('name = "x"\nsurprise = 1\n', "surprise"),
        ('base = "mixtral-8x7b"\ntop_k = 9\n', "top_k"),
        ('base = "mixtral-8x7b"\nhidden_size = -3\n', "hidden_size"),
        ('base = "mixtral-8x7b"\nn_layers = "many"\n', "n_layers"),
        ('base = "nope"\n', "base"),
        ('name = "x"\nn_layers = 2\n', "n_dense_layers"),
        ('base = "deepseek-v3"\ndense_ffn_dim = 0\n', "dense_ffn_dim"),
    ],
)
def test_user_profile_errors_name_file_and_key(tmp_path, text, field):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert str(info.value).startswith(f"{path}: {field}: ")


def test_user_profile_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(InputError, match="invalid TOML"):
        load_profile(bad)
    with pytest.raises(InputError, match="file not found"):
        load_profile(tmp_path / "missing.toml")
    other = tmp_path / "x.yaml"
    other.write_text("a: 1")
    with pytest.raises(InputError, match="expected .toml or .json"):
        load_profile(other)
