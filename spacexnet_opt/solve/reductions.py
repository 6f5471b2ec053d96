"""Exact reductions shared by the exact backends (CP-SAT, the MILPs, the export).

Two facts shrink the bottleneck models without losing optimality (proofs in
``formulations/top2.md`` and ``formulations/trace.md``):

* For a trace problem with non-negative weights, and for a QAP whose distance is
  ``max(tau[s], tau[t])`` with non-negative flow (the ``top2`` objective), some
  optimum uses only the ``m`` fastest candidates: an expert on a slower
  candidate can move to an unused faster one without raising any maximum.
* Such a QAP *is* a trace problem: ``sum_{i<j} F_ij max(tau_a(i), tau_a(j))`` is
  the weighted sum of the bottlenecks of the expert pairs ``{i, j}``.

>>> import numpy as np
>>> from spacexnet_opt.solve.problems import QAPProblem
>>> q = QAPProblem.top2(np.array([[0, .5, .1], [0, 0, .4], [0, 0, 0]]), [3., 1., 2., 9.])
>>> candidate_columns(q).tolist()
[0, 1, 2]
>>> qap_as_trace(q).sets.tolist()
[[0, 1], [0, 2], [1, 2]]
"""

from __future__ import annotations

import numpy as np

from .problems import LinearProblem, Problem, QAPProblem, TraceProblem

__all__ = ["qap_as_trace", "candidate_columns"]


def qap_as_trace(problem: QAPProblem) -> TraceProblem | None:
    """The bottleneck QAP as an equivalent :class:`TraceProblem`, or None if it is not one.

    Each expert pair ``i < j`` with ``F_ij + F_ji > 0`` becomes a set ``[i, j]``
    with that weight; a diagonal flow ``F_ii`` becomes the set ``[i, i]`` (the
    maximum of one latency). Both problems have the same objective for every
    assignment.
    """
    if problem.kind != "top2":
        return None
    sym = np.triu(problem.flow + problem.flow.T, k=1) + np.diag(np.diag(problem.flow))
    rows, cols = np.nonzero(sym)
    sets = np.stack([rows, cols], axis=1).reshape(-1, 2)
    return TraceProblem(
        problem.tau, sets, n_experts=problem.shape[0], weights=sym[rows, cols],
        activation=problem.activation, name=problem.name,
    )


def candidate_columns(problem: Problem) -> np.ndarray:
    """Candidate columns an exact model needs (sorted), all of them unless a reduction applies.

    Returns the ``m`` fastest candidates (ties broken by index) for trace
    problems with non-negative weights and for bottleneck QAPs, where some
    optimum lies among them; otherwise ``arange(n)``.
    """
    m, n = problem.shape
    if isinstance(problem, LinearProblem):
        return np.arange(n)
    if problem.kind == "qap":
        return np.arange(n)
    if isinstance(problem, TraceProblem) and np.any(problem.weights < 0):
        return np.arange(n)
    return np.sort(np.argsort(problem.tau, kind="stable")[:m])
