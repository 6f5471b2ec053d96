"""Exact ``top2`` and ``trace`` by dynamic programming over subsets of experts.

With ``W(S)`` the total weight of the activated sets contained in the expert
set ``S`` and the slot latencies ``t[0] <= ... <= t[m-1]`` of the ``m`` fastest
candidates, the cost of an order with prefixes ``S_1 ⊂ ... ⊂ S_m`` is
``t[m-1] W(all) - sum_{j<m} (t[j] - t[j-1]) W(S_j)``, so the optimum maximises

    g(S) = (t[|S|] - t[|S|-1]) W(S) + max_{e in S} g(S - {e}),   g(∅) = 0

(``t[m] := t[m-1]``). ``W`` comes from one subset-sum (zeta) transform of the
set weights; ``g`` is filled layer by layer (subsets of equal size), then the
optimal order is read back from ``g``. Time ``O(m 2^m)`` plus the sets, memory
about :data:`BYTES_PER_SUBSET` bytes per subset. Recursion and proof:
``formulations/order.md``.

>>> from spacexnet_opt.solve.problems import QAPProblem
>>> p = QAPProblem.top2(np.array([[0, 0.6, 0.1], [0, 0, 0.3], [0, 0, 0]]), [0.3, 0.1, 0.2, 0.4])
>>> out = solve_dp(p)
>>> round(p.objective(out.assignment), 12), out.status.value
(0.24, 'OPTIMAL')
"""

from __future__ import annotations

import time

import numpy as np

from ...errors import SolverError
from ..result import BackendOutput, Status
from .closed_form import solve_sorted
from .expert_order import OrderProblem

__all__ = ["BYTES_PER_SUBSET", "SECONDS_PER_SUBSET", "dp_estimate", "solve_dp"]

BYTES_PER_SUBSET = 32
"""Peak memory per subset: W and g (float64), the size order (int32), sizes, layer temporaries."""

SECONDS_PER_SUBSET = 3e-8
"""Wall time per subset and expert, measured on the project machine (``bench/bench_order.py``)."""


def dp_estimate(m: int) -> tuple[float, float]:
    """``(bytes, seconds)`` the programme needs for ``m`` experts.

    >>> [round(v) for v in dp_estimate(20)]
    [33554432, 1]
    """
    return BYTES_PER_SUBSET * 2.0**m, SECONDS_PER_SUBSET * m * 2.0**m


def _subset_weights(op: OrderProblem) -> np.ndarray:
    """``W[mask]``: total weight of the sets whose experts all lie in ``mask``."""
    m = op.m
    bits = np.where(op.members >= 0, np.left_shift(1, np.maximum(op.members, 0)), 0)
    w = np.bincount(np.bitwise_or.reduce(bits, axis=1), weights=op.weights, minlength=1 << m)
    for e in range(m):
        view = w.reshape(-1, 2, 1 << e)
        view[:, 1, :] += view[:, 0, :]
    return w


def _layers(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Subsets ordered by size (int32) and the start of each size in that order."""
    masks = np.arange(1 << m, dtype=np.int32)
    size = np.zeros(1 << m, dtype=np.uint8)
    for e in range(m):
        size += ((masks >> e) & 1).astype(np.uint8)
    return np.argsort(size, kind="stable").astype(np.int32), np.r_[0, np.cumsum(np.bincount(size, minlength=m + 1))]


def _fill(op: OrderProblem, deadline: float | None) -> np.ndarray | None:
    """The table ``g`` of the module docstring, or None when ``deadline`` passes first."""
    m, t = op.m, op.tau
    w = _subset_weights(op)
    step = np.r_[np.diff(t), 0.0]  # step[k-1] = t[k] - t[k-1] multiplies W of the size-k subsets
    g = np.zeros(1 << m)
    order, start = _layers(m)
    for k in range(1, m + 1):
        masks = order[start[k] : start[k + 1]]
        best = np.full(len(masks), -np.inf)
        for e in range(m):
            has = ((masks >> e) & 1).astype(bool)
            np.maximum(best, np.where(has, g[masks ^ (1 << e)], -np.inf), out=best)
        g[masks] = best + step[k - 1] * w[masks]
        if deadline is not None and time.perf_counter() > deadline:
            return None
    return g


def _read_order(g: np.ndarray, m: int) -> np.ndarray:
    """An optimal order: from the full set, repeatedly drop the expert whose removal keeps the best ``g``."""
    order = np.empty(m, dtype=np.int64)
    mask = (1 << m) - 1
    for slot in range(m - 1, -1, -1):
        members = [e for e in range(m) if mask >> e & 1]
        e = members[int(np.argmax([g[mask ^ (1 << e)] for e in members]))]
        order[slot] = e
        mask ^= 1 << e
    return order


def solve_dp(problem, *, time_limit=None, rng=None, max_experts: int = 22) -> BackendOutput:
    """Exact ``top2``/``trace`` placement by the subset programme (``m <= max_experts``).

    Refuses with :class:`SolverError`, giving the memory and time estimate, when
    ``m > max_experts`` or when the time estimate exceeds ``time_limit``. If the
    limit passes during the fill, returns the ``sorted`` placement as TIME_LIMIT.
    """
    start = time.perf_counter()
    op = OrderProblem.of(problem, "dp")
    memory, seconds = dp_estimate(op.m)
    estimate = f"{op.m} experts: 2**{op.m} subsets, about {memory / 2**20:.3g} MiB and {seconds:.3g} s"
    if op.m > max_experts:
        raise SolverError(f"dp refuses {estimate} (option max_experts = {max_experts}); use order-ls")
    if time_limit is not None and seconds > time_limit:
        raise SolverError(f"dp refuses {estimate}, more than the time limit of {time_limit:g} s")
    g = _fill(op, None if time_limit is None else start + time_limit)
    if g is None:
        return BackendOutput(solve_sorted(problem).assignment, Status.TIME_LIMIT,
                             message="time limit reached while filling the table; sorted placement returned")
    order = _read_order(g, op.m)
    return BackendOutput(op.assignment(order), Status.OPTIMAL,
                         message=f"optimal over 2**{op.m} subsets", iterations=1 << op.m)
