"""Whole attention heads per compute-group member: the min-max rounding against brute force, and its use."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from spacexnet_opt.evaluate import ComputeGroup, ComputeModel
from spacexnet_opt.evaluate.compute_group import group_work
from spacexnet_opt.evaluate.group_phases import group_phases
from spacexnet_opt.evaluate.heads import charged_group, fastest_unit_group, whole_units
from spacexnet_opt.moe import flops, get_profile

from test_compute_group import PROFILE, LineSnapshots
from test_deploy import tiny  # noqa: F401  (the deploy tests' 10 x 32 scenario fixture)


def _finish(offset, per_unit, counts) -> float:
    used = counts > 0
    return float((offset[used] + counts[used] * per_unit[used]).max())


def _brute(offset, per_unit, n_units, limit) -> float:
    """Smallest latest finish over every way of giving ``n_units`` units to the members."""
    best = np.inf
    for counts in itertools.product(*(range(min(n_units, c) + 1) for c in limit)):
        counts = np.array(counts)
        if counts.sum() == n_units:
            best = min(best, _finish(offset, per_unit, counts))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_min_max_units_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, n_units = int(rng.integers(1, 5)), int(rng.integers(1, 8))
    offset = rng.choice([0.0, 0.5, 1.0, 2.5], n) + rng.uniform(0, 1, n) * (seed % 2)   # ties, and none
    per_unit = rng.choice([0.5, 1.0, 2.0], n)
    limit = rng.integers(0, n_units + 1, n) if seed % 3 == 0 else np.full(n, n_units)
    counts = whole_units(offset, per_unit, n_units, limit)
    if limit.sum() < n_units:
        assert counts is None
        return
    assert counts.sum() == n_units and (counts <= limit).all() and (counts >= 0).all()
    assert _finish(offset, per_unit, counts) == pytest.approx(_brute(offset, per_unit, n_units, limit), abs=1e-12)


def test_units_by_hand():
    # two members, offsets 0 and 1 s, one unit takes 1 s on either: slots 1, 2, 3 | 2, 3, 4 -> the four smallest
    assert whole_units([0.0, 1.0], [1.0, 1.0], 4).tolist() == [3, 1]
    # a member with a 10 s round trip never helps with 4 units of 1 s
    assert whole_units([0.0, 10.0], [1.0, 1.0], 4).tolist() == [4, 0]
    assert whole_units([0.0, 0.0], [1.0, 1.0], 3, limit=[1, 5]).tolist() == [1, 2]


def test_units_per_attention_layout():
    assert flops.attention_units(get_profile("llama-moe-3.5b-2of8")) == 32   # 32 KV heads (MHA)
    assert flops.attention_units(get_profile("qwen3-30b-a3b")) == 4           # GQA: whole KV heads, 8 queries each
    assert flops.attention_units(get_profile("deepseek-v3")) == 128           # MLA: query heads
    assert group_work(get_profile("qwen3-30b-a3b")).units == 4


def test_evaluator_charges_whole_heads():
    """A file's fractional shares are charged as the largest-remainder whole heads, whole shares as given."""
    compute = ComputeModel(satellite_gflops=10.0, context_len=4096)
    world = SimpleNamespace(snapshots=LineSnapshots([2e-3, None]), compute=compute, profile=PROFILE)
    fractional = (ComputeGroup([0, 1], [0.6, 0.4]), ComputeGroup([2, 1, 0], [0.5, 0.49, 0.01]))
    whole = (ComputeGroup([0, 1], [19 / 32, 13 / 32]), ComputeGroup([2, 1], [16 / 32, 16 / 32]))
    assert [charged_group(g, 32).shares.tolist() for g in fractional] == [g.shares.tolist() for g in whole]
    assert charged_group(whole[0], 32).shares.tolist() == whole[0].shares.tolist()
    a, b = group_phases(world, [0, 2], fractional), group_phases(world, [0, 2], whole)
    assert np.array_equal(a.phase, b.phase) and np.array_equal(a.compute, b.compute)
    s = PROFILE.gateway_gflop_per_token(4096) - 4096 * 8 * 2e-9
    assert a.compute[0] == pytest.approx(19 / 32 * s / 10 + 4096 * 8 * 2e-9 / 10, rel=1e-12)


def test_fastest_group_refuses_what_memory_cannot_hold():
    g = ComputeGroup([0, 1], [0.5, 0.5])
    assert fastest_unit_group(g, 32, mean_rtt=np.zeros(2), gflops=np.ones(2), rounds=[(1.0, 0.0)],
                              cap=np.array([0.49, 0.49])) is None   # 15 + 15 heads < 32
    r = fastest_unit_group(g, 32, mean_rtt=np.zeros(2), gflops=np.ones(2), rounds=[(1.0, 0.0)],
                           cap=np.array([0.25, 1.0]))
    assert (r.shares * 32).tolist() == [8.0, 24.0]


def test_optimised_groups_are_whole_heads(tiny):  # noqa: F811
    from spacexnet_opt.evaluate import deployment_from_solver, world_from_file
    from spacexnet_opt.optimize.group_choice import choose_groups

    world = world_from_file(tiny)
    plan = deployment_from_solver(world.layers, objective="linear", method="sorted", name="x")
    choices = choose_groups(world, plan.gateways[:4], max_size=6, n_candidates=8)
    assert max(c.group.size for c in choices) > 1
    for c in choices:
        heads = c.group.shares * 32
        assert np.allclose(heads, np.round(heads), rtol=0, atol=1e-9) and (np.round(heads) >= 1).all()
        assert c.bound <= c.objective + 1e-12
