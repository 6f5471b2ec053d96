"""Model profiles check their attention head layout: in code, in profile files, on the CLI and in a scenario."""

import json

import pytest
from scenario_text import small_scenario

from spacexnet_opt.errors import InputError
from spacexnet_opt.moe import ModelProfile, get_profile, load_profile

TINY = dict(name="tiny", n_layers=2, n_dense_layers=0, n_experts=4, top_k=2, n_shared_experts=0, hidden_size=64,
            expert_ffn_dim=32, n_heads=8, n_kv_heads=2, vocab_size=100)


@pytest.mark.parametrize("n_kv_heads", [16, 3, 5, 7])
def test_key_value_heads_must_divide_the_attention_heads(n_kv_heads):
    with pytest.raises(InputError) as info:
        ModelProfile(**{**TINY, "n_kv_heads": n_kv_heads})
    assert info.value.field == "n_kv_heads"
    assert str(info.value).startswith(f"n_kv_heads: {n_kv_heads} key/value heads must divide the 8 attention heads")


@pytest.mark.parametrize("n_kv_heads", [1, 2, 4, 8])
def test_every_divisor_is_a_valid_grouping(n_kv_heads):
    assert ModelProfile(**{**TINY, "n_kv_heads": n_kv_heads}).n_kv_heads == n_kv_heads


def test_head_dim_is_derived_or_declared():
    assert ModelProfile(**TINY).head_dim == 64 // 8
    # Qwen3 declares a head wider than hidden / heads (32 x 128 = 4096 > 2048): accepted as given.
    assert ModelProfile(**{**TINY, "head_dim": 128}).head_dim == 128
    with pytest.raises(InputError) as info:
        ModelProfile(**{**TINY, "hidden_size": 60})
    assert str(info.value) == ("head_dim: not given, and hidden_size 60 is not a multiple of the 8 attention heads: "
                               "give head_dim explicitly")
    mla = ModelProfile(**{**TINY, "n_kv_heads": 8, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4,
                          "v_head_dim": 12})
    assert mla.head_dim == 12  # multi-head latent attention: one value head's width


@pytest.mark.parametrize("field", ["n_heads", "n_kv_heads", "head_dim"])
@pytest.mark.parametrize("value", [0, -2, 2.5, True])
def test_head_counts_are_positive_integers(field, value):
    with pytest.raises(InputError) as info:
        ModelProfile(**{**TINY, field: value})
    assert info.value.field == field and "must be an integer >= 1" in info.value.message


def test_builtin_layouts_pass_and_keep_their_head_widths():
    assert [get_profile(n).head_dim for n in ("mixtral-8x7b", "qwen3-30b-a3b", "deepseek-v3")] == [128, 128, 128]
    assert get_profile("mixtral-8x7b").n_heads // get_profile("mixtral-8x7b").n_kv_heads == 4


def _bad_profile(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('base = "mixtral-8x7b"\nname = "odd"\nn_kv_heads = 64\n')
    return path


MESSAGE = "n_kv_heads: 64 key/value heads must divide the 32 attention heads " \
          "(each key/value head serves the same number of query heads)"


def test_profile_file_with_more_kv_heads_than_heads_names_file_and_field(tmp_path):
    path = _bad_profile(tmp_path)
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert str(info.value) == f"{path}: {MESSAGE}"
    js = tmp_path / "mine.json"
    js.write_text(json.dumps({"base": "mixtral-8x7b", "n_heads": 12}))
    with pytest.raises(InputError, match=f"^{js}: n_kv_heads: 8 key/value heads must divide the 12 attention heads"):
        load_profile(js)


def test_cli_info_refuses_the_profile_in_one_line(cli, tmp_path):
    path = _bad_profile(tmp_path)
    result = cli("moe", "info", path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: {path}: {MESSAGE}\n"


def test_scenario_with_the_profile_file_is_refused_in_one_line(cli, tmp_path):
    _bad_profile(tmp_path)
    scenario = tmp_path / "s.toml"
    scenario.write_text(small_scenario(snapshots=2, fold=4, diameter_snapshots=0)
                        .replace('profile = "llama-moe-3.5b-2of8"', 'file = "mine.toml"'))
    out = tmp_path / "inst.json"
    result = cli("build", scenario, "-o", out, "-q")
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr == f"error: {tmp_path / 'mine.toml'}: {MESSAGE}\n"


@pytest.mark.parametrize("key, value, message", [
    ("n_layers", 100_000, "n_layers: must be at most 10,000, got 100,000"),
    ("n_experts", 70_000, "n_experts: must be at most 65,536, got 70,000"),
    ("hidden_size", 10**30, "hidden_size: must be at most 1,099,511,627,776"),
])
def test_profile_counts_have_ceilings(tmp_path, key, value, message):
    """A profile that would make every command walk millions of layers or experts is refused in one line."""
    path = tmp_path / "huge.toml"
    path.write_text(f'base = "mixtral-8x7b"\nname = "huge"\n{key} = {value}\n')
    with pytest.raises(InputError, match=message):
        load_profile(path)
