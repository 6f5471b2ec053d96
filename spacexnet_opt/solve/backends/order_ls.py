"""Local search on the expert order for ``top2`` and ``trace`` (any number of experts).

The search works on the order view of :mod:`.expert_order`: expert ``order[j]``
on slot ``j`` of the ``m`` fastest candidates, a set paying the latency of the
slot of its last-placed member. Three neighbourhoods, ``O(m^2)`` moves each:

* *swap* two experts;
* *insert forward*: expert ``a`` leaves slot ``p`` for slot ``q > p``, the
  experts on ``p+1..q`` move one slot faster;
* *insert backward*: ``a`` moves to ``q < p``, those on ``q..p-1`` one slot slower.

The change of every move is evaluated at once, without recomputing any
objective, from per-set statistics of the current order (last slot ``M``, the
expert on it, second-last slot ``O``) gathered into ``m x m`` tables by
expert and slot (:class:`_MoveTables`; derivation in ``formulations/order.md``).
The best improving move is applied until none improves; then ``kicks`` times a
random perturbation of ``kick_size`` swaps of the best order is followed by a
new descent, kept if better. The start is the ``sorted`` placement.

>>> from spacexnet_opt.solve.problems import QAPProblem
>>> p = QAPProblem.top2(np.array([[0, 0.6, 0.1], [0, 0, 0.3], [0, 0, 0]]), [0.3, 0.1, 0.2, 0.4])
>>> out = solve_order_ls(p, rng=0)
>>> round(p.objective(out.assignment), 12), out.status.value
(0.24, 'FEASIBLE')
"""

from __future__ import annotations

import time

import numpy as np

from ..result import BackendOutput, Status
from .closed_form import solve_sorted
from .expert_order import OrderProblem

__all__ = ["move_deltas", "solve_order_ls"]


def _suffix(h: np.ndarray) -> np.ndarray:
    """``out[:, q] = h[:, q:].sum(1)``."""
    return np.cumsum(h[:, ::-1], axis=1)[:, ::-1]


def _table(key: np.ndarray, weights: np.ndarray, m: int, width: int) -> np.ndarray:
    """``(m, width)`` sums of ``weights`` by flat index ``key = expert * width + column``."""
    return np.bincount(key, weights=weights, minlength=m * width).reshape(m, width)


class _MoveTables:
    """Statistics of one order from which every move's cost change follows in O(1).

    Per set: ``last`` slot, its expert, ``second`` (last slot of the others,
    -1 if none). Per incidence (set, expert): ``other``, the last slot of the
    set's other members. Derivations in ``formulations/order.md``.
    """

    def __init__(self, op: OrderProblem, position: np.ndarray):
        m, t = op.m, op.tau
        slots = np.append(position, -1)[op.members]  # (S, k), -1 for padding
        rows = np.arange(len(slots))
        top = np.argmax(slots, axis=1)
        self.last = last = slots[rows, top]
        slots[rows, top] = -1
        second = slots.max(axis=1)
        r, c = np.nonzero(op.members >= 0)
        self.expert, self.w_inc, self.last_inc = op.members[r, c], op.weights[r], last[r]
        self.is_top, self.second_inc = c == top[r], second[r]
        self.op, self.rise, self.fall = op, np.r_[0.0, np.diff(t)], np.r_[np.diff(t), 0.0]
        self.move = self._alone()
        self.pair = self._shared(op.members[r, top[r]])
        self.forward_parts = self._forward()
        self.backward_parts = self._backward()

    def _alone(self) -> np.ndarray:
        """``move[a, q]``: change of a's sets when a alone moves to slot q, = sum w (t[max(other, q)] - t[last])."""
        m, t, w = self.op.m, self.op.tau, self.w_inc
        other = np.where(self.is_top, self.second_inc, self.last_inc)
        key = self.expert * (m + 1) + other + 1
        h1 = _table(key, w * np.where(other >= 0, t[np.maximum(other, 0)], 0.0), m, m + 1)
        h0 = _table(key, w, m, m + 1)
        base = np.bincount(self.expert, weights=w * t[self.last_inc], minlength=m)
        return _suffix(h1)[:, 1:] + t[None, :] * np.cumsum(h0, axis=1)[:, :-1] - base[:, None]

    def _shared(self, top_expert: np.ndarray) -> np.ndarray:
        """Swap correction: ``move`` counts ``w (t[second] - t[last])`` for a set holding both experts, which a swap leaves unchanged."""
        m, t = self.op.m, self.op.tau
        low = ~self.is_top
        values = (self.w_inc * (t[np.maximum(self.second_inc, 0)] - t[self.last_inc]))[low]
        pair = _table(top_expert[low] * m + self.expert[low], values, m, m)
        return pair + pair.T

    def _forward(self) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative gains of sets ending on slots p+1..q, all and a's own, when those slots move one faster."""
        m, w = self.op.m, self.op.weights
        down = -np.bincount(self.last, weights=w * self.rise[self.last], minlength=m)
        own = -_table(self.expert * m + self.last_inc, self.w_inc * self.rise[self.last_inc], m, m)
        return np.r_[0.0, np.cumsum(down)], np.c_[np.zeros(m), np.cumsum(own, axis=1)]

    def _backward(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sets ending at a end at slot ``max(second + 1, q)`` after a moves back to q; others on q..p-1 one slower."""
        m, t, w = self.op.m, self.op.tau, self.op.weights
        up = np.bincount(self.last, weights=w * self.fall[self.last], minlength=m)
        top = self.is_top
        key = self.expert[top] * m + self.second_inc[top] + 1
        wt = self.w_inc[top]
        h1 = _table(key, wt * t[self.second_inc[top] + 1], m, m)
        h0 = _table(key, wt, m, m)
        ends = _suffix(h1) + t[None, :] * np.c_[np.zeros(m), np.cumsum(h0, axis=1)[:, :-1]]
        return np.r_[0.0, np.cumsum(up)], ends, h0.sum(axis=1)

    def deltas(self, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(swap[a, b], insert[a, q])``: cost change of swapping a and b, of inserting a at slot q."""
        m, t, p = self.op.m, self.op.tau, position
        swap = self.move[:, p]
        swap = swap + swap.T - self.pair
        q, pa = np.arange(m)[None, :], p[:, None]
        down_cum, own_cum = self.forward_parts
        forward = (self.move + down_cum[q + 1] - down_cum[pa + 1]
                   - own_cum[:, 1:] + np.take_along_axis(own_cum, pa + 1, axis=1))
        up_cum, ends, ends_weight = self.backward_parts
        backward = ends - (ends_weight * t[p])[:, None] + up_cum[pa] - up_cum[q]
        return swap, np.where(q > pa, forward, np.where(q < pa, backward, 0.0))


def move_deltas(op: OrderProblem, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost change of every swap ``(a, b)`` and every insert ``(a -> slot q)`` of ``order`` (by expert id)."""
    position = np.empty(op.m, dtype=np.int64)
    position[order] = np.arange(op.m)
    return _MoveTables(op, position).deltas(position)


def _apply(order: np.ndarray, swap: np.ndarray, insert: np.ndarray) -> np.ndarray:
    """``order`` after the better of the best swap and the best insert."""
    m = len(order)
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    if swap.min() <= insert.min():
        a, b = divmod(int(np.argmin(swap)), m)
        order = order.copy()
        order[[position[a], position[b]]] = order[[position[b], position[a]]]
        return order
    a, q = divmod(int(np.argmin(insert)), m)
    return np.insert(np.delete(order, position[a]), q, a)


def _descend(op: OrderProblem, order: np.ndarray, deadline: float | None) -> tuple[np.ndarray, float, int]:
    """Best-improvement descent; returns the local optimum, its cost and the number of moves.

    A move is taken only if its delta is below ``-1e-12`` times the scale of the objective's terms and
    the recomputed cost really decreases, so rounding can never make the descent cycle.
    """
    cost, moves = op.cost(order), 0
    if op.m < 2 or len(op.weights) == 0:
        return order, cost, moves
    tol = 1e-12 * float(op.weights.sum() * np.abs(op.tau).max())
    while deadline is None or time.perf_counter() < deadline:
        swap, insert = move_deltas(op, order)
        if min(swap.min(), insert.min()) >= -tol:
            break
        candidate = _apply(order, swap, insert)
        new_cost = op.cost(candidate)
        if new_cost >= cost:
            break
        order, cost, moves = candidate, new_cost, moves + 1
    return order, cost, moves


def solve_order_ls(problem, *, time_limit=None, rng=None, kicks: int = 100, kick_size: int = 3) -> BackendOutput:
    """Iterated local search on the expert order from the ``sorted`` placement (FEASIBLE, no bound)."""
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    op = OrderProblem.of(problem, "order-ls")
    rng = np.random.default_rng(rng)
    best, best_cost, moves = _descend(op, op.order(solve_sorted(problem).assignment), deadline)
    done = 0
    while done < (kicks if op.m > 1 else 0) and (deadline is None or time.perf_counter() < deadline):
        order = best.copy()
        for _ in range(kick_size):
            i, j = rng.choice(op.m, 2, replace=False)
            order[[i, j]] = order[[j, i]]
        order, cost, more = _descend(op, order, deadline)
        moves, done = moves + more, done + 1
        if cost < best_cost:
            best, best_cost = order, cost
    return BackendOutput(op.assignment(best), Status.FEASIBLE,
                         message=f"best of {done + 1} descents ({moves} moves, {done} kicks)", iterations=moves)
