"""Memetic search (`memetic`) and its tabu-walk kernels: exact O(1) swap costs, crossover, brute force, QAPLIB optima."""

import itertools

import numpy as np
import pytest

from spacexnet_opt.solve import QAPProblem, Status, solve
from spacexnet_opt.solve.backends.memetic import crossover, solve_memetic
from spacexnet_opt.solve.backends.qap_walk import Walk, apply_swap, seed_thread, swap_delta, symmetric_form
from spacexnet_opt.solve.qaplib import load_qaplib


def _matrices(kind, rng, n=8):
    a, b = rng.integers(-4, 9, (2, n, n)).astype(float)
    if kind == "general":  # both asymmetric, non-zero diagonals
        return a, b
    if kind == "one-symmetric":  # only b symmetric: a is symmetrised
        return a, b + b.T
    sym = lambda m: np.triu(m, 1) + np.triu(m, 1).T
    if kind == "diagonal":  # both symmetric, non-zero diagonals
        return sym(a) + np.diag(np.diag(a)), sym(b) + np.diag(np.diag(b))
    return sym(a), sym(b)  # the fast form


@pytest.mark.parametrize("kind", ["general", "one-symmetric", "diagonal", "fast"])
def test_swap_costs_and_tables_match_recomputed_ones(kind):
    rng = np.random.default_rng(7)
    flow, distance = _matrices(kind, rng)
    a, b, symmetric, fast = symmetric_form(flow, distance)
    assert (symmetric, fast) == {"general": (False, False), "one-symmetric": (True, False),
                                 "diagonal": (True, False), "fast": (True, True)}[kind]
    cost = lambda p: (flow * distance[np.ix_(p, p)]).sum()  # the original objective
    state = Walk(a, b, 8, symmetric, fast)
    assert state.reset(rng.permutation(8)) == pytest.approx(cost(state.p))
    for _ in range(40):  # a walk of swaps: every priced swap and the kept tables checked against fresh ones
        x, y = sorted(rng.choice(8, 2, replace=False))
        before = cost(state.p)
        change = swap_delta(a, state.bp, state.r, state.k, x, y, fast)
        apply_swap(a, b, state.p, state.bp, state.r, state.k, x, y, symmetric)
        assert change == pytest.approx(cost(state.p) - before, abs=1e-9)
        fresh = Walk(a, b, 8, symmetric, fast)
        fresh.reset(state.p)
        assert np.allclose(state.r, fresh.r) and np.allclose(state.k, fresh.k) and np.allclose(state.bp, fresh.bp)


def test_walk_tracks_its_cost_and_best():
    rng = np.random.default_rng(3)
    flow, distance = _matrices("general", rng, n=9)
    a, b, symmetric, fast = symmetric_form(flow, distance)
    state = Walk(a, b, 9, symmetric, fast)
    start = state.reset(rng.permutation(9))
    seed_thread(0)
    best = state.run(200, np.array([3, 5]))
    cost = lambda p: (flow * distance[np.ix_(p, p)]).sum()
    assert state.values[0] == pytest.approx(cost(state.p))
    assert best == pytest.approx(cost(state.best_p)) and best <= start


def test_crossover_keeps_what_the_parents_agree_on():
    seed_thread(1)
    rng = np.random.default_rng(1)
    for _ in range(50):
        p1 = rng.permutation(12)
        p2 = p1.copy()
        p2[5:] = p1[5:][rng.permutation(7)]  # agree on the first five locations, maybe more
        child = np.empty(12, dtype=np.int64)
        crossover(p1, p2, child)
        assert sorted(child) == list(range(12))
        agree = p1 == p2
        assert np.array_equal(child[agree], p1[agree])


@pytest.mark.parametrize("seed", range(6))
def test_memetic_finds_the_enumerated_optimum_of_tiny_problems(seed):
    rng = np.random.default_rng(seed)
    shape = [(6, 6), (4, 7), (6, 6)][seed % 3]  # asymmetric, rectangular (dummies), symmetric
    flow, distance = rng.integers(0, 10, (shape[0],) * 2), rng.integers(0, 10, (shape[1],) * 2)
    if seed % 3 == 2:
        flow, distance = flow + flow.T, distance + distance.T
    problem = QAPProblem(flow, distance)
    m, n = problem.shape
    optimum = min(problem.objective(np.array(p)) for p in itertools.permutations(range(n), m))
    result = solve(problem, method="memetic", rng=seed)
    assert result.status is Status.FEASIBLE
    assert len(set(result.assignment.tolist())) == m  # injective
    assert result.objective == pytest.approx(optimum)


@pytest.mark.parametrize("name", ["nug12", "had12", "scr12", "tai12a"])
def test_memetic_reaches_qaplib_optima(shared_data, name):
    problem = load_qaplib(shared_data / "qaplib" / f"{name}.dat")
    assert solve(problem, method="memetic", rng=0, options={"workers": 2}).objective == problem.best_known


@pytest.mark.parametrize("workers", [1, 2])
def test_memetic_is_reproducible_per_seed_without_a_time_limit(shared_data, workers):
    """Children of a round are bred in parallel but enter the population in a fixed order."""
    problem = load_qaplib(shared_data / "qaplib" / "tai12a.dat")
    first, second = (solve(problem, "memetic", rng=3, options={"workers": workers, "walk": 2}) for _ in range(2))
    assert np.array_equal(first.assignment, second.assignment)


def test_memetic_top2_uses_the_fastest_candidates():
    rng = np.random.default_rng(0)
    pair = np.triu(rng.uniform(0, 1, (5, 5)), 1)
    tau = rng.uniform(1.0, 5.0, 9)
    problem = QAPProblem.top2(pair / pair.sum(), tau, activation=(pair + pair.T).sum(1))
    optimum = min(problem.objective(np.array(p)) for p in itertools.permutations(range(9), 5))
    result = solve(problem, "memetic", rng=0)
    assert result.objective == pytest.approx(optimum)
    assert set(result.assignment.tolist()) == set(np.argsort(tau)[:5].tolist())


@pytest.mark.parametrize("options, word", [({"population": 1}, "population"), ({"walk": 0}, "walk"),
                                           ({"workers": 0}, "workers")])
def test_memetic_refuses_impossible_options(options, word):
    with pytest.raises(ValueError, match=word):
        solve_memetic(QAPProblem(np.ones((3, 3)), np.ones((3, 3))), rng=0, **options)
