"""A ``top2`` or ``trace`` problem as a problem on the *order* of the experts.

Some optimum uses only the ``m`` fastest candidates (``formulations/top2.md``).
Sorted by latency they are the slots ``0..m-1`` with ``tau[0] <= ... <= tau[m-1]``;
an order puts expert ``order[j]`` on slot ``j``, and an activated set costs its
weight times the latency of the slot of its last-placed member
(``formulations/order.md``). :class:`OrderProblem` holds that view: the slots,
their latencies, the distinct activated sets (rows of expert ids padded with
``-1``) and their summed weights.

>>> from spacexnet_opt.solve.problems import TraceProblem
>>> p = TraceProblem(tau=[0.3, 0.1, 0.2], sets=[[0, 1], [1, 0], [1, 1]], n_experts=2)
>>> op = OrderProblem.of(p, "dp")
>>> op.slots.tolist(), op.members.tolist(), op.weights.tolist()
([1, 2], [[-1, 1], [0, 1]], [0.3333333333333333, 0.6666666666666666])
>>> op.cost(np.array([1, 0])), p.objective(op.assignment(np.array([1, 0])))
(0.16666666666666666, 0.16666666666666666)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SolverError
from ..problems import QAPProblem, TraceProblem
from ..reductions import qap_as_trace

__all__ = ["OrderProblem"]


def _distinct_sets(sets: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as sorted sets of distinct experts (repeats become ``-1``), merged, weights summed, zeros dropped."""
    if sets.size == 0:
        return np.full((0, 1), -1, dtype=np.int64), np.zeros(0)
    rows = np.sort(sets, axis=1)
    rows[:, 1:][rows[:, 1:] == rows[:, :-1]] = -1
    rows = np.sort(rows, axis=1)
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique))
    keep = summed != 0
    return unique[keep], summed[keep]


@dataclass(frozen=True, eq=False)
class OrderProblem:
    """Slots (candidate columns by latency), their latencies, distinct sets padded with -1, weights."""

    slots: np.ndarray
    tau: np.ndarray
    members: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, problem, method: str) -> "OrderProblem":
        """The order view of a ``top2`` or ``trace`` problem with non-negative weights (else SolverError)."""
        trace = qap_as_trace(problem) if isinstance(problem, QAPProblem) else problem
        if not isinstance(trace, TraceProblem):
            raise SolverError(f"{method} solves top2 and trace problems only, not {problem.kind!r}")
        if np.any(trace.weights < 0):
            raise SolverError(f"{method} needs non-negative set weights (the m fastest candidates then hold an optimum)")
        slots = np.argsort(trace.tau, kind="stable")[: trace.n_experts]
        members, weights = _distinct_sets(trace.sets, trace.weights)
        return cls(slots, trace.tau[slots], members, weights)

    @property
    def m(self) -> int:
        return len(self.slots)

    def assignment(self, order: np.ndarray) -> np.ndarray:
        """Candidate column of each expert when expert ``order[j]`` sits on slot ``j``."""
        a = np.empty(self.m, dtype=np.int64)
        a[order] = self.slots
        return a

    def order(self, assignment: np.ndarray) -> np.ndarray:
        """The order of an assignment onto the slots (inverse of :meth:`assignment`)."""
        rank = np.full(int(max(assignment.max(initial=0), self.slots.max(initial=0))) + 1, -1)
        rank[self.slots] = np.arange(self.m)
        order = np.empty(self.m, dtype=np.int64)
        order[rank[assignment]] = np.arange(self.m)
        return order

    def last_slots(self, position: np.ndarray) -> np.ndarray:
        """Slot of the last-placed member of every set, given each expert's slot."""
        return np.append(position, -1)[self.members].max(axis=1)

    def cost(self, order: np.ndarray) -> float:
        """Objective of ``order``: the sum of set weights times the latency of their last slot."""
        position = np.empty(self.m, dtype=np.int64)
        position[order] = np.arange(self.m)
        return float(self.weights @ self.tau[self.last_slots(position)])
