"""Contract suite run for every method of the registry on small problems of every kind.

Every answer must be a valid assignment whose objective is recomputed from the
problem; a claimed optimum must equal the brute-force optimum; an exact method
must prove it; a bound must not exceed the true optimum. The problem kinds a
method accepts come from the registry: every other kind must raise SolverError
naming the method, so a new method joins the suite by registering and a refusal
can neither hide a backend nor go unnoticed.
"""

import inspect
import itertools

import numpy as np
import pytest

from spacexnet_opt.errors import BackendUnavailableError, SolverError
from spacexnet_opt.solve import REGISTRY, LinearProblem, QAPProblem, Status, TraceProblem, solve
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


NEEDS_FACTORS = {("sorted", "general-linear")}
"""Accepted kind, but this instance lacks what the method needs (expert activations to sort by)."""


def _accepts(method: str, name: str) -> bool:
    return PROBLEMS[name].kind in REGISTRY[method].kinds and (method, name) not in NEEDS_FACTORS


def _solve(method, problem):
    try:
        return solve(problem, method, rng=0)
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_backend_contract(method, name):
    problem = PROBLEMS[name]
    if not _accepts(method, name):
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
    if REGISTRY[method].exact:
        assert result.status is Status.OPTIMAL
    assert result.method == method and result.problem == problem.kind and result.message
    if result.bound is not None:
        assert result.bound <= optimum + tol
        assert result.bound <= result.objective + tol


def test_every_method_solves_some_problem_kind():
    """Each registered method accepts some contract problem, and every kind is covered."""
    assert {p.kind for p in PROBLEMS.values()} == {"linear", "top2", "trace", "qap"}
    for method in REGISTRY:
        assert any(_accepts(method, name) for name in PROBLEMS), method


def test_backend_keyword_defaults_are_the_registry_options():
    """One signature for every backend: (problem, *, time_limit, rng, **options) with the registry's defaults."""
    for method in REGISTRY.values():
        try:
            fn = method.function()
        except BackendUnavailableError:
            continue
        params = inspect.signature(fn).parameters
        assert list(params)[:3] == ["problem", "time_limit", "rng"], method.name
        assert all(params[k].kind is inspect.Parameter.KEYWORD_ONLY for k in list(params)[1:]), method.name
        assert {k: p.default for k, p in list(params.items())[3:]} == dict(method.options), method.name


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_unknown_option_names_the_valid_ones(method):
    problem = next(PROBLEMS[name] for name in PROBLEMS if _accepts(method, name))
    with pytest.raises(ValueError, match="unknown option 'bogus' for method") as info:
        solve(problem, method, options={"bogus": 1})
    for option in REGISTRY[method].options:
        assert option in str(info.value)


def test_oracle_problems_are_not_trivial():
    """Each contract problem has assignments worse than the optimum, so the checks can fail."""
    for name, problem in PROBLEMS.items():
        m, n = problem.shape
        worst = max(problem.objective(np.array(a)) for a in itertools.permutations(range(n), m))
        assert worst > OPTIMA[name] * (1 + 1e-6), name
