"""Exhaustive search: the test oracle for small layers.

- ``linear`` and a general QAP: every injective map of the ``m`` experts into
  the ``n`` candidates, ``n! / (n - m)!`` of them;
- ``top2`` and ``trace``: the ``m!`` permutations of the ``m`` fastest
  candidates, which contain an optimum (see :mod:`.fastest`).

Refuses with :class:`SolverError` when more than :data:`MAX_ASSIGNMENTS`
assignments would be enumerated (for example ``m = 10`` for ``top2``, or
``n = 12, m = 6`` for ``linear``).
"""

from __future__ import annotations

import itertools
import math
import time
from functools import lru_cache

import numpy as np

from ...errors import SolverError
from ..problems import LinearProblem, QAPProblem, TraceProblem
from ..result import BackendOutput, Status
from .fastest import restrict_to_fastest

__all__ = ["MAX_ASSIGNMENTS", "solve_brute"]

MAX_ASSIGNMENTS = 1_000_000
"""Largest number of assignments :func:`solve_brute` enumerates (``9! = 362,880`` fits, ``10!`` does not)."""

_CHUNK_ELEMENTS = 2_000_000  # array elements evaluated per chunk


def _evaluator(problem):
    """Vectorised objective of a block of assignments (rows), and the work per row."""
    if isinstance(problem, LinearProblem):
        rows = np.arange(problem.shape[0])
        return (lambda a: problem.cost[rows, a].sum(axis=1)), problem.shape[0]
    if isinstance(problem, QAPProblem):
        i, j = np.nonzero(problem.flow)
        weights = problem.flow[i, j]
        return (lambda a: problem.distance[a[:, i], a[:, j]] @ weights), max(len(i), 1)
    sets, inverse = np.unique(np.sort(problem.sets, axis=1), axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=problem.weights, minlength=len(sets))
    return (lambda a: problem.tau[a][:, sets].max(axis=2) @ weights), max(sets.size, 1)


@lru_cache(maxsize=2)
def _assignments(n: int, m: int) -> np.ndarray:
    """Every injective map of ``m`` items into ``n`` slots, one per row, in lexicographic order (read-only)."""
    count = math.perm(n, m)
    flat = itertools.chain.from_iterable(itertools.permutations(range(n), m))
    maps = np.fromiter(flat, dtype=np.int64, count=count * m).reshape(count, m)
    maps.flags.writeable = False
    return maps


def solve_brute(problem, *, time_limit=None, rng=None, max_assignments: int = MAX_ASSIGNMENTS) -> BackendOutput:
    """Enumerate all relevant assignments and return a proven optimum.

    With ``time_limit`` the search stops early with status TIME_LIMIT and the
    best assignment seen so far (no bound). More than ``max_assignments``
    assignments are refused with :class:`SolverError`.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import LinearProblem
    >>> out = solve_brute(LinearProblem(np.array([[3.0, 1.0, 2.0], [1.0, 4.0, 2.0]])))
    >>> out.assignment.tolist(), out.status.value
    ([1, 0], 'OPTIMAL')
    """
    if not isinstance(problem, (LinearProblem, QAPProblem, TraceProblem)):
        raise SolverError(f"brute cannot solve {type(problem).__name__}")
    problem, columns = restrict_to_fastest(problem)
    m, n = problem.shape
    count = math.perm(n, m)
    if count > max_assignments:
        raise SolverError(
            f"brute force would enumerate {count:,} assignments of {m} experts to {n} candidates; "
            f"the limit is {max_assignments:,} (option max_assignments)"
        )
    evaluate, work = _evaluator(problem)
    chunk = max(1, _CHUNK_ELEMENTS // work)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    maps = _assignments(n, m)
    best_value, best, seen = np.inf, None, 0
    for start in range(0, count, chunk):
        block = maps[start:start + chunk]
        values = evaluate(block)
        seen += len(block)
        k = int(np.argmin(values))
        if values[k] < best_value:
            best_value, best = values[k], block[k]
        if deadline is not None and time.perf_counter() > deadline:
            return BackendOutput(columns[best], Status.TIME_LIMIT, message=f"stopped after {seen:,} of {count:,} assignments",
                                 iterations=seen)
    return BackendOutput(columns[best], Status.OPTIMAL, message=f"optimal among {count:,} assignments",
                         iterations=count)
