"""Breakout local search (`bls`) and its compiled swap kernels: exact deltas, brute force, QAPLIB optima."""

import itertools

import numpy as np
import pytest

from spacexnet_opt.solve import QAPProblem, Status, solve
from spacexnet_opt.solve.backends.qap_swaps import apply_swap, init_deltas, is_symmetric
from spacexnet_opt.solve.qaplib import load_qaplib


@pytest.mark.parametrize("symmetric", [False, True])
def test_incremental_swap_costs_match_recomputed_ones(symmetric):
    rng = np.random.default_rng(5)
    a, b = rng.integers(-4, 9, (2, 8, 8)).astype(float)
    if symmetric:
        a, b = np.triu(a, 1) + np.triu(a, 1).T, np.triu(b, 1) + np.triu(b, 1).T
    assert is_symmetric(a, b) == symmetric
    cost = lambda p: (a * b[np.ix_(p, p)]).sum()
    perm = rng.permutation(8)
    delta = np.zeros((8, 8))
    init_deltas(a, b, perm, delta, symmetric)
    for _ in range(40):  # a long walk of swaps, each checked against the recomputed cost and fresh deltas
        r, s = rng.choice(8, 2, replace=False)
        before = cost(perm)
        assert apply_swap(a, b, perm, delta, r, s, symmetric) == pytest.approx(cost(perm) - before, abs=1e-9)
        fresh = np.zeros((8, 8))
        init_deltas(a, b, perm, fresh, symmetric)
        assert np.allclose(np.triu(delta, 1), np.triu(fresh, 1), atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_bls_finds_the_enumerated_optimum_of_tiny_problems(seed):
    rng = np.random.default_rng(seed)
    shape = (6, 6) if seed % 2 else (4, 7)  # square asymmetric, or rectangular (dummy facilities)
    problem = QAPProblem(rng.integers(0, 10, (shape[0],) * 2), rng.integers(0, 10, (shape[1],) * 2))
    m, n = problem.shape
    optimum = min(problem.objective(np.array(p)) for p in itertools.permutations(range(n), m))
    result = solve(problem, method="bls", rng=seed)
    assert result.status is Status.FEASIBLE
    assert sorted(set(result.assignment.tolist())) == sorted(result.assignment.tolist())  # injective
    assert result.objective == pytest.approx(optimum)


@pytest.mark.parametrize("name", ["nug12", "had12", "scr12"])
def test_bls_reaches_qaplib_optima(shared_data, name):
    problem = load_qaplib(shared_data / "qaplib" / f"{name}.dat")
    assert solve(problem, method="bls", rng=0).objective == problem.best_known


def test_bls_is_reproducible_per_seed(shared_data):
    problem = load_qaplib(shared_data / "qaplib" / "tai12a.dat")
    first, second = (solve(problem, method="bls", rng=3) for _ in range(2))
    assert np.array_equal(first.assignment, second.assignment)
