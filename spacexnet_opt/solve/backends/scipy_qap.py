"""QAP heuristics of :func:`scipy.optimize.quadratic_assignment`: FAQ and 2-opt (status FEASIBLE)."""

from __future__ import annotations

import time

import numpy as np

from ..result import BackendOutput, Status
from .qap_common import square_qap

__all__ = ["solve_faq", "solve_2opt"]


def _multistart(problem, method: str, *, time_limit, rng, starts: int) -> BackendOutput:
    """Best of ``starts`` runs, continuing with fresh random starts while ``time_limit`` lasts.

    FAQ starts from the barycenter first, then from random doubly stochastic
    matrices; 2-opt always starts from a random permutation.
    """
    from scipy.optimize import quadratic_assignment

    flow, distance, columns, reduced = square_qap(problem, method)
    m = reduced.shape[0]
    rng = np.random.default_rng(rng)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    best_value, best, run = np.inf, None, 0
    while True:
        options = {"rng": rng}
        if method == "faq":
            options["P0"] = "barycenter" if run == 0 else "randomized"
        perm = quadratic_assignment(flow, distance, method=method, options=options).col_ind[:m]
        value = reduced.objective(perm)
        if value < best_value:
            best_value, best = value, perm
        run += 1
        if run >= starts and (deadline is None or time.perf_counter() >= deadline):
            break
    return BackendOutput(columns[best], Status.FEASIBLE, message=f"best of {run} {method} runs", iterations=run)


def solve_faq(problem, *, time_limit=None, rng=None, starts: int = 1) -> BackendOutput:
    """Fast Approximate QAP (Vogelstein et al. 2015); more random starts while ``time_limit`` lasts.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> p = QAPProblem.top2(np.array([[0, 0.6, 0.1], [0, 0, 0.3], [0, 0, 0]]), [0.3, 0.1, 0.2, 0.4])
    >>> out = solve_faq(p, rng=0)
    >>> round(p.objective(out.assignment), 3), out.status.value
    (0.24, 'FEASIBLE')
    """
    return _multistart(problem, "faq", time_limit=time_limit, rng=rng, starts=starts)


def solve_2opt(problem, *, time_limit=None, rng=None, starts: int = 1) -> BackendOutput:
    """Pairwise-exchange local search from random starts; more starts while ``time_limit`` lasts.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> p = QAPProblem(np.array([[0, 5.0], [5.0, 0]]), np.array([[0, 1.0, 3.0], [1.0, 0, 2.0], [3.0, 2.0, 0]]))
    >>> out = solve_2opt(p, rng=0)  # two facilities, three locations: the closest pair costs 2 * 5 * 1
    >>> p.objective(out.assignment), out.status.value
    (10.0, 'FEASIBLE')
    """
    return _multistart(problem, "2opt", time_limit=time_limit, rng=rng, starts=starts)
