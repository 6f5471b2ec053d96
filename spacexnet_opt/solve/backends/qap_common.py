"""Shared preparation of QAP backends: square padding, the ``top2`` reduction, symmetrising, the default thread count."""

from __future__ import annotations

import numpy as np

from ...errors import SolverError
from ...threads import usable_cores
from ..problems import QAPProblem
from .fastest import restrict_to_fastest

__all__ = ["square_qap", "symmetrised", "default_workers"]


def square_qap(problem, method: str):
    """Return ``(flow, distance, columns, reduced)`` of an ``n x n`` QAP equivalent to ``problem``.

    A ``top2`` problem is first restricted to its ``m`` fastest candidates (an
    optimum lies there); a rectangular general QAP gets ``n - m`` dummy
    facilities with zero flow. Facility ``i < m`` of the square problem at
    location ``p[i]`` is expert ``i`` on candidate ``columns[p[i]]``.
    """
    if not isinstance(problem, QAPProblem):
        raise SolverError(f"{method} solves QAP problems (top2 or QAPLIB) only, not {problem.kind!r}")
    problem, columns = restrict_to_fastest(problem)
    m, n = problem.shape
    flow = np.zeros((n, n))
    flow[:m, :m] = problem.flow
    return flow, problem.distance, columns, problem


def symmetrised(flow: np.ndarray, distance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(flow, distance)`` with the same objective ``sum_ij flow[i, j] distance[p(i), p(j)]``, both symmetric if one is.

    If one matrix is symmetric, replacing the other by its symmetric part keeps
    every objective (``top2`` flows are upper triangular, their distances symmetric).

    >>> f, d = symmetrised(np.array([[0.0, 4.0], [0.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> f.tolist()
    [[0.0, 2.0], [2.0, 0.0]]
    """
    if np.array_equal(distance, distance.T):
        return (flow + flow.T) / 2, distance
    if np.array_equal(flow, flow.T):
        return flow, (distance + distance.T) / 2
    return flow, distance


def default_workers() -> int:
    """Threads of a parallel backend by default: the cores this process may use (2 on the project machine)."""
    return usable_cores()
