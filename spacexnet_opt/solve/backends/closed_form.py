"""The paper's closed form: experts by activation descending against candidates by latency ascending.

Exact (OPTIMAL) only for a :class:`LinearProblem` with non-negative rank-one
cost ``c[i, s] = activation[i] * tau[s]`` (rearrangement inequality); for every
other problem it is a heuristic and reports FEASIBLE without a bound.
"""

from __future__ import annotations

import numpy as np

from ...errors import SolverError
from ..problems import LinearProblem, QAPProblem, TraceProblem
from ..result import BackendOutput, Status

__all__ = ["solve_sorted", "sorted_assignment"]


def sorted_assignment(activation, tau) -> np.ndarray:
    """Assignment matching experts by ``activation`` (descending) to the fastest ``tau`` (ascending).

    >>> sorted_assignment([0.2, 0.5, 0.3], [0.9, 0.1, 0.4, 0.2])
    array([2, 1, 3])
    """
    activation = np.asarray(activation, float)
    experts = np.argsort(-activation, kind="stable")
    candidates = np.argsort(np.asarray(tau, float), kind="stable")[: len(activation)]
    assignment = np.empty(len(activation), dtype=np.int64)
    assignment[experts] = candidates
    return assignment


def _marginal_activation(problem) -> np.ndarray:
    """Activation of each expert: given, or the marginals implied by the flow or the trace."""
    if problem.activation is not None:
        return np.asarray(problem.activation, float)
    if isinstance(problem, QAPProblem):
        return (problem.flow + problem.flow.T).sum(axis=1)
    if isinstance(problem, TraceProblem):
        return np.bincount(problem.sets.ravel(), weights=np.repeat(problem.weights, problem.sets.shape[1]),
                           minlength=problem.n_experts)
    raise SolverError("sorted needs expert activations for a linear problem with a general cost matrix")


def _is_exact(problem) -> bool:
    """Non-negative rank-one linear cost: O(m + n) when the problem was made from its factors."""
    if not isinstance(problem, LinearProblem) or problem.activation is None or problem.tau is None:
        return False
    return bool(np.all(np.asarray(problem.activation) >= 0) and problem.is_rank_one())


def solve_sorted(problem, *, time_limit=None, rng=None) -> BackendOutput:
    """Closed-form sort-and-match placement.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import LinearProblem
    >>> out = solve_sorted(LinearProblem.rank_one([0.7, 0.3], [0.5, 0.1, 0.2]))
    >>> out.assignment.tolist(), out.status.value
    ([1, 2], 'OPTIMAL')
    """
    if problem.tau is None:
        raise SolverError(f"sorted needs candidate latencies tau; problem {problem.name!r} has none")
    assignment = sorted_assignment(_marginal_activation(problem), problem.tau)
    return BackendOutput(assignment, Status.OPTIMAL if _is_exact(problem) else Status.FEASIBLE)
