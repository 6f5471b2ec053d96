"""The built-in profiles for current open MoE models: listed, sourced, and counted as published."""

import json

import pytest

from spacexnet_opt.moe import PROFILES, ModelProfile, get_profile

NEW = {"qwen3-30b-a3b": "Qwen/Qwen3-30B-A3B", "qwen3-235b-a22b": "Qwen/Qwen3-235B-A22B",
       "kimi-k2": "moonshotai/Kimi-K2-Instruct"}


def test_profiles_command_lists_the_new_models(cli):
    result = cli("moe", "profiles")
    assert result.exit_code == 0
    rows = [line for line in result.output.splitlines() if any(f" {name} " in line for name in PROFILES)]
    assert len(rows) == len(PROFILES) and all(any(f" {n} " in row for row in rows) for n in NEW)


@pytest.mark.parametrize("name, model_id", sorted(NEW.items()))
def test_info_prints_the_profile_and_its_hugging_face_source(cli, name, model_id):
    result = cli("moe", "info", name, "--json")
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["name"] == name and f"huggingface.co/{model_id} " in info["source"]


def test_every_builtin_records_its_hugging_face_model_id():
    assert all("config.json of huggingface.co/" in p.source for p in PROFILES.values())


@pytest.mark.parametrize("name, total, active", [("qwen3-30b-a3b", 30.5, 3.3), ("qwen3-235b-a22b", 235.0, 22.0),
                                                 ("kimi-k2", 1040.0, 32.6)])
def test_new_builtins_match_their_published_sizes(name, total, active):
    p = get_profile(name)
    assert p.total_params() / 1e9 == pytest.approx(total, rel=0.02)
    assert p.active_params() / 1e9 == pytest.approx(active, rel=0.02)


def test_total_params_by_hand():
    p = ModelProfile(name="t", n_layers=3, n_dense_layers=1, n_experts=4, top_k=2, n_shared_experts=1, hidden_size=8,
                     expert_ffn_dim=2, shared_expert_ffn_dim=6, dense_ffn_dim=16, n_heads=2, n_kv_heads=1,
                     vocab_size=10)
    attention = 8 * 8 * 2 + 8 * 4 * 2                      # q, o: 8 x (2 x 4); k, v: 8 x (1 x 4)
    moe_layer = attention + 8 * 4 + 4 * 3 * 8 * 2 + 3 * 8 * 6  # router, 4 experts, 1 shared expert
    dense_layer = attention + 3 * 8 * 16
    assert p.total_params() == 2 * moe_layer + dense_layer + 2 * 10 * 8   # embedding and LM head
    assert p.total_params() - p.active_params() == 2 * (4 - 2) * 3 * 8 * 2
