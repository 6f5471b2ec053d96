"""Behaviour of the closed-form, SciPy, brute-force and tabu backends."""

import importlib.util
import itertools

import numpy as np
import pytest

from spacexnet_opt.errors import SolverError
from spacexnet_opt.solve import METHODS, LinearProblem, QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve.backends import brute
from spacexnet_opt.solve.backends.tabu import swap_deltas


def _all_injective_optimum(problem) -> float:
    m, n = problem.shape
    return min(problem.objective(np.array(a)) for a in itertools.permutations(range(n), m))


@pytest.mark.parametrize("m, n, seed", [(1, 1, 0), (5, 5, 1), (8, 32, 2), (64, 200, 3), (30, 31, 4)])
def test_sorted_equals_hungarian_on_rank_one_costs(m, n, seed):
    rng = np.random.default_rng(seed)
    problem = LinearProblem.rank_one(rng.dirichlet(np.ones(m)), rng.uniform(0.01, 0.2, n))
    closed, exact = solve(problem, method="sorted"), solve(problem, method="hungarian")
    assert closed.status is Status.OPTIMAL and exact.status is Status.OPTIMAL
    assert closed.objective == pytest.approx(exact.objective, rel=1e-12)


def test_sorted_is_only_a_heuristic_off_rank_one():
    rng = np.random.default_rng(5)
    p, tau = rng.dirichlet(np.ones(6)), rng.uniform(1, 2, 9)
    speed = rng.uniform(0.5, 2.0, 9)  # heterogeneous per-satellite compute: cost no longer rank one
    problem = LinearProblem(np.outer(p, tau) + np.outer(np.ones(6), speed), activation=p, tau=tau)
    result = solve(problem, method="sorted")
    assert result.status is Status.FEASIBLE and result.bound is None
    assert result.objective > solve(problem, method="hungarian").objective


def test_sorted_needs_latencies():
    with pytest.raises(SolverError, match="tau"):
        solve(LinearProblem(np.ones((2, 3))), method="sorted")


def _paired_experts(pairs: int, n: int, seed: int) -> QAPProblem:
    """Experts come in fixed pairs that are mostly activated together (strong correlation)."""
    rng = np.random.default_rng(seed)
    m = 2 * pairs
    flow = np.zeros((m, m))
    flow[np.arange(0, m, 2), np.arange(1, m, 2)] = rng.dirichlet(np.ones(pairs)) * 0.7
    cross = np.triu(rng.uniform(0, 1, (m, m)), 1) * (flow == 0)
    flow += cross / cross.sum() * 0.3
    return QAPProblem.top2(flow, rng.uniform(1.0, 10.0, n), activation=(flow + flow.T).sum(1))


def _misleading_marginals(seed: int) -> QAPProblem:
    """Pairs {0,1} (weight a) and {2,3} (b) plus {0,2} (c) with a > b > c and b + c > a.

    Expert 2 has a larger marginal (b + c) than expert 1 (a), so sorting puts 0, 2, 1, 3
    on the latencies t1 < t2 < t3 < t4 and pays a t3 + b t4 + c t2, while placing the
    heavy pair together pays a t2 + b t4 + c t3: (a - c)(t3 - t2) less."""
    rng = np.random.default_rng(seed)
    a, b, c = np.array([0.40, 0.35, 0.25]) + rng.uniform(-0.02, 0.02, 3)  # a > b > c and b + c > a
    flow = np.zeros((4, 4))
    flow[0, 1], flow[2, 3], flow[0, 2] = a, b, c
    return QAPProblem.top2(flow, rng.uniform(1.0, 10.0, 7), activation=(flow + flow.T).sum(1))


EXACT_TOP2 = ["brute", "bnb", "cpsat", "pulp-cbc", "pulp-highs"]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", EXACT_TOP2)
def test_exact_backends_beat_sorted_on_correlated_coactivation(method, seed):
    if importlib.util.find_spec(f"spacexnet_opt.solve.backends.{METHODS[method].split(':')[0]}") is None:
        pytest.skip(f"backend module of {method} not written yet")
    problem = _misleading_marginals(seed)
    oracle = _all_injective_optimum(problem)
    heuristic = solve(problem, method="sorted")
    exact = solve(problem, method=method, time_limit=60)
    assert heuristic.status is Status.FEASIBLE and heuristic.bound is None
    assert exact.status is Status.OPTIMAL
    assert exact.objective == pytest.approx(oracle, rel=1e-9)
    assert exact.objective < heuristic.objective * (1 - 1e-6)


@pytest.mark.parametrize("kind", ["top2", "trace"])
def test_brute_over_fastest_candidates_equals_all_injective_maps(kind):
    rng = np.random.default_rng(7)
    tau = rng.permutation(np.r_[rng.uniform(1, 3, 5), 1.5, 1.5])  # includes a tie
    if kind == "top2":
        problem = QAPProblem.top2(rng.uniform(0, 1, (4, 4)), tau)
    else:
        problem = TraceProblem(tau=tau, sets=[rng.choice(4, 2, replace=False) for _ in range(9)], n_experts=4)
    result = solve(problem, method="brute")
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(_all_injective_optimum(problem), rel=1e-12)


def test_brute_refuses_above_its_limit():
    assert 362_880 <= brute.MAX_ASSIGNMENTS < 3_628_800
    with pytest.raises(SolverError, match="limit"):
        solve(LinearProblem(np.ones((7, 14))), method="brute")  # 14!/7! = 17,297,280 maps
    with pytest.raises(SolverError, match="3,628,800"):
        solve(QAPProblem.top2(np.ones((10, 10)), np.arange(40.0)), method="brute")


def test_brute_time_limit_returns_incumbent_without_claim():
    problem = QAPProblem.top2(np.ones((9, 9)), np.arange(9.0))
    result = solve(problem, method="brute", time_limit=0.0)
    assert result.status is Status.TIME_LIMIT and result.assignment is not None


@pytest.mark.parametrize("method", ["faq", "2opt", "tabu"])
def test_qap_heuristics_refuse_other_kinds(method):
    with pytest.raises(SolverError, match="QAP"):
        solve(LinearProblem(np.ones((2, 3))), method=method)


def test_hungarian_refuses_qap():
    with pytest.raises(SolverError, match="linear"):
        solve(QAPProblem.top2(np.ones((2, 2)), [1.0, 2.0]), method="hungarian")


@pytest.mark.parametrize("symmetric", [(False, False), (True, False), (False, True), (True, True)])
def test_swap_deltas_match_recomputed_costs(symmetric):
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 9, (2, 7, 7)).astype(float)
    a, b = (a + a.T if symmetric[0] else a), (b + b.T if symmetric[1] else b)
    perm = rng.permutation(7)
    cost = lambda p: (a * b[np.ix_(p, p)]).sum()
    deltas = swap_deltas(a, b, perm)
    for r, s in itertools.product(range(7), repeat=2):
        swapped = perm.copy()
        swapped[[r, s]] = swapped[[s, r]]
        assert deltas[r, s] == pytest.approx(cost(swapped) - cost(perm), abs=1e-9)


@pytest.mark.parametrize("method", ["faq", "2opt", "tabu"])
def test_randomised_heuristics_are_reproducible_per_seed(method):
    problem = _paired_experts(4, 12, 9)
    first, second = (solve(problem, method=method, rng=11) for _ in range(2))
    assert np.array_equal(first.assignment, second.assignment)


def test_tabu_and_faq_reach_the_top2_optimum_on_a_small_layer():
    problem = _paired_experts(3, 9, 4)
    oracle = solve(problem, method="brute").objective
    assert solve(problem, method="tabu", rng=0).objective == pytest.approx(oracle, rel=1e-12)
    assert solve(problem, method="faq", rng=0, time_limit=0.2).objective == pytest.approx(oracle, rel=1e-12)


def test_rectangular_general_qap_uses_dummy_facilities():
    flow = np.array([[0, 5.0], [5.0, 0]])
    distance = np.array([[0, 9, 1, 9], [9, 0, 9, 9], [1, 9, 0, 9], [9, 9, 9, 0.0]])
    problem = QAPProblem(flow, distance)
    for method in ("faq", "2opt", "tabu", "brute"):
        assert sorted(solve(problem, method=method, rng=0).assignment.tolist()) == [0, 2], method
