"""One entry point, :func:`solve`, dispatching to interchangeable backends.

Backends are looked up by name in the plain dict :data:`METHODS`, which maps a
method name to ``"module:function"`` inside :mod:`spacexnet_opt.solve.backends`;
the module is imported only when the method is used, so heavy optional
dependencies load only for the backend that needs them.

A backend function has the signature
``fn(problem, *, time_limit: float | None, rng: numpy.random.Generator) -> BackendOutput``
and raises :class:`~spacexnet_opt.errors.SolverError` for a problem kind it
does not handle.
"""

from __future__ import annotations

import importlib
import time

import numpy as np

from ..errors import SolverError
from .problems import Problem
from .result import BackendOutput, SolveResult, Status

__all__ = ["METHODS", "solve", "backend_function"]

# method name -> "module:function" (module relative to spacexnet_opt.solve.backends)
METHODS: dict[str, str] = {
    "sorted": "closed_form:solve_sorted",
    "hungarian": "scipy_lsa:solve_hungarian",
    "ortools-lsa": "ortools_lsa:solve_ortools_lsa",
    "cpsat": "cpsat:solve_cpsat",
    "pulp-cbc": "pulp_milp:solve_pulp_cbc",
    "pulp-highs": "pulp_milp:solve_pulp_highs",
    "faq": "scipy_qap:solve_faq",
    "2opt": "scipy_qap:solve_2opt",
    "tabu": "tabu:solve_tabu",
    "bls": "bls:solve_bls",
    "brute": "brute:solve_brute",
    "bnb": "qap_bnb:solve_bnb",
}


def backend_function(method: str):
    """Return the backend callable of ``method``; ``ValueError`` lists the valid names."""
    try:
        target = METHODS[method]
    except KeyError:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(sorted(METHODS))}") from None
    module_name, func_name = target.split(":")
    module = importlib.import_module(f"{__package__}.backends.{module_name}")
    return getattr(module, func_name)


def solve(problem: Problem, *, method: str, time_limit: float | None = None, seed=None) -> SolveResult:
    """Solve a placement problem with the named backend.

    Parameters
    ----------
    problem : LinearProblem, QAPProblem or TraceProblem
    method : str
        A key of :data:`METHODS`.
    time_limit : float, optional
        Seconds; honoured by the exact MILP/CP backends and by the heuristics.
    seed : int or numpy.random.Generator, optional
        For randomised backends.

    Returns
    -------
    SolveResult
        The objective is recomputed from the assignment by the problem itself.
    """
    fn = backend_function(method)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    out: BackendOutput = fn(problem, time_limit=time_limit, rng=rng)
    runtime = time.perf_counter() - start
    objective = None if out.assignment is None else problem.objective(out.assignment)
    if out.status is Status.OPTIMAL and out.assignment is None:
        raise SolverError(f"backend {method} claimed OPTIMAL without an assignment")
    bound = out.bound
    if out.status is Status.OPTIMAL and bound is None:
        bound = objective
    return SolveResult(
        assignment=None if out.assignment is None else np.asarray(out.assignment, dtype=np.int64),
        objective=objective,
        status=out.status,
        bound=bound,
        runtime_s=runtime,
        method=method,
        problem=problem.kind,
    )
