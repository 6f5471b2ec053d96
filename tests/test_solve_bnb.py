"""The exact QAP branch and bound (`bnb`): brute force on small problems, QAPLIB proofs, honest time limits."""

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import LinearProblem, QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve.backends import qap_bnb, qap_rlt, qap_symmetry
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
@pytest.mark.parametrize("symmetric", [False, True])
def test_child_bounds_never_exceed_the_best_completion(n, symmetric):
    """After the root ascent, each child's ascent bound (facility i on location k) is at most the best map with p[i] = k."""
    rng = np.random.default_rng(n)
    flow, distance = rng.integers(-3, 10, (2, n, n)).astype(float)
    if symmetric:
        flow, distance = flow + flow.T, distance + distance.T
    lin, quad = qap_rlt.initial_form(flow, distance)
    root = qap_rlt.ascend(0.0, lin, quad, 20, np.inf, 0.0)
    best = np.full((n, n), np.inf)
    for p in itertools.permutations(range(n)):
        best[np.arange(n), p] = np.minimum(best[np.arange(n), p], (flow * distance[np.ix_(p, p)]).sum())
    assert root <= best.min() + 1e-9
    for i, k in itertools.product(range(n), repeat=2):
        lin2, quad2 = qap_rlt.child_form(lin, quad, i, k)
        assert root + lin[i, k] <= best[i, k] + 1e-9
        assert qap_rlt.ascend(root + lin[i, k], lin2, quad2, 10, np.inf, 0.0) <= best[i, k] + 1e-9


def test_ascent_keeps_an_equivalent_form():
    """Every permutation costs exactly c + sum L + sum C in the form the ascent leaves, and L, C end non-negative."""
    rng = np.random.default_rng(7)
    flow, distance = rng.integers(0, 10, (2, 5, 5)).astype(float)
    lin, quad = qap_rlt.initial_form(flow, distance)
    const = qap_rlt.ascend(0.0, lin, quad, 15, np.inf, 0.0)
    for p in itertools.permutations(range(5)):
        i = np.arange(5)
        form = const + lin[i, p].sum() + quad[i[:, None], np.array(p)[:, None], i[None, :], np.array(p)[None, :]].sum()
        assert form == pytest.approx((flow * distance[np.ix_(p, p)]).sum(), abs=1e-8)
    assert lin.min() >= -1e-9 and quad.min() >= -1e-9


def test_lap_reduce_matches_scipy():
    rng = np.random.default_rng(1)
    cost = rng.normal(size=(9, 9))
    rows, cols = linear_sum_assignment(cost)
    reduced = cost.copy()
    assert qap_rlt.lap_reduce(reduced) == pytest.approx(cost[rows, cols].sum(), abs=1e-12)
    assert reduced.min() >= -1e-12 and np.allclose(reduced[rows, cols], 0.0, atol=1e-12)


def test_hypercube_automorphisms_and_orbits():
    """The 3-cube's Hamming distances have 48 automorphisms, all mapping vertex 0 anywhere; those fixing 0 leave 4 orbits."""
    vertices = np.arange(8)
    hamming = np.array([[bin(u ^ v).count("1") for v in vertices] for u in vertices])
    group = qap_symmetry.automorphisms(hamming)
    assert len(group) == 48 and np.all(hamming[group[:, :, None], group[:, None, :]] == hamming)
    assert set(qap_symmetry.orbits(group, 8).tolist()) == {0}
    assert len(set(qap_symmetry.orbits(group[group[:, 0] == 0], 8).tolist())) == 4


# esc16a: 6 flow-free facilities and a hypercube distance matrix (384 automorphisms)
@pytest.mark.parametrize("name, optimum", [("chr12a", 9552), ("had12", 1652), ("scr12", 31410), ("esc16a", 68)])
def test_bnb_proves_qaplib_optima(shared_data, name, optimum):
    problem = load_qaplib(shared_data / "qaplib" / f"{name}.dat")
    result = solve(problem, method="bnb", rng=0)
    assert result.status is Status.OPTIMAL
    assert result.objective == optimum == problem.best_known
    assert result.bound == optimum


@pytest.mark.parametrize("workers", [1, 2])
def test_time_limit_reports_incumbent_and_valid_bound(shared_data, workers):
    problem = load_qaplib(shared_data / "qaplib" / "tai15a.dat")  # needs far more than the limit to prove
    out = qap_bnb.solve_bnb(problem, time_limit=0.8, rng=np.random.default_rng(0), workers=workers)
    assert out.status is Status.TIME_LIMIT
    assert out.bound <= problem.best_known <= problem.objective(out.assignment)
    assert 0 < out.bound < problem.best_known


@pytest.mark.parametrize("name", ["nug12", "rou12"])
def test_threads_agree_with_one_thread(shared_data, name):
    """Two workers sharing the tree prove the same optimum, and the tree is the same: the incumbent is optimal from the start."""
    problem = load_qaplib(shared_data / "qaplib" / f"{name}.dat")
    outs = [qap_bnb.solve_bnb(problem, rng=np.random.default_rng(0), workers=workers) for workers in (1, 2)]
    assert [o.status for o in outs] == [Status.OPTIMAL] * 2
    assert [problem.objective(o.assignment) for o in outs] == [o.bound for o in outs] == [problem.best_known] * 2
    assert outs[0].iterations == outs[1].iterations > 10


def test_a_failing_worker_stops_the_search(shared_data, monkeypatch):
    """An error in one thread reaches the caller; the other thread does not wait for it forever."""
    calls = []

    def failing_child_form(*args):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("kernel failed")
        return qap_rlt.child_form(*args)

    monkeypatch.setattr(qap_bnb, "child_form", failing_child_form)
    with pytest.raises(RuntimeError, match="kernel failed"):
        qap_bnb.solve_bnb(load_qaplib(shared_data / "qaplib" / "nug12.dat"), rng=np.random.default_rng(0), workers=2)


def test_problem_without_flow_is_proven_at_once():
    """No facility has any flow (like esc16f): every map costs 0."""
    result = solve(QAPProblem(np.zeros((5, 5)), np.arange(25.0).reshape(5, 5)), method="bnb", rng=0)
    assert result.status is Status.OPTIMAL and result.objective == 0.0 == result.bound


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
