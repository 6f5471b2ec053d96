"""``dp`` and ``order-ls``: against brute force, against each other, move deltas, refusals, limits."""

import itertools
import time

import numpy as np
import pytest

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve.backends.expert_order import OrderProblem
from spacexnet_opt.solve.backends.order_ls import _MoveTables, _position, move_deltas
from spacexnet_opt.solve.backends.subset_dp import dp_estimate


def _problem(kind: str, m: int, seed: int, *, extra: int = 2, n_sets: int = 0):
    """Correlated activations (a few heavy sets), latencies with a tie and negative values."""
    rng = np.random.default_rng(seed)
    tau = rng.normal(1.0, 1.0, m + extra)
    tau[-1] = tau[0]
    if kind == "top2":
        flow = rng.uniform(0, 1, (m, m)) ** 4 * (rng.uniform(0, 1, (m, m)) < 0.5)
        return QAPProblem.top2(flow, tau)
    k = min(3, m)
    sets = np.array([rng.choice(m, k, replace=False) for _ in range(n_sets or 3 * m)])
    sets[0, :] = sets[0, 0]  # a set with one expert repeated
    return TraceProblem(tau=tau, sets=sets, n_experts=m, weights=rng.exponential(1.0, len(sets)))


def _enumerated(problem) -> float:
    m, n = problem.shape
    return min(problem.objective(np.array(a)) for a in itertools.permutations(range(n), m))


@pytest.mark.parametrize("kind", ["top2", "trace"])
@pytest.mark.parametrize("m", [1, 2, 3, 5, 6])
def test_dp_and_order_ls_against_all_injective_maps(kind, m):
    for seed in range(3):
        problem = _problem(kind, m, seed)
        optimum = _enumerated(problem)
        dp = solve(problem, "dp")
        assert dp.status is Status.OPTIMAL and dp.bound == dp.objective
        assert dp.objective == pytest.approx(optimum, rel=1e-12, abs=1e-12)
        ls = solve(problem, "order-ls", rng=seed)
        assert ls.status is Status.FEASIBLE and ls.bound is None
        assert ls.objective >= optimum - 1e-12


@pytest.mark.parametrize("kind, m", [("top2", 8), ("trace", 8), ("top2", 9), ("trace", 9), ("top2", 10)])
def test_dp_equals_brute_force_and_order_ls_is_never_better(kind, m):
    problem = _problem(kind, m, m)
    brute = solve(problem, "brute", options={"max_assignments": 4_000_000})
    dp, ls = solve(problem, "dp"), solve(problem, "order-ls", rng=0)
    assert dp.objective == pytest.approx(brute.objective, rel=1e-12)
    assert ls.objective >= dp.objective - 1e-12 * abs(dp.objective)


def test_order_ls_against_dp_up_to_16_experts():
    """order-ls never beats the proven optimum, improves on sorted, and reaches dp's optimum on most layers."""
    reached, cases = 0, 0
    for m in (11, 13, 16):
        for seed in range(4):
            problem = _problem("trace" if seed % 2 else "top2", m, seed, n_sets=4 * m)
            dp, ls, start = solve(problem, "dp"), solve(problem, "order-ls", rng=seed), solve(problem, "sorted")
            assert dp.objective - 1e-12 * abs(dp.objective) <= ls.objective <= start.objective
            reached += ls.objective <= dp.objective + 1e-12 * abs(dp.objective)
            cases += 1
    assert reached >= cases // 2, f"order-ls reached the optimum on {reached} of {cases} layers"


@pytest.mark.parametrize("kind", ["top2", "trace"])
def test_every_move_delta_equals_the_recomputed_change(kind):
    for seed in range(4):
        op = OrderProblem.of(_problem(kind, 7, seed), "test")
        order = np.random.default_rng(seed).permutation(op.m)
        swap, insert = move_deltas(op, order)
        position = np.argsort(order)
        for a, b in itertools.product(range(op.m), repeat=2):
            swapped = order.copy()
            swapped[[position[a], position[b]]] = swapped[[position[b], position[a]]]
            assert swap[a, b] == pytest.approx(op.cost(swapped) - op.cost(order), abs=1e-12)
            inserted = np.insert(np.delete(order, position[a]), b, a)
            assert insert[a, b] == pytest.approx(op.cost(inserted) - op.cost(order), abs=1e-12)


@pytest.mark.parametrize("kind", ["top2", "trace"])
def test_tables_updated_move_by_move_price_every_move_like_fresh_ones(kind):
    """After random swaps and inserts, the incrementally updated tables equal tables built from scratch,
    and each update's cost change equals the recomputed change."""
    for seed in range(3):
        op = OrderProblem.of(_problem(kind, 9, seed, n_sets=40), "test")
        rng = np.random.default_rng(seed)
        order = rng.permutation(op.m)
        tables = _MoveTables(op, _position(order))
        for step in range(12):
            a, b = rng.choice(op.m, 2, replace=False)
            if step % 2:
                moved, new = order[[a, b]], order.copy()
                new[[a, b]] = new[[b, a]]
            else:
                moved, new = order[min(a, b):max(a, b) + 1], np.insert(np.delete(order, a), b, order[a])
            change = tables.update(_position(new), moved)
            assert change == pytest.approx(op.cost(new) - op.cost(order), abs=1e-12)
            order = new
            for updated, fresh in zip(tables.deltas(_position(order)), move_deltas(op, order)):
                np.testing.assert_allclose(updated, fresh, atol=1e-12)
        assert tables.cost == pytest.approx(op.cost(order), abs=1e-12)


def test_order_ls_is_reproducible_per_seed():
    problem = _problem("trace", 30, 1)
    first, second = (solve(problem, "order-ls", rng=4) for _ in range(2))
    assert np.array_equal(first.assignment, second.assignment) and first.iterations == second.iterations


def test_dp_refuses_above_its_reach_with_the_estimate():
    problem = _problem("trace", 23, 0)
    memory, seconds = dp_estimate(23)
    with pytest.raises(SolverError, match=rf"dp refuses 23 experts: 2\*\*23 subsets, about {memory / 2**20:.3g} MiB and {seconds:.3g} s"):
        solve(problem, "dp")
    with pytest.raises(SolverError, match="more than the time limit of 0.001 s"):
        solve(_problem("trace", 20, 0), "dp", time_limit=0.001)
    with pytest.raises(SolverError, match=r"option max_experts = 11\); use order-ls"):
        solve(_problem("top2", 12, 0), "dp", options={"max_experts": 11})


def test_dp_and_order_ls_refuse_negative_weights_and_other_kinds():
    problem = TraceProblem(tau=[1.0, 2.0], sets=[[0, 1]], n_experts=2, weights=[-1.0])
    for method in ("dp", "order-ls"):
        with pytest.raises(SolverError, match="non-negative"):
            solve(problem, method)
        with pytest.raises(SolverError, match=f"{method} solves top2 and trace problems only, not 'qap'"):
            solve(QAPProblem(np.ones((2, 2)), np.eye(2)), method)


LIMIT_SLACK_S = 2.0
"""Allowed overrun of a time limit: one move evaluation or table layer, plus imports on a loaded 2-core machine."""


def test_order_ls_returns_within_its_time_limit():
    problem = _problem("trace", 120, 3, n_sets=3000)
    start = time.perf_counter()
    result = solve(problem, "order-ls", time_limit=0.5, options={"kicks": 10**6}, rng=0)
    assert time.perf_counter() - start <= 0.5 + LIMIT_SLACK_S
    assert result.status is Status.FEASIBLE and result.assignment is not None


@pytest.mark.parametrize("method", ["dp", "order-ls"])
def test_degenerate_layers(method):
    none = TraceProblem(tau=[1.0, 2.0], sets=np.zeros((0, 2), dtype=int), n_experts=0)
    assert solve(none, method).assignment.tolist() == []
    quiet = QAPProblem.top2(np.zeros((3, 3)), [3.0, 1.0, 2.0, 0.5])  # no pair is ever activated
    result = solve(quiet, method)
    assert sorted(result.assignment.tolist()) == [1, 2, 3] and result.objective == 0.0
