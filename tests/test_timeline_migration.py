"""Migration-aware re-placement against brute force, across the LAP backends, and for failure repair."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from spacexnet_opt.constellation import WalkerShell, plus_grid_edges
from spacexnet_opt.errors import InputError
from spacexnet_opt.timeline.migration import LayerCost, grid_hops, migration_problem, replace_experts, weight_sources

LAP_METHODS = ["hungarian", "ortools-lsa", "cpsat", "pulp-cbc", "pulp-highs", "brute"]


def _line(sources, targets):
    return np.abs(np.subtract.outer(np.asarray(sources), np.asarray(targets))).astype(float)


def _brute(layer: LayerCost, sources, gb, lam, failed, fixed, copies):
    """Every injective map onto the surviving candidates, priced from scratch (free onto a surviving copy)."""
    cand = [c for c in layer.candidates.tolist() if c not in failed]
    column = {c: j for j, c in enumerate(layer.candidates.tolist())}
    best = np.inf
    for targets in itertools.permutations(cand, len(sources)):
        value = 0.0
        for i, t in enumerate(targets):
            hop = min(abs(r - t) for r in sources[i] if r >= 0)
            stays = t in copies[i] and t not in failed
            value += layer.cost[i, column[t]] + lam * gb[i] * (hop + fixed * (not stays))
        best = min(best, value)
    return best


def _case(seed):
    rng = np.random.default_rng(seed)
    cand = np.sort(rng.choice(20, 6, replace=False))
    layer = LayerCost(cand, rng.random((3, 6)))
    hosts = np.full((1, 3, 2), -1)
    hosts[0, :, 0] = rng.choice(cand, 3, replace=False)
    hosts[0, 0, 1] = rng.choice(np.setdiff1d(cand, hosts[0, :, 0]))  # expert 0 has a replica
    failed = [int(hosts[0, seed % 3, 0])] if seed % 2 else []
    gb = rng.uniform(0.5, 2.0, 3)
    return layer, hosts, failed, gb, float(rng.choice([0.0, 0.01, 0.1, 1.0]))


@pytest.mark.parametrize("seed", range(8))
def test_exact_re_placement_matches_brute_force(seed):
    layer, hosts, failed, gb, lam = _case(seed)
    sources = weight_sources(hosts, np.array([0]), failed=failed)
    fixed = [0.0, 1.0, 2.5][seed % 3]
    result = replace_experts([layer], hosts, [0], _line, expert_gb=gb[None], lam=lam, failed=failed, fixed_hops=fixed)
    priced = result.gb_hops + fixed * result.gb_moved
    brute = _brute(layer, sources[0], gb, lam, failed, fixed, hosts[0].tolist())
    assert result.latency + lam * priced == pytest.approx(brute, rel=1e-9)
    assert not np.isin(result.experts, failed).any()


@pytest.mark.parametrize("method", LAP_METHODS)
def test_lap_backends_agree(method):
    layer, hosts, failed, gb, _ = _case(5)
    reference = replace_experts([layer], hosts, [0], _line, expert_gb=gb[None], lam=0.05, failed=failed)
    result = replace_experts([layer], hosts, [0], _line, expert_gb=gb[None], lam=0.05, failed=failed, method=method)
    value = lambda r: r.latency + 0.05 * (r.gb_hops + r.gb_moved)   # fixed_hops = 1
    assert value(result) == pytest.approx(value(reference), rel=1e-6)


def test_lambda_zero_re_optimises_and_a_large_lambda_keeps_everything():
    rng = np.random.default_rng(0)
    layer = LayerCost(np.arange(10, 18), rng.random((4, 8)))
    current = np.array([[10, 11, 12, 13]])
    scratch = replace_experts([layer], current, [0], _line, expert_gb=1.0, lam=0.0)
    columns = scratch.experts[0] - 10
    assert scratch.latency == pytest.approx(min(layer.cost[np.arange(4), list(p)].sum()
                                                for p in itertools.permutations(range(8), 4)))
    assert scratch.latency == pytest.approx(layer.cost[np.arange(4), columns].sum())
    kept = replace_experts([layer], current, [0], _line, expert_gb=1.0, lam=1e3)
    assert kept.experts.tolist() == current.tolist() and kept.gb_moved == kept.gb_hops == kept.link_time_s == 0.0


def test_failure_repair_moves_only_orphans_and_promotes_replicas():
    layer = LayerCost(np.arange(1, 9), np.zeros((3, 8)))   # gateway 0 is not a candidate
    hosts = np.array([[[1, 6], [2, -1], [3, -1]]])   # expert 0 has a replica on 6
    result = replace_experts([layer], hosts, [0], _line, expert_gb=0.088, lam=1.0, failed=[1, 3], link_rate_bps=1e9)
    assert result.experts[0, 0] == 6 and result.experts[0, 1] == 2          # promoted replica; survivor stays
    assert result.moved.tolist() == [[False, False, True]]
    # Without the fixed price, shifting expert 1 one hop to free 2 for expert 2 ties with moving 2 further.
    # Expert 2 lost its only copy: its weights come from the gateway (satellite 0); 1 and 3 failed and 2 is
    # taken, so the nearest free candidate is 4, 4 hops away.
    assert result.experts[0, 2] == 4 and result.gb_moved == pytest.approx(0.088)
    assert result.gb_hops == pytest.approx(0.088 * 4)
    assert result.link_time_s == pytest.approx(8 * 0.088 * 4)


@pytest.mark.parametrize("pattern, phasing", [("star", 0), ("delta", 0), ("delta", 3)])
def test_closed_form_grid_hops_match_breadth_first_search(pattern, phasing):
    shell = WalkerShell("g", 5, 8, 550.0, 87.0, phasing=phasing, pattern=pattern)
    ids = np.arange(shell.n_sats)
    closed = grid_hops(shell)(ids, ids)
    # Against breadth-first search on the grid's edges.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import shortest_path

    e = plus_grid_edges(shell)
    bfs = shortest_path(coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(40, 40)), directed=False,
                        unweighted=True)
    np.testing.assert_array_equal(closed, bfs)
    if pattern == "star":
        plane, slot = np.divmod(ids, 8)
        dslot = np.abs(np.subtract.outer(slot, slot))
        np.testing.assert_array_equal(closed, np.abs(np.subtract.outer(plane, plane)) + np.minimum(dslot, 8 - dslot))


def test_hops_route_around_failed_satellites():
    shell = WalkerShell("g", 5, 8, 550.0, 87.0, pattern="star")
    # Without satellite 9 (plane 1, slot 1), 1 -> 17 goes round it: 4 hops instead of 2.
    assert grid_hops(shell)(np.array([1]), np.array([17])).item() == 2.0
    assert grid_hops(shell, failed=[9])(np.array([1]), np.array([17])).item() == 4.0


def test_solve_within_keeps_the_latency_tolerance_and_moves_less():
    rng = np.random.default_rng(4)
    layers = [LayerCost(np.arange(10 * l, 10 * l + 10), rng.random((5, 10))) for l in range(3)]
    hosts = np.array([np.arange(10 * l, 10 * l + 5) for l in range(3)])
    problem = migration_problem(layers, hosts, np.zeros(3, int), _line, expert_gb=1.0)
    scratch = problem.solve(0.0)
    for tolerance in (0.0, 0.05, 0.3):
        found, lam = problem.solve_within(tolerance)
        assert found.latency <= scratch.latency * (1 + tolerance) + 1e-12
        assert found.gb_hops <= scratch.gb_hops
        # A lambda twice as large already breaks the tolerance, or moves no less.
        doubled = problem.solve(2 * lam)
        assert doubled.latency > scratch.latency * (1 + tolerance) or doubled.gb_hops == found.gb_hops


def test_too_few_survivors_and_bad_lambda_are_input_errors():
    layer = LayerCost(np.arange(3), np.zeros((3, 3)))
    with pytest.raises(InputError, match="failures: layer 0: 3 experts but only 2 surviving candidates"):
        replace_experts([layer], np.array([[0, 1, 2]]), [5], _line, expert_gb=1.0, lam=1.0, failed=[2])
    with pytest.raises(InputError, match="lambda: must be a non-negative number"):
        replace_experts([layer], np.array([[0, 1, 2]]), [5], _line, expert_gb=1.0, lam=-1.0)


def test_an_orphan_whose_gateway_failed_too_is_uploaded_to_its_target():
    layer = LayerCost(np.arange(1, 6), np.outer([1.0, 0.5], [0.5, 0.1, 0.2, 0.3, 0.4]))
    result = replace_experts([layer], np.array([[1, 3]]), [0], _line, expert_gb=0.5, lam=1e3, failed=[0, 1],
                             fixed_hops=2.0)
    # Expert 0 lost its host and its gateway: straight from the ground, no ISL hops, to the fastest free spot.
    assert result.experts.tolist() == [[2, 3]] and result.moved.tolist() == [[True, False]]
    assert result.gb_moved == 0.5 and result.gb_hops == 0.0
