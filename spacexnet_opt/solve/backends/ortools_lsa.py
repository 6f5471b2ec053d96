"""OR-Tools linear sum assignment (``SimpleLinearSumAssignment``, cost-scaling push-relabel).

The solver needs a square matrix of integer costs. A rectangular ``m x n`` cost
is padded with ``n - m`` zero-cost dummy experts, and costs are floor-scaled by a
power of two (:func:`spacexnet_opt.solve.scaling.floor_scale`) so that the
largest scaled cost stays below ``2**62 / (n (n + 1))`` (the solver multiplies
costs by ``n + 1`` internally); that gives every entry a precision of about
``n**2 / 2**62`` of the largest cost. If OR-Tools still reports a possible
overflow, the budget is lowered by ``2**8`` and the solve repeated.

The integer optimum divided by the scale is a rigorous lower bound ``L`` of the
true optimum; the assignment's objective ``U`` is recomputed from the data. The
status is OPTIMAL when ``U - L <= OPTIMAL_RTOL * max(|U|, |L|)`` (1e-7), else
FEASIBLE with bound ``L``.
"""

from __future__ import annotations

import numpy as np

from ...errors import BackendUnavailableError, SolverError
from ..problems import LinearProblem, Problem
from ..result import BackendOutput, Status
from ..scaling import floor_scale, lower_bound, optimality_status

__all__ = ["solve_ortools_lsa"]


def solve_ortools_lsa(problem: Problem, *, time_limit: float | None = None, rng: np.random.Generator | None = None) -> BackendOutput:
    """Solve a :class:`LinearProblem` with OR-Tools; ``time_limit`` and ``rng`` are not used.

    >>> import numpy as np
    >>> from spacexnet_opt.solve import solve
    >>> r = solve(LinearProblem(np.array([[1.0, 5.0, 0.5], [2.0, 1.0, 3.0]])), method="ortools-lsa")
    >>> r.assignment.tolist(), r.objective, r.status.value
    ([2, 1], 1.5, 'OPTIMAL')
    """
    if not isinstance(problem, LinearProblem):
        raise SolverError(f"ortools-lsa solves linear problems only, not {problem.kind}")
    try:
        from ortools.graph.python import linear_sum_assignment
    except ImportError:
        raise BackendUnavailableError("the ortools-lsa backend needs OR-Tools: pip install ortools") from None
    m, n = problem.shape
    if m == 0:
        return BackendOutput(np.zeros(0, dtype=np.int64), Status.OPTIMAL, 0.0)
    padded = np.zeros((n, n))
    padded[:m] = problem.cost
    rows, cols = np.indices((n, n)).reshape(2, -1)
    budget = 2**62 // (n * (n + 1))
    while budget >= 1:
        costs, scale = floor_scale(padded, budget=budget)
        solver = linear_sum_assignment.SimpleLinearSumAssignment()
        solver.add_arcs_with_cost(rows, cols, costs.ravel())
        status = solver.solve()
        if status != solver.POSSIBLE_OVERFLOW:
            break
        budget //= 2**8
    if status != solver.OPTIMAL:
        raise SolverError(f"OR-Tools linear sum assignment failed with status {status.name}")
    assignment = np.array([solver.right_mate(i) for i in range(m)], dtype=np.int64)
    bound = lower_bound(solver.optimal_cost(), scale)
    return BackendOutput(assignment, optimality_status(problem.objective(assignment), bound), bound)
