"""Satellite memory checked for every scheme: weights + KV cache at the evaluated context, refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.evaluate import ComputeGroup, Deployment
from spacexnet_opt.evaluate.memory import check_group_memory, head_bytes, satellite_bytes
from spacexnet_opt.formats.scenario import load_scenario
from spacexnet_opt.moe import get_profile

from conftest import REPO
from hostile import assert_one_error_line, run_cli
from test_evaluate_cli import TINY

LLAMA = get_profile("llama-moe-3.5b-2of8")
GATEWAY_BYTES = (4 * 4096 * 4096 + 4096 * 8) * 2 + 4096 * 2 * 32 * 128 * 2   # weights + KV at 4,096 tokens
EXPERT_BYTES = 3 * 4096 * 1376 * 2


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """TINY with 0.1 GB per satellite: an expert (0.034 GB) fits, a gateway (0.201 GB) does not."""
    d = tmp_path_factory.mktemp("small")
    (d / "small.toml").write_text(TINY + "[compute]\nmemory_gb = 0.1\n")
    assert run_cli("build", d / "small.toml", "-o", d / "inst.json", "-q").exit_code == 0
    assert run_cli("solve", d / "inst.json", "-m", "sorted", "-o", d / "plc.json").exit_code == 0
    return d


def _expected(name: str, gateway: int, layer: int) -> str:
    return (f"layers[{layer}]: {name} does not fit: satellite {gateway} (layers {layer}) must hold "
            f"{GATEWAY_BYTES:,} bytes (weights 0.134 GB, KV cache 0.067 GB at context 4,096) but has 100,000,000 bytes")


def test_a_placement_that_does_not_fit_is_refused(small):
    gateways = [layer["gateway"] for layer in json.loads((small / "inst.json").read_text())["layers"]]
    result = run_cli("evaluate", small / "small.toml", small / "plc.json", "--json", small / "out.json",
                     "--tokens", "0")
    g = min(gateways)   # every gateway holds the same bytes (experts elsewhere); the lowest id is named
    assert assert_one_error_line(result) == f"error: {small / 'plc.json'}: {_expected('sorted', g, gateways.index(g))}"
    assert not (small / "out.json").exists()


def test_a_baseline_that_does_not_fit_is_refused(small):
    result = run_cli("evaluate", small / "small.toml", "RandIntra", "--json", small / "out.json", "--tokens", "0")
    line = assert_one_error_line(result, "RandIntra (seed 0) does not fit: satellite", f"{GATEWAY_BYTES:,} bytes")
    assert line.startswith(f"error: {small / 'small.toml'}: layers[")
    assert not (small / "out.json").exists()


def test_an_optimised_deployment_that_does_not_fit_is_refused(small):
    result = run_cli("optimize", small / "small.toml", "-o", small / "dep.json")
    line = assert_one_error_line(result, "does not fit: satellite", "must hold", "but has 100,000,000 bytes")
    assert "KV cache 0.067 GB at context 4,096" in line
    assert not (small / "dep.json").exists()


def test_reproduce_refuses_before_writing(small):
    result = run_cli("reproduce", "paper", "--scenario", small / "small.toml", "--schemes", "Space-XNet",
                     "--quick", "--tokens", "0", "--out", small / "table")
    assert_one_error_line(result, "Space-XNet does not fit: satellite", f"{GATEWAY_BYTES:,} bytes")
    assert not (small / "table").exists() or not any((small / "table").iterdir())


def test_memory_smaller_than_one_expert_is_one_line(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(TINY + "[compute]\nmemory_gb = 0.03\n")
    line = assert_one_error_line(run_cli("build", scenario, "-o", tmp_path / "i.json"))
    assert line == (f"error: {scenario}: compute.memory_gb: 0.03 GB is smaller than one expert of "
                    f"llama-moe-3.5b-2of8 (0.033817 GB)")
    assert not (tmp_path / "i.json").exists()
    assert EXPERT_BYTES == 33_816_576


def test_bytes_counted_by_hand_for_a_shared_satellite():
    """Satellite 2: gateway of layer 1, expert of layer 0 and a half-share member of layer 0's group."""
    plan = Deployment(np.array([0, 2]), np.array([[2, 3], [4, 5]]), groups=(ComputeGroup([0, 2], [0.5, 0.5]),
                                                                           ComputeGroup([2], [1.0])))
    use = satellite_bytes(LLAMA, plan.gateways, plan.hosts, plan.groups, n_sats=6, context_len=1000)
    attention, router, kv_per_head = 4 * 4096 * 4096 * 2, 4096 * 8 * 2, 1000 * 2 * 128 * 2
    assert use.weights[2] == EXPERT_BYTES + attention / 2 + attention + router
    assert use.kv[2] == 16 * kv_per_head + 32 * kv_per_head
    assert use.total[2] == 259_784_704
    with pytest.raises(InputError) as err:
        check_group_memory(plan, LLAMA, np.full(6, 0.2597), n_sats=6, context_len=1000)
    assert str(err.value) == ("layers[0]: the deployment does not fit: satellite 2 (layers 0, 1) must hold "
                              "259,784,704 bytes (weights 0.235 GB, KV cache 0.025 GB at context 1,000) but has "
                              "259,700,000 bytes")
    check_group_memory(plan, LLAMA, np.full(6, 0.2598), n_sats=6, context_len=1000)


def test_lm_head_and_embeddings_sit_at_the_first_gateway():
    plan = Deployment(np.array([4, 2]), np.array([[0, 1], [3, 5]]))
    without = satellite_bytes(LLAMA, plan.gateways, plan.hosts, None, n_sats=6)
    with_head = satellite_bytes(LLAMA, plan.gateways, plan.hosts, None, n_sats=6, include_lm_head=True)
    assert head_bytes(LLAMA) == 2 * 32000 * 4096 * 2   # LM head and embedding table, untied
    assert np.array_equal(with_head.weights - without.weights, np.eye(6)[4] * head_bytes(LLAMA))


@pytest.mark.parametrize("name, gb", [("paper.toml", 8.0), ("deepseek-v3-mega.toml", 16.0)])
def test_shipped_scenarios_model_memory(name, gb):
    assert load_scenario(REPO / "instances" / name).compute.memory_gb == gb


@pytest.mark.parametrize("head, gb", [(False, 5.042601984), (True, 8.749318144)])
def test_deepseek_first_gateway_by_hand(head, gb):
    """3 dense layers + MoE layer 0 at the first gateway, decompressed MLA at 4,096 tokens (the toml's comment)."""
    v3 = get_profile("deepseek-v3")
    attention = 7168 * 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 * 128 * 256 + 128 * 128 * 7168
    weights = 3 * (attention + 3 * 7168 * 18432) + attention + 7168 * 256 + 3 * 7168 * 2048
    kv = 4 * 4096 * (128 * 256 + 64)
    use = satellite_bytes(v3, [0, 1], [[2], [3]], None, n_sats=4, include_lm_head=head)
    assert use.total[0] == 2 * (weights + kv + head * 2 * 129280 * 7168) == gb * 1e9
