"""Model costs: one attention layout per profile (FLOPs and KV cache agree), counted by hand for one layer."""

from __future__ import annotations

import dataclasses

import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.evaluate import ComputeGroup
from spacexnet_opt.evaluate.memory import satellite_bytes
from spacexnet_opt.moe import flops, get_profile, load_profile

from hostile import assert_one_error_line, run_cli
from test_evaluate_cli import TINY

LLAMA = get_profile("llama-moe-3.5b-2of8")
V3_DECOMPRESSED = get_profile("deepseek-v3")   # the default layout
V3 = dataclasses.replace(V3_DECOMPRESSED, attention_layout="absorbed")
CONTEXT = 4096


def test_llama_moe_layer_by_hand():
    # config.json: hidden 4096, 32 heads of 128, 32 KV heads, FFN 11008 in 8 experts of 1376
    assert flops.attention_projection_macs(LLAMA) == 4 * 4096 * 4096
    assert flops.attention_context_macs(LLAMA, CONTEXT) == CONTEXT * 32 * 128 * 2
    assert flops.expert_macs(LLAMA) == 3 * 4096 * 1376
    assert flops.kv_cache_numbers(LLAMA) == (2 * 128, 0) and flops.attention_units(LLAMA) == 32
    assert LLAMA.attention_layout == "decompressed"
    # one layer on one gateway: weights 4 h^2 + router h E, KV cache 2 x 32 x 128 numbers per token, bf16
    use = satellite_bytes(LLAMA, [3], [[0, 1, 2, 4, 5, 6, 7, 8]], [ComputeGroup([3], [1.0])], n_sats=9,
                          context_len=CONTEXT)
    assert use.weights[3] == (4 * 4096 * 4096 + 4096 * 8) * 2
    assert use.kv[3] == CONTEXT * 2 * 32 * 128 * 2
    assert use.weights[0] == 3 * 4096 * 1376 * 2 and use.kv[0] == 0


def test_deepseek_v3_layer_by_hand():
    # config.json: hidden 7168, 128 heads, q_lora 1536, kv_lora 512, nope 128, rope 64, v 128
    q = 7168 * 1536 + 1536 * 128 * (128 + 64)
    kv = 7168 * (512 + 64) + 512 * 128 * (128 + 128)
    out = 128 * 128 * 7168
    for p in (V3, V3_DECOMPRESSED):   # absorption moves W_UK/W_UV to the query/output: the same MACs
        assert flops.attention_projection_macs(p) == q + kv + out
    assert V3_DECOMPRESSED.attention_layout == "decompressed"
    # absorbed: every head scores over the latent (512 + 64) and sums the latent (512)
    assert flops.attention_context_macs(V3, CONTEXT) == CONTEXT * 128 * (512 + 64 + 512)
    assert flops.attention_context_macs(V3_DECOMPRESSED, CONTEXT) == CONTEXT * 128 * (128 + 64 + 128)
    assert flops.kv_cache_numbers(V3) == (0, 576)
    assert flops.kv_cache_numbers(V3_DECOMPRESSED) == (256, 64)
    group = [ComputeGroup([0], [1.0])]
    absorbed = satellite_bytes(V3, [0], [[1]], group, n_sats=2, context_len=CONTEXT, include_dense=False)
    plain = satellite_bytes(V3_DECOMPRESSED, [0], [[1]], group, n_sats=2, context_len=CONTEXT, include_dense=False)
    assert absorbed.kv[0] == CONTEXT * 576 * 2
    assert plain.kv[0] == CONTEXT * (128 * 256 + 64) * 2
    assert plain.kv[0] / absorbed.kv[0] == pytest.approx(57.0, abs=0.01)   # the 57x
    assert absorbed.weights[0] == plain.weights[0]


def test_layouts_split_the_cache_their_own_way():
    """Two members of 64 heads each: decompressed splits the per-head cache, absorbed copies the latent."""
    half = [ComputeGroup([0, 1], [0.5, 0.5])]
    absorbed = satellite_bytes(V3, [0], [[2]], half, n_sats=3, context_len=CONTEXT, include_dense=False)
    plain = satellite_bytes(V3_DECOMPRESSED, [0], [[2]], half, n_sats=3, context_len=CONTEXT, include_dense=False)
    assert absorbed.kv[0] == absorbed.kv[1] == CONTEXT * 576 * 2
    assert plain.kv[0] == plain.kv[1] == CONTEXT * (64 * 256 + 64) * 2


def test_layout_changes_the_gateway_time_by_the_context_term_only():
    gap = V3.gateway_gflop_per_token(CONTEXT) - V3_DECOMPRESSED.gateway_gflop_per_token(CONTEXT)
    assert gap == pytest.approx(2e-9 * CONTEXT * 128 * (1088 - 320))
    assert V3.gateway_gflop_per_token(0) == V3_DECOMPRESSED.gateway_gflop_per_token(0)


@pytest.mark.parametrize("layout, message", [
    ("sideways", "unknown attention layout 'sideways'; valid: absorbed, decompressed"),
    (3, "unknown attention layout 3; valid: absorbed, decompressed"),
])
def test_unknown_layout_names_the_field_and_file(tmp_path, layout, message):
    f = tmp_path / "mine.toml"
    f.write_text(f'base = "deepseek-v3"\nname = "mine"\nattention_layout = {layout!r}\n'.replace("'", '"'))
    with pytest.raises(InputError) as err:
        load_profile(f)
    assert str(err.value) == f"{f}: attention_layout: {message}"


def test_absorbed_needs_latent_attention(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('base = "mixtral-8x7b"\nname = "mine"\nattention_layout = "absorbed"\n')
    with pytest.raises(InputError, match="attention_layout: absorbed needs multi-head latent attention"):
        load_profile(f)


def test_unknown_layout_on_the_command_line(tmp_path):
    (tmp_path / "mine.toml").write_text('base = "llama-moe-3.5b-2of8"\nname = "mine"\nattention_layout = "flat"\n')
    scenario = tmp_path / "s.toml"
    scenario.write_text(TINY.replace('profile = "llama-moe-3.5b-2of8"', 'file = "mine.toml"'))
    line = assert_one_error_line(run_cli("build", scenario, "-o", tmp_path / "i.json"), "mine.toml",
                                 "attention_layout")
    assert line.endswith("unknown attention layout 'flat'; valid: absorbed, decompressed"), line
    assert not (tmp_path / "i.json").exists()


def test_every_builtin_has_one_layout():
    from spacexnet_opt.moe import PROFILES

    for p in PROFILES.values():
        assert p.attention_layout == "decompressed", p.name
        per_unit, whole = flops.kv_cache_numbers(p)
        assert per_unit * flops.attention_units(p) + whole > 0
    # decompressed MLA counts today's FLOPs: DeepSeek-V3's gateway (110 ms at 7.28 GFLOPS and 4,096 tokens)
    proj = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168
    macs = proj + CONTEXT * 128 * 320 + 7168 * 256 + 3 * 7168 * 2048   # + router + one shared expert
    assert V3_DECOMPRESSED.gateway_gflop_per_token(CONTEXT) == pytest.approx(2e-9 * macs, rel=1e-12)
