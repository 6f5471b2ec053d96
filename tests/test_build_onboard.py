"""Per-satellite compute speed and memory: draws, the cost matrix, memory exclusion, evaluator charges."""

import json
from pathlib import Path

import numpy as np
import pytest
from scenario_text import small_scenario

from spacexnet_opt.setting import build_from_file
from spacexnet_opt.errors import FileFormatError, InputError
from spacexnet_opt.evaluate import (
    TraceLaw,
    analytic_latency,
    evaluate,
    leg_delays,
    snapshot_latency,
    world_from_file,
)
from spacexnet_opt.evaluate.deployment import deployment_from_assignments
from spacexnet_opt.formats.instance import load_instance, save_instance
from spacexnet_opt.moe import get_profile
from spacexnet_opt.setting.onboard import draw_onboard, exact_share_counts, expert_memory_gb
from spacexnet_opt.formats.scenario import ComputeSpec, load_scenario, parse_scenario
from spacexnet_opt.solve.backends.closed_form import sorted_assignment

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
# 6 x 16 star, 8 bands of 4 slots x 6 planes (24 members, 23 candidates), 4 layers per band
SMALL = small_scenario(snapshots=4, fold=8, diameter_snapshots=0, statistics='kind = "zipf"',
                       extra="\n[seeds]\ncompute = 3\n")
PROFILE = get_profile("llama-moe-3.5b-2of8")


def _build(tmp_path, compute: str, name="s.toml"):
    path = tmp_path / name
    path.write_text(SMALL + "\n[compute]\n" + compute)
    return path, build_from_file(path)


def test_choices_give_exact_shares_seeded():
    with pytest.raises(ValueError, match=r"shares must sum to 1 \(within 1e-06\), got 2"):
        ComputeSpec(gflops={"choices": [7.28, 3.7], "shares": [1, 1]})   # refused, never rescaled
    spec = ComputeSpec(gflops={"choices": [7.28, 3.7], "shares": [0.5, 0.5]})
    a, b, c = (draw_onboard(spec, 1056, seed=s).gflops for s in (0, 0, 1))
    assert (a == 7.28).sum() == 528 and (a == 3.7).sum() == 528
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert exact_share_counts([0.3, 0.7], 96).tolist() == [29, 67]
    spread = draw_onboard(ComputeSpec(satellite_gflops=10.0, gflops={"spread": 0.2}), 5000, seed=0).gflops
    assert spread.min() >= 8.0 and spread.max() <= 12.0 and abs(spread.mean() - 10.0) < 0.1
    # speed and memory come from independent streams: a memory model does not move speeds
    both = ComputeSpec(gflops={"choices": [7.28, 3.7]}, memory={"choices": [1.0, 2.0]})
    assert np.array_equal(draw_onboard(both, 1056, seed=0).gflops, a)


def test_per_satellite_file(tmp_path):
    (tmp_path / "speeds.txt").write_text("\n".join(str(1.0 + i) for i in range(96)))
    spec = ComputeSpec(gflops={"file": "speeds.txt"})
    assert draw_onboard(spec, 96, source=tmp_path / "s.toml").gflops.tolist() == [1.0 + i for i in range(96)]
    with pytest.raises(FileFormatError, match="has 96 values but the constellation has 95 satellites"):
        draw_onboard(spec, 95, source=tmp_path / "s.toml")


@pytest.mark.parametrize("compute, message", [
    ('gflops = { choices = [7.28, 3.7], spread = 0.1 }', "give at most one of choices, spread, file"),
    ('gflops = { choices = [7.28, 0.0] }', "choices must be positive"),
    ('gflops = { choices = [7.28, 3.7], shares = [1.0] }', "shares must be 2 non-negative numbers"),
    ('memory = { spread = 0.1 }', "memory.spread needs memory_gb"),
    ('memory_gb = -1.0', "greater than 0"),
])
def test_compute_block_errors_name_the_field(compute, message):
    with pytest.raises(FileFormatError, match=message) as info:
        parse_scenario(SMALL + "[compute]\n" + compute + "\n", source="x.toml")
    assert info.value.field.startswith("compute")


def test_heterogeneous_cost_is_the_documented_definition(tmp_path):
    path, inst = _build(tmp_path, 'gflops = { choices = [7.28, 3.7] }\n')
    _, homo = _build(tmp_path, "satellite_gflops = 7.28\n", "h.toml")
    speeds = draw_onboard(load_scenario(path).compute, 96, seed=3).gflops
    for lay, ref in zip(inst.layers, homo.layers):
        # speeds change the cost, not the network: tau, candidates and activation are the homogeneous ones
        assert (lay.satellites, lay.tau_s, lay.activation) == (ref.satellites, ref.tau_s, ref.activation)
        assert ref.cost is None and ref.gflops is None
        assert lay.gflops == speeds[lay.satellites].tolist()
        p, tau, g = np.array(lay.activation), np.array(lay.tau_s), np.array(lay.gflops)
        expected = [[p[i] * (tau[c] + lay.expert_gflop[i] / g[c]) for c in range(len(tau))] for i in range(len(p))]
        assert np.allclose(lay.cost, expected, rtol=1e-8, atol=0)
    assert inst.scenario["compute"]["gflops_summary"] == {"values": [3.7, 7.28], "counts": [48, 48]}


def test_memory_too_small_candidates_are_left_out(tmp_path):
    need = 8 * expert_memory_gb(PROFILE)  # 8 layers share each band
    assert 0.25 < need < 0.3
    path, inst = _build(tmp_path, 'memory = { choices = [0.25, 1.0], shares = [0.3, 0.7] }\n')
    _, full = _build(tmp_path, "memory_gb = 1.0\n", "full.toml")
    memory = draw_onboard(load_scenario(path).compute, 96, seed=3).memory_gb
    excluded = 0
    for lay, ref in zip(inst.layers, full.layers):
        kept = [s for s in ref.satellites if memory[s] >= need]
        assert lay.satellites == kept and lay.memory_gb == memory[kept].tolist()
        assert min(lay.memory_gb) >= need and ref.memory_gb == [1.0] * ref.n_candidates
        excluded += ref.n_candidates - lay.n_candidates
    assert excluded > 0 and inst.scenario["compute"]["memory_excluded_candidates"] == excluded
    assert inst.scenario["compute"]["expert_memory_gb"] == pytest.approx(expert_memory_gb(PROFILE))


def test_memory_exclusion_below_expert_count_is_an_error(tmp_path, cli):
    path = tmp_path / "s.toml"
    path.write_text(SMALL + "\n[compute]\nmemory = { choices = [0.25, 1.0], shares = [0.8, 0.2] }\n")
    result = cli("build", path, "-o", tmp_path / "x.json", "-q")
    assert result.exit_code == 2 and not (tmp_path / "x.json").exists()
    assert result.stderr.startswith(f"error: {path}: compute.memory: layer 0: only ")
    assert "have the memory for their experts" in result.stderr and "but the layer has 8 experts" in result.stderr


def _hand_latency(world, dep, legs, speeds, sets):
    """sum_l [ t_gw(g_l) + max_{i in set} (tau_li + t_exp(s_li)) ] with t = GFLOP / GFLOPS of that satellite."""
    gw, ex = PROFILE.gateway_gflop_per_token(4096), PROFILE.expert_gflop_per_token()
    total = 0.0
    for l in range(world.n_layers):
        total += gw / speeds[dep.gateways[l]]
        total += max(legs.expected_s[l, i] + ex / speeds[dep.experts[l, i]] for i in sets)
    return total


def test_evaluator_charges_each_satellites_own_speed(tmp_path):
    path, _ = _build(tmp_path, 'gflops = { choices = [7.28, 3.7] }\n')
    speeds = draw_onboard(load_scenario(path).compute, 96, seed=3).gflops
    assert set(speeds.tolist()) == {7.28, 3.7}
    world = world_from_file(path)
    assert world.compute.heterogeneous
    dep = deployment_from_assignments(world.layers, [range(8)] * world.n_layers)
    legs = leg_delays(world.snapshots, [dep])[0]
    charged = world.charge_compute(dep, legs)
    law = [TraceLaw([[0, 5]])] * world.n_layers  # every token activates experts 0 and 5
    hand = _hand_latency(world, dep, legs, speeds, (0, 5))
    assert analytic_latency(charged.expected_s, law, world.times).total_s == pytest.approx(hand, rel=1e-12)
    assert analytic_latency(legs.expected_s, law, world.times).total_s < hand - 1e-3  # uncharged: all at 7.28
    # per snapshot the max is taken of the same charged delays
    per_snap = np.mean([_hand_latency(world, dep, type(legs)(legs.delay_s[t:t + 1], legs.disconnected[t:t + 1]),
                                      speeds, (0, 5)) for t in range(world.snapshots.n_snapshots)])
    assert snapshot_latency(charged.delay_s, law, world.times).total_s == pytest.approx(per_snap, rel=1e-12)
    # equal speeds: nothing is added
    homo = world_from_file(_build(tmp_path, "", "h.toml")[0])
    assert homo.charge_compute(dep, legs) is legs


def test_evaluate_reports_heterogeneous_latency(tmp_path):
    path, _ = _build(tmp_path, 'gflops = { choices = [7.28, 3.7] }\n')
    world = world_from_file(path)
    speeds = world.compute.gflops(np.arange(96))
    dep = deployment_from_assignments(world.layers, [range(8)] * world.n_layers)
    legs = leg_delays(world.snapshots, [dep])[0]
    world = world.with_laws([TraceLaw([[0, 5]])] * world.n_layers, "test")
    ev = evaluate(world, dep, tokens=0)
    assert ev.analytic.total_s == pytest.approx(_hand_latency(world, dep, legs, speeds, (0, 5)), rel=1e-12)


def test_instance_world_checks_stored_speeds(tmp_path):
    _, inst = _build(tmp_path, 'gflops = { choices = [7.28, 3.7] }\n')
    out = tmp_path / "s.instance.json"
    save_instance(inst, out)
    world = world_from_file(out)
    assert world.compute.heterogeneous and world.layers[3].gflops == inst.layers[3].gflops
    doc = json.loads(out.read_text())
    doc["layers"][0]["gflops"][0] = 10.98 - doc["layers"][0]["gflops"][0]  # swap 7.28 <-> 3.7
    out.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="layer 0: the stored candidate speeds differ"):
        world_from_file(out)


def test_heterogeneous_scenario_hungarian_beats_sorted(tmp_path, cli):
    out = tmp_path / "het.json"
    assert cli("build", INSTANCES / "heterogeneous.toml", "-o", out, "-q").exit_code == 0
    inst = load_instance(out)
    assert inst.scenario["compute"]["gflops_summary"] == {"values": [3.7, 7.28], "counts": [528, 528]}
    result = cli("solve", out, "--method", "hungarian", "-o", tmp_path / "h.json")
    assert result.exit_code == 0, result.output
    placed = load_instance(out).layers
    hung = json.loads((tmp_path / "h.json").read_text())
    # the paper's rule (probability vs latency, blind to speed) on the same cost matrix
    worse = 0
    for lay, entry in zip(placed, hung["layers"]):
        cost = np.array(lay.cost)
        sorted_cost = cost[np.arange(lay.n_experts), sorted_assignment(lay.activation, lay.tau_s)].sum()
        cols = [lay.satellites.index(s) for s in entry["experts"]]
        assert entry["objective"] == pytest.approx(cost[np.arange(lay.n_experts), cols].sum(), rel=1e-9)
        assert entry["objective"] <= sorted_cost + 1e-12
        worse += entry["objective"] < sorted_cost - 1e-9
    assert worse > 0


def test_compare_shows_hungarian_beating_sorted(tmp_path, cli):
    out = tmp_path / "het.json"
    assert cli("build", INSTANCES / "heterogeneous.toml", "-o", out, "-q").exit_code == 0
    result = cli("compare", out, "--methods", "sorted,hungarian", "--objective", "linear", "--json", tmp_path / "c.json")
    assert result.exit_code == 0, result.output
    rows = {r["method"]: r for r in json.loads((tmp_path / "c.json").read_text())["rows"]}
    assert rows["hungarian"]["status"] == "OPTIMAL" and rows["sorted"]["status"] == "FEASIBLE"
    assert rows["hungarian"]["objective"] < rows["sorted"]["objective"] * (1 - 1e-3)
