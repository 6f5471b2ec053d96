"""One entry point, :func:`solve`, dispatching to the methods of :mod:`.registry`.

>>> from spacexnet_opt.solve.problems import TraceProblem
>>> r = solve(TraceProblem(tau=[0.3, 0.1, 0.2], sets=[[0, 1], [1, 1]], n_experts=2))
>>> r.method, r.problem, r.status.value, round(r.objective, 12)
('dp', 'trace', 'OPTIMAL', 0.15)
>>> from spacexnet_opt.solve.problems import QAPProblem
>>> solve(QAPProblem([[0, 3], [3, 0]], [[0, 1], [1, 0]]), rng=0).method    # the registry's default for a QAP
'memetic'
>>> solve(TraceProblem(tau=[0.3, 0.1], sets=[[0, 1]], n_experts=2), "order-ls", options={"tenure": 3})
Traceback (most recent call last):
...
ValueError: unknown option 'tenure' for method 'order-ls'; valid options: kick_size, kicks
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, Mapping

import numpy as np

from ..errors import SolverError
from .problems import Problem
from .registry import METHODS, REGISTRY, default_method, get_method
from .result import BackendOutput, SolveResult, Status

__all__ = ["METHODS", "solve", "backend_function"]

_MESSAGES = {
    Status.OPTIMAL: "optimal",
    Status.FEASIBLE: "feasible, optimality not proven",
    Status.TIME_LIMIT: "stopped at the time limit",
    Status.INFEASIBLE: "infeasible",
}


def backend_function(method: str):
    """Return the backend callable of ``method``; ``ValueError`` lists the valid names."""
    return get_method(method).function()


def solve(problem: Problem, method: str | None = None, *, time_limit: float | None = None,
          options: Mapping[str, Any] | None = None, rng=None) -> SolveResult:
    """Solve a placement problem.

    Parameters
    ----------
    problem : LinearProblem, QAPProblem or TraceProblem
    method : str, optional
        A method of :data:`~spacexnet_opt.solve.registry.REGISTRY`. Default
        (:func:`~spacexnet_opt.solve.registry.default_method`): DEFAULT_METHODS.
    time_limit : float, optional
        Seconds of wall time for the whole solve, model building included.
    options : dict, optional
        Method options (``spacexnet methods`` lists them with their defaults);
        an unknown key raises ``ValueError`` naming the valid ones.
    rng : None, int or numpy.random.Generator, optional
        Seed or generator of randomised methods (scipy's convention).

    Returns
    -------
    SolveResult
        The objective is recomputed from the assignment by the problem itself.

    Raises
    ------
    ValueError
        Unknown method or option.
    SolverError
        The method does not accept this kind of problem, or refuses its size.
    """
    spec = get_method(method if method is not None else default_method(problem))
    if problem.kind not in spec.kinds:
        raise SolverError(spec.refusal(problem.kind))
    kwargs = spec.resolve_options(options)
    generator = np.random.default_rng(rng)
    start = time.perf_counter()
    out: BackendOutput = spec.function()(problem, time_limit=time_limit, rng=generator, **kwargs)
    runtime = time.perf_counter() - start
    if out.status is Status.OPTIMAL and out.assignment is None:
        raise SolverError(f"backend {spec.name} claimed OPTIMAL without an assignment")
    objective = None if out.assignment is None else problem.objective(out.assignment)
    bound = out.bound
    if out.status is Status.OPTIMAL and bound is None:  # a proof without a numeric bound: gap exactly zero
        bound = objective
    return SolveResult(
        assignment=None if out.assignment is None else np.asarray(out.assignment, dtype=np.int64),
        objective=objective, status=out.status, bound=bound, runtime_s=runtime, method=spec.name,
        problem=problem.kind, message=out.message or _MESSAGES[out.status], iterations=out.iterations,
    )


def _default_methods() -> str:
    """What :func:`~spacexnet_opt.solve.registry.default_method` picks per problem kind, in words."""
    reach = REGISTRY["dp"].options["max_experts"]

    def pick(kind: str, experts: int = 1) -> str:  # default_method reads only the kind and the shape
        return default_method(SimpleNamespace(kind=kind, shape=(experts, experts)))

    return (f"``{pick('linear')}`` for ``linear``, ``{pick('trace')}`` for ``top2``/``trace`` up to {reach} "
            f"experts and ``{pick('trace', reach + 1)}`` above, ``{pick('qap')}`` for a general QAP")


if solve.__doc__:  # None under python -OO
    solve.__doc__ = solve.__doc__.replace("DEFAULT_METHODS", _default_methods())
