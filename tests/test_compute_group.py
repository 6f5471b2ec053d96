"""Compute groups: today's numbers for a group of one, a hand-computed 3-satellite case, brute force, memory, CLI."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from spacexnet_opt.constellation import IslConfig
from spacexnet_opt.evaluate import evaluate_deployments, deployment_from_file
from spacexnet_opt.formats.deployment import load_deployment
from spacexnet_opt.evaluate.compute_group import group_work, round_times, single_groups
from spacexnet_opt.evaluate import ComputeGroup, Deployment
from spacexnet_opt.evaluate.deployments import evaluate_grouped
from spacexnet_opt.evaluate.group_phases import group_phases
from spacexnet_opt.evaluate.memory import satellite_bytes
from spacexnet_opt.optimize.group_choice import layer_group, water_level, waterfill_shares
from spacexnet_opt.evaluate import ComputeModel
from spacexnet_opt.moe import get_profile

from test_deploy import TINY, tiny  # noqa: F401  (tiny: the deploy tests' 10 x 32 scenario fixture)

PROFILE = get_profile("llama-moe-3.5b-2of8")


class LineSnapshots:
    """Satellites 0 - 1 - 2 on a line: links of 1 ms and 2 ms (one snapshot), or 1 ms and no link (another)."""

    n_sats, config = 3, IslConfig(message_bits=8 * 8192, link_rate_bps=100e9)

    def __init__(self, second_link):
        self.second = second_link

    @property
    def n_snapshots(self):
        return len(self.second)

    def graph(self, t):
        from scipy.sparse import csr_matrix

        w = np.zeros((3, 3))
        w[0, 1] = w[1, 0] = 1e-3
        if self.second[t]:
            w[1, 2] = w[2, 1] = self.second[t]
        return csr_matrix(w)


def test_three_satellites_two_layers_by_hand():
    compute = ComputeModel(satellite_gflops=10.0, context_len=4096)
    world = SimpleNamespace(snapshots=LineSnapshots([2e-3, None]), compute=compute, profile=PROFILE)
    groups = (ComputeGroup([0, 1], [20 / 32, 12 / 32]), ComputeGroup([2, 1, 0], [16 / 32, 10 / 32, 6 / 32]))
    ph = group_phases(world, [0, 2], groups)
    s = PROFILE.gateway_gflop_per_token(4096) - 4096 * 8 * 2e-9   # everything but the router, split by heads
    router, sigma = 4096 * 8 * 2e-9 / 10.0, 8 * 8192 / 100e9
    # whole heads of the 32: layer 0, gateway 0: itself 20 heads; satellite 1 one hop (1 ms) away, 12; one remote
    layer0 = max(0.625 * s / 10, 2e-3 + 0.375 * s / 10) + 2 * sigma + router
    # layer 1, gateway 2: satellite 1 at 2 ms, satellite 0 at 3 ms in snapshot 0; in snapshot 1 the 1-2 link is
    # down, so both are charged their connected mean (2 ms and 3 ms again) and counted as disconnected
    layer1 = max(0.5 * s / 10, 4e-3 + 0.3125 * s / 10, 6e-3 + 0.1875 * s / 10) + 4 * sigma + router
    assert ph.phase[:, 0] == pytest.approx([layer0, layer0], rel=1e-12)
    assert ph.phase[:, 1] == pytest.approx([layer1, layer1], rel=1e-12)
    assert ph.disconnected.tolist() == [[False, False], [False, True]]
    assert ph.compute == pytest.approx([0.625 * s / 10 + router, 0.5 * s / 10 + router], rel=1e-12)
    # the whole token, end to end: layer 0 (gateway 0) has its expert on satellite 2 (the next gateway),
    # layer 1 (gateway 2) on satellite 1; each leg is 3 ms (the connected mean where the 1-2 link is down)
    from spacexnet_opt.evaluate import TraceLaw

    world.laws, world.times, world.assumptions = [TraceLaw([[0]])] * 2, compute.times(PROFILE), {}
    plan = Deployment([0, 2], [[[2]], [[1]]], groups=groups)
    ev = evaluate_grouped(world, plan, 0, None)
    t_exp = PROFILE.expert_gflop_per_token() / 10.0
    assert ev.snapshot.total_s == pytest.approx(layer0 + layer1 + 2 * (3e-3 + t_exp), rel=1e-12)
    assert ev.snapshot.compute_s == pytest.approx(ph.compute + t_exp, rel=1e-12)
    # the water level of gateway 0 with satellite 1: both finish together at (s/f + 2 ms) / 2
    assert water_level(np.array([0.0, 2e-3]), np.array([10.0, 10.0]), s) == pytest.approx((s / 10 + 2e-3) / 2)


def _brute_best(rtt, f, rounds, sigma, gateway, cands, max_size, step=0.02):
    """Best group by a grid over the share simplex of every subset (ground truth for the exact method)."""
    grid = np.arange(0.0, 1.0 + 1e-9, step)
    best = np.inf
    for size in range(1, max_size + 1):
        for subset in itertools.combinations(range(len(cands)), size):
            idx = list(subset)
            for head in itertools.product(grid, repeat=size - 1):
                last = 1.0 - sum(head)
                if last <= 1e-9 or min(head, default=1.0) <= 0:
                    continue
                g = ComputeGroup(cands[idx], np.array([*head, last]))
                best = min(best, float(round_times(rtt[:, idx], g, f[idx], rounds, sigma, gateway).mean()))
    return best


@pytest.mark.parametrize("profile, seed", [("llama-moe-3.5b-2of8", 0), ("deepseek-v2-lite", 1)])
def test_exact_group_beats_brute_force_and_waterfill_sits_between_bound_and_exact(profile, seed):
    rng = np.random.default_rng(seed)
    n, t = 6, 4
    delays = rng.uniform(0.5e-3, 6e-3, (t, n))
    delays[:, 0] = 0.0
    delays[rng.random((t, n)) < 0.15] = np.inf
    delays[:, 0] = 0.0
    compute = ComputeModel(satellite_gflops=7.28, context_len=512, speed_factor=rng.uniform(0.6, 1.4, n))
    prof = get_profile(profile)
    work = group_work(prof, context_len=512)
    sigma = 1e-5
    exact = layer_group(delays, 0, compute, work, sigma, method="exact", max_size=3, n_candidates=5)
    water = layer_group(delays, 0, compute, work, sigma, method="waterfill", max_size=3, n_candidates=5)
    from spacexnet_opt.optimize.group_choice import _round_trips

    rtt, mean = _round_trips(delays)
    cands = np.argsort(len(work.rounds) * mean + sum(r for _, r in work.rounds) / compute.gflops(np.arange(n)),
                       kind="stable")[:5]
    router = work.router / compute.gflops([0])[0]
    brute = _brute_best(rtt[:, cands], compute.gflops(cands), work.rounds, sigma, 0, cands, 3) + router
    whole = _brute_best(rtt[:, cands], compute.gflops(cands), work.rounds, sigma, 0, cands, 3,
                        step=1 / work.units) + router   # every split in whole attention heads
    assert exact.objective <= whole + 1e-12 and (exact.group.shares * work.units % 1 == 0).all()
    assert exact.objective >= brute - 0.02 * brute   # the grid is 2 % coarse
    assert exact.bound - 1e-12 <= exact.objective <= water.objective + 1e-12


def test_waterfill_shares_equalise_finish_times():
    offset, f = np.array([0.0, 1.0, 3.0, 9.0]), np.array([2.0, 1.0, 1.0, 1.0])
    w = waterfill_shares(offset, f, 8.0)
    finish = offset + w * 8.0 / f
    used = w > 0
    assert np.allclose(finish[used], finish[used][0]) and (finish[~used] >= finish[used][0]).all()
    assert w.sum() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def tiny_world(tiny):
    from spacexnet_opt.evaluate import world_from_file

    return world_from_file(tiny)


@pytest.mark.parametrize("speeds", [False, True])
def test_group_of_one_reproduces_todays_numbers(tiny_world, speeds):
    from spacexnet_opt.evaluate import deployment_from_solver

    if speeds:   # per-satellite speeds: the gateway's own speed sets its time in both code paths
        factor = np.random.default_rng(3).uniform(0.5, 1.5, tiny_world.n_sats)
        tiny_world = tiny_world.with_compute(ComputeModel(speed_factor=factor))

    plan = deployment_from_solver(tiny_world.layers, objective="linear", method="sorted", name="x")
    ones = replace(plan, groups=single_groups(plan.gateways))
    a, b = evaluate_deployments(tiny_world, [plan, ones], tokens=2000)
    assert a.snapshot.total_s == b.snapshot.total_s and a.analytic.total_s == b.analytic.total_s
    forced = evaluate_grouped(tiny_world, ones, 2000, np.random.default_rng([0, 0]))   # the grouped code path
    assert forced.snapshot.total_s == pytest.approx(a.snapshot.total_s, rel=1e-13)
    assert forced.montecarlo.mean_s == pytest.approx(a.montecarlo.mean_s, rel=1e-13)
    if not speeds:   # with speeds the grouped path reports each gateway's own compute, today's the base one
        assert forced.snapshot.compute_s == pytest.approx(a.snapshot.compute_s, rel=1e-9)


def test_optimize_with_groups_writes_groups_that_beat_the_paper_model(cli, tiny, tmp_path):
    """(``test_deploy`` checks that ``evaluate`` of this file agrees with its prediction.)"""
    assert cli("optimize", tiny, "-o", tmp_path / "tp.json", "--compute-group", "waterfill").exit_code == 0
    assert cli("optimize", tiny, "-o", tmp_path / "base.json").exit_code == 0
    doc, base = load_deployment(tmp_path / "tp.json"), load_deployment(tmp_path / "base.json")
    groups = deployment_from_file(doc).groups
    assert groups is not None and max(g.size for g in groups) > 1
    assert [e.gateway for e in doc.layers] == [e.gateway for e in base.layers]
    assert doc.predicted.s_per_token < base.predicted.s_per_token
    assert doc.decisions[-1].bound <= doc.decisions[-1].objective


def test_memory_refusal_is_one_line(cli, tiny, tmp_path):
    out = tmp_path / "tp.json"
    assert cli("optimize", tiny, "-o", out, "--compute-group", "waterfill").exit_code == 0
    small = tmp_path / "small.toml"
    small.write_text(TINY.replace('[model]', '[compute]\nmemory_gb = 0.05\n\n[model]'))
    raw = json.loads(out.read_text())
    from spacexnet_opt.formats.deployment import file_sha256

    raw["scenario"] = {"path": small.name, "sha256": file_sha256(small), "kind": "scenario"}
    (tmp_path / "small.json").write_text(json.dumps(raw))
    res = cli("evaluate", tmp_path / "small.json", "--tokens", "100")
    assert res.exit_code == 2
    line = res.output.strip()
    assert "\n" not in line and line.startswith(f"error: {tmp_path / 'small.json'}: layers[")
    assert "does not fit: satellite" in line and "at context 4,096) but has 50,000,000 bytes" in line


def test_bad_group_in_file_and_bad_method_are_one_line_errors(cli, tiny, tmp_path):
    out = tmp_path / "tp.json"
    assert cli("optimize", tiny, "-o", out, "--compute-group", "waterfill").exit_code == 0
    raw = json.loads(out.read_text())
    raw["layers"][1]["compute_group"]["shares"][0] += 0.5
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    res = cli("evaluate", tmp_path / "bad.json", "--tokens", "100")
    assert res.exit_code == 2 and "layers[1].compute_group.shares: shares must sum to 1 (within 1e-06), got 1.5" in res.output
    res = cli("optimize", tiny, "-o", tmp_path / "x.json", "--compute-group", "best")
    assert res.exit_code == 2
    assert res.output.strip() == "error: --compute-group: unknown compute group 'best'; valid: none, waterfill, exact"


def test_memory_of_a_split_layer():
    mla = get_profile("deepseek-v3")   # decompressed by default: 32 of the 128 heads' keys and values each
    g = ComputeGroup([0, 1, 2, 3], [0.25] * 4)
    use = satellite_bytes(mla, [0], np.full((1, 256), -1), [g], n_sats=4, context_len=1000, include_dense=False)
    assert use.kv.tolist() == [1000 * (32 * (128 + 128) + 64) * 2] * 4   # + the shared rope key
    absorbed = replace(mla, attention_layout="absorbed")
    use = satellite_bytes(absorbed, [0], np.full((1, 256), -1), [g], n_sats=4, context_len=1000, include_dense=False)
    latent = 1000 * (512 + 64) * 2    # absorbed MLA: every member keeps the whole latent cache
    assert use.kv.tolist() == [latent] * 4
    mha = satellite_bytes(PROFILE, [0], [[5, 6]], [g], n_sats=8, context_len=1000)
    assert mha.kv[:4] == pytest.approx([1000 * 8 * 128 * 2 * 2] * 4)   # 8 of 32 KV heads each
    assert mha.weights[5] == 3 * 4096 * 1376 * 2


def test_optimizer_caps_shares_by_memory_or_refuses_in_one_line(cli, tiny, tmp_path):
    from spacexnet_opt.evaluate.memory import satellite_bytes

    tight = tmp_path / "tight.toml"
    tight.write_text(TINY.replace('[model]', '[compute]\nmemory_gb = 0.12\n\n[model]'))
    out = tmp_path / "tight.json"
    res = cli("optimize", tight, "-o", out, "--compute-group", "waterfill")
    assert res.exit_code == 0, res.output
    plan = deployment_from_file(load_deployment(out))
    use = satellite_bytes(PROFILE, plan.gateways, plan.hosts, plan.groups, n_sats=320, context_len=4096)
    assert use.total.max() <= 0.12e9 and min(g.shares.max() for g in plan.groups) < 1.0
    assert cli("evaluate", out, "--tokens", "100", "--json", tmp_path / "ev.json").exit_code == 0
    held = json.loads((tmp_path / "ev.json").read_text())["satellite_memory"]
    assert held["max_gb"] == pytest.approx(use.total.max() / 1e9) and len(held["members"]) > plan.n_layers
    res = cli("evaluate", out, "--tokens", "100", "--context-len", "32768")
    assert res.exit_code == 2 and "at context 32,768) but has 120,000,000 bytes" in res.output
    tiny_memory = tmp_path / "none.toml"
    tiny_memory.write_text(TINY.replace('[model]', '[compute]\nmemory_gb = 0.036\n\n[model]'))
    res = cli("optimize", tiny_memory, "-o", tmp_path / "none.json", "--compute-group", "waterfill")
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: layers[0].compute_group: layer 0: no group of at most 16 of the")
