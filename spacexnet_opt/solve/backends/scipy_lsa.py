"""Rectangular linear assignment with :func:`scipy.optimize.linear_sum_assignment` (Jonker–Volgenant)."""

from __future__ import annotations

from ...errors import SolverError
from ..problems import LinearProblem
from ..result import BackendOutput, Status

__all__ = ["solve_hungarian"]


def solve_hungarian(problem, *, time_limit=None, rng=None) -> BackendOutput:
    """Exact minimum-cost assignment of a :class:`LinearProblem` (m experts <= n candidates).

    Examples
    --------
    >>> import numpy as np
    >>> out = solve_hungarian(LinearProblem(np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0]])))
    >>> out.assignment.tolist(), out.status.value
    ([1, 0], 'OPTIMAL')
    """
    if not isinstance(problem, LinearProblem):
        raise SolverError(f"hungarian solves linear problems only, not {problem.kind!r}")
    from scipy.optimize import linear_sum_assignment

    _, columns = linear_sum_assignment(problem.cost)
    return BackendOutput(columns.astype("int64"), Status.OPTIMAL)
