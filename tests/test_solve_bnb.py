"""The exact QAP branch and bound (`bnb`): brute force on small problems, QAPLIB proofs, honest time limits."""

import itertools

import numpy as np
import pytest

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import LinearProblem, QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve.backends import qap_bnb
from spacexnet_opt.solve.qaplib import load_qaplib


def _enumerated_optimum(problem) -> float:
    """Smallest objective over every injective map, evaluated in one array operation."""
    m, n = problem.shape
    maps = np.array(list(itertools.permutations(range(n), m)))
    values = (problem.flow * problem.distance[maps[:, :, None], maps[:, None, :]]).sum(axis=(1, 2))
    assert problem.objective(maps[np.argmin(values)]) == pytest.approx(values.min())
    return float(values.min())


def _random_problem(kind: str, seed: int) -> QAPProblem:
    rng = np.random.default_rng(seed)
    if kind == "integer":  # asymmetric, with diagonals
        return QAPProblem(rng.integers(0, 10, (7, 7)), rng.integers(0, 10, (7, 7)))
    if kind == "real-signed":
        return QAPProblem(rng.normal(size=(6, 6)), rng.uniform(-1, 1, (6, 6)))
    if kind == "symmetric":
        f, d = rng.integers(0, 10, (2, 7, 7))
        return QAPProblem(np.triu(f, 1) + np.triu(f, 1).T, np.triu(d, 1) + np.triu(d, 1).T)
    if kind == "one-symmetric":  # the bound symmetrises the other matrix
        f = rng.integers(0, 10, (7, 7))
        return QAPProblem(f + f.T, rng.integers(0, 10, (7, 7)))
    if kind == "rectangular":
        return QAPProblem(rng.integers(0, 10, (4, 4)), rng.integers(0, 10, (7, 7)))
    pair = np.triu(rng.uniform(0, 1, (6, 6)), 1)  # top2: 6 experts on 9 candidates
    return QAPProblem.top2(pair / pair.sum(), rng.uniform(1.0, 5.0, 9))


# without a time limit the search starts from scratch; with one, from a tabu incumbent
@pytest.mark.parametrize("seed, time_limit", [(0, None), (1, None), (2, None), (3, 3.0)])
@pytest.mark.parametrize("kind", ["integer", "real-signed", "symmetric", "one-symmetric", "rectangular", "top2"])
def test_bnb_proves_the_enumerated_optimum(kind, seed, time_limit):
    problem = _random_problem(kind, seed)
    optimum = _enumerated_optimum(problem)
    result = solve(problem, method="bnb", time_limit=time_limit, rng=seed)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(optimum, rel=1e-9, abs=1e-12)
    assert result.bound <= result.objective + 1e-9 * max(1.0, abs(optimum))
    assert result.bound == pytest.approx(optimum, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("n", [3, 6])
def test_child_bounds_never_exceed_the_best_completion(n):
    """Each child bound (facility i on location k) is at most the best map with p[i] = k; exact for n = 3."""
    rng = np.random.default_rng(n)
    flow, distance = rng.integers(0, 10, (2, n, n)).astype(float)
    everything = np.arange(n)
    delta, cost = qap_bnb._Bounder(flow, distance).children(
        everything, everything, np.outer(np.diag(flow), np.diag(distance)), everything
    )
    bounds = delta + qap_bnb._lap_values(cost.reshape(n * n, n - 1, n - 1)).reshape(n, n)
    best = np.full((n, n), np.inf)
    for p in itertools.permutations(range(n)):
        best[everything, p] = np.minimum(best[everything, p], (flow * distance[np.ix_(p, p)]).sum())
    assert np.all(bounds <= best + 1e-9)
    if n == 3:  # two facilities left: one flow against one distance per row, so the bound is exact
        assert np.array_equal(bounds, best)


@pytest.mark.parametrize("name, optimum", [("chr12a", 9552), ("had12", 1652), ("scr12", 31410)])
def test_bnb_proves_qaplib_optima(shared_data, name, optimum):
    problem = load_qaplib(shared_data / "qaplib" / f"{name}.dat")
    result = solve(problem, method="bnb", rng=0)
    assert result.status is Status.OPTIMAL
    assert result.objective == optimum == problem.best_known
    assert result.bound == optimum


def test_time_limit_reports_incumbent_and_valid_bound(shared_data):
    problem = load_qaplib(shared_data / "qaplib" / "tai15a.dat")  # needs far more than the limit to prove
    result = solve(problem, method="bnb", time_limit=0.5, rng=0)
    assert result.status is Status.TIME_LIMIT
    assert result.bound <= problem.best_known <= result.objective
    assert result.bound > 0 and result.gap > 0


def test_single_location_and_single_expert():
    one = QAPProblem(np.array([[2.0]]), np.array([[3.0]]))
    assert solve(one, method="bnb").objective == 6.0
    lonely = QAPProblem(np.array([[1.0]]), np.diag([5.0, 2.0, 4.0]))
    result = solve(lonely, method="bnb")
    assert result.status is Status.OPTIMAL and result.assignment.tolist() == [1] and result.bound == 2.0


@pytest.mark.parametrize(
    "problem",
    [LinearProblem(np.ones((2, 3))), TraceProblem(tau=[1.0, 2.0], sets=[[0, 1]], n_experts=2)],
    ids=["linear", "trace"],
)
def test_bnb_refuses_other_problem_kinds(problem):
    with pytest.raises(SolverError, match="bnb solves QAP problems"):
        solve(problem, method="bnb")


def test_bnb_refuses_instances_above_its_size_limit():
    n = qap_bnb.MAX_LOCATIONS + 1
    with pytest.raises(SolverError, match=f"at most {qap_bnb.MAX_LOCATIONS} locations, this one has {n}"):
        solve(QAPProblem(np.ones((n, n)), np.ones((n, n))), method="bnb")
