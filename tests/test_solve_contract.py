"""Contract suite run for every method of METHODS on small problems of every kind.

A method whose backend module does not exist yet is skipped, so new backends
join automatically. Every answer must be a valid assignment whose objective is
recomputed from the problem; a claimed optimum must equal the brute-force
optimum; a bound must not exceed the true optimum.
"""

import importlib.util
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


def _backend_missing(method: str) -> bool:
    module = METHODS[method].split(":")[0]
    return importlib.util.find_spec(f"spacexnet_opt.solve.backends.{module}") is None


def _run(method, problem):
    if _backend_missing(method):
        pytest.skip(f"backend module of {method} not written yet")
    try:
        return solve(problem, method=method, seed=0)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    except SolverError as exc:
        pytest.skip(f"{method} does not handle {problem.kind}: {exc}")


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("method", sorted(METHODS))
def test_backend_contract(method, name):
    problem = PROBLEMS[name]
    result = _run(method, problem)
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


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_backend_handles_some_problem_kind(method):
    if _backend_missing(method):
        pytest.skip(f"backend module of {method} not written yet")
    handled = []
    for name, problem in PROBLEMS.items():
        try:
            solve(problem, method=method, seed=0)
            handled.append(name)
        except BackendUnavailableError as exc:
            pytest.skip(str(exc))
        except SolverError:
            pass
    assert handled


def test_oracle_problems_are_not_trivial():
    """Each contract problem has assignments worse than the optimum, so the checks can fail."""
    for name, problem in PROBLEMS.items():
        m, n = problem.shape
        worst = max(problem.objective(np.array(a)) for a in itertools.permutations(range(n), m))
        assert worst > OPTIMA[name] * (1 + 1e-6), name
