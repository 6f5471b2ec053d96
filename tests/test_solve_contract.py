"""Contract suite run for every method of METHODS on small problems of every kind.

Every answer must be a valid assignment whose objective is recomputed from the
problem; a claimed optimum must equal the brute-force optimum; a bound must not
exceed the true optimum. The problem kinds a method declines are listed in
:data:`REFUSED`: those pairs must raise SolverError, every other pair must be
solved, and no method may decline every kind, so a new method joins the suite
by default and a refusal can neither hide a backend nor go unnoticed.
"""

import itertools

import numpy as np
import pytest

from spacexnet_opt.errors import BackendUnavailableError, SolverError
from spacexnet_opt.solve import METHODS, LinearProblem, QAPProblem, Status, TraceProblem, solve
from spacexnet_opt.solve.problems import check_assignment


def _optimum(problem) -> float:
    """Independent oracle: the objective of every injective map, by plain enumeration."""
    m, n = problem.shape
    return min(problem.objective(np.array(a)) for a in itertools.permutations(range(n), m))


def _problems():
    rng = np.random.default_rng(42)
    p = rng.dirichlet(np.ones(4))
    tau = rng.uniform(1.0, 5.0, 6)
    pair = np.triu(rng.uniform(0, 1, (4, 4)), 1)
    pair /= pair.sum()
    sets = np.array([rng.choice(4, 3, replace=False) for _ in range(12)])
    return {
        "rank-one": LinearProblem.rank_one(p, tau),
        "general-linear": LinearProblem(rng.integers(0, 20, (4, 6)).astype(float)),
        "top2": QAPProblem.top2(pair, tau, activation=(pair + pair.T).sum(1)),
        "trace": TraceProblem(tau=tau, sets=sets, n_experts=4, weights=rng.uniform(0.5, 1.5, 12)),
        "qap": QAPProblem(rng.integers(0, 9, (5, 5)).astype(float), rng.integers(0, 9, (6, 6)).astype(float)),
    }


PROBLEMS = _problems()
OPTIMA = {name: _optimum(p) for name, p in PROBLEMS.items()}


_QAP_ONLY = {"rank-one", "general-linear", "trace"}
_LINEAR_ONLY = {"top2", "trace", "qap"}
REFUSED = {
    "2opt": _QAP_ONLY,
    "bls": _QAP_ONLY,
    "bnb": _QAP_ONLY,
    "faq": _QAP_ONLY,
    "tabu": _QAP_ONLY,
    "hungarian": _LINEAR_ONLY,
    "ortools-lsa": _LINEAR_ONLY,
    "sorted": {"general-linear", "qap"},  # no candidate latencies tau to sort by
}
"""Contract problems each method declines with SolverError (a method not listed solves them all)."""


def _solve(method, problem):
    try:
        return solve(problem, method=method, seed=0)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("method", sorted(METHODS))
def test_backend_contract(method, name):
    problem = PROBLEMS[name]
    if name in REFUSED.get(method, ()):
        with pytest.raises(SolverError, match=method):
            _solve(method, problem)
        return
    result = _solve(method, problem)
    optimum = OPTIMA[name]
    tol = 1e-9 * max(1.0, abs(optimum))
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
    assignment = check_assignment(result.assignment, *problem.shape)
    assert result.objective == problem.objective(assignment)
    assert result.objective >= optimum - tol
    if result.status is Status.OPTIMAL:
        assert result.objective == pytest.approx(optimum, rel=1e-9, abs=1e-12)
    if result.bound is not None:
        assert result.bound <= optimum + tol
        assert result.bound <= result.objective + tol


def test_every_method_solves_some_problem_kind():
    """The refusal table names real methods and kinds, and leaves each method at least one kind."""
    assert set(REFUSED) <= set(METHODS)
    for method, kinds in REFUSED.items():
        assert kinds <= set(PROBLEMS), method
        assert set(PROBLEMS) - kinds, f"{method} would be exercised on no problem kind"


def test_oracle_problems_are_not_trivial():
    """Each contract problem has assignments worse than the optimum, so the checks can fail."""
    for name, problem in PROBLEMS.items():
        m, n = problem.shape
        worst = max(problem.objective(np.array(a)) for a in itertools.permutations(range(n), m))
        assert worst > OPTIMA[name] * (1 + 1e-6), name
