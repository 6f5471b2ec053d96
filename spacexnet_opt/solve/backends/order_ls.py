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
The tables are sums of per-set terms: after a move only the sets holding a
moved expert whose statistics changed are subtracted and added again, so a
move costs ``O(m^2)`` plus the work on the sets it touched, not a rebuild.
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

import copy
import time

import numpy as np
from numba import njit

from ..result import BackendOutput, Status
from .closed_form import solve_sorted
from .expert_order import OrderProblem

__all__ = ["move_deltas", "solve_order_ls"]


def _suffix(h: np.ndarray) -> np.ndarray:
    """``out[:, q] = h[:, q:].sum(1)``."""
    return np.cumsum(h[:, ::-1], axis=1)[:, ::-1]


def _accumulate(table: np.ndarray, key: np.ndarray, values: np.ndarray) -> None:
    """``table.flat[key] += values`` with repeated keys summed (one bincount when the keys are many)."""
    flat = table.reshape(-1)
    if 8 * len(key) > flat.size:
        flat += np.bincount(key, weights=values, minlength=flat.size)
    else:
        np.add.at(flat, key, values)


def _set_state(op: OrderProblem, position: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``(len(rows), 3)``: last slot, the expert on it and the second-last slot (-1 if none) of sets ``rows``."""
    members = op.members[rows]
    slots = np.append(position, -1)[members]  # -1 for padding
    index = np.arange(len(rows))
    top = np.argmax(slots, axis=1)
    state = np.empty((len(rows), 3), dtype=np.int64)
    state[:, 0], state[:, 1] = slots[index, top], members[index, top]
    slots[index, top] = -1
    state[:, 2] = slots.max(axis=1, initial=-1)
    return state


class _MoveTables:
    """Statistics of one order from which every move's cost change follows in O(1), kept up to date move by move.

    Per set: ``last`` slot, its expert ``top``, ``second`` (last slot of the others,
    -1 if none). They feed histograms by expert and slot (``raw``), each a sum of
    per-set terms, so a move subtracts the old terms of the sets whose state it
    changed and adds their new ones (:meth:`update`). Derivations in ``formulations/order.md``.
    """

    def __init__(self, op: OrderProblem, position: np.ndarray):
        m, t = op.m, op.tau
        self.op, self.rise, self.fall = op, np.r_[0.0, np.diff(t)], np.r_[np.diff(t), 0.0]
        flat = np.flatnonzero(op.members >= 0)
        expert, r = op.members.reshape(-1)[flat], flat // op.members.shape[1]
        self.sets_of = r[np.argsort(expert.astype(np.min_scalar_type(m)), kind="stable")]  # radix sort, by expert
        self.start = np.r_[0, np.cumsum(np.bincount(expert, minlength=m))]
        shapes = {"h1": (m, m + 1), "h0": (m, m + 1), "base": (m,), "pair": (m, m), "down": (m,),
                  "own": (m, m), "up": (m,), "b1": (m, m), "b0": (m, m)}
        self.raw = {name: np.zeros(shape) for name, shape in shapes.items()}
        everything = np.arange(len(op.members))
        self.state = _set_state(op, position, everything)
        self._add(everything, self.state, 1.0)
        self.cost = float(op.weights @ t[self.state[:, 0]])

    def _add(self, rows: np.ndarray, state: np.ndarray, sign: float) -> None:
        """Add ``sign`` times the histogram terms of sets ``rows`` in ``state``."""
        m, t, raw = self.op.m, self.op.tau, self.raw
        w = sign * self.op.weights[rows]
        last, top, second = state.T
        members = self.op.members[rows].reshape(-1)
        flat = np.flatnonzero(members >= 0)
        i = flat // self.op.members.shape[1]
        expert, wi, last_i, second_i = members[flat], w[i], last[i], second[i]
        is_top = expert == top[i]
        other = np.where(is_top, second_i, last_i)
        add = lambda name, key, values: _accumulate(raw[name], key, values)
        add("h1", expert * (m + 1) + other + 1, wi * np.where(other >= 0, t[np.maximum(other, 0)], 0.0))
        add("h0", expert * (m + 1) + other + 1, wi)
        add("base", expert, wi * t[last_i])
        low = ~is_top
        add("pair", top[i][low] * m + expert[low], (wi * (t[np.maximum(second_i, 0)] - t[last_i]))[low])
        add("down", last, -w * self.rise[last])
        add("own", expert * m + last_i, -wi * self.rise[last_i])
        add("up", last, w * self.fall[last])
        add("b1", top * m + second + 1, w * t[second + 1])
        add("b0", top * m + second + 1, w)

    def update(self, position: np.ndarray, moved: np.ndarray) -> float:
        """Bring the tables to ``position`` after experts ``moved`` changed slot; returns the cost change.

        Only the sets holding a moved expert are looked at, and only those whose
        state changed are updated: the work is proportional to the sets touched.
        """
        counts = self.start[moved + 1] - self.start[moved]
        offsets = np.repeat(self.start[moved] - np.r_[0, np.cumsum(counts)[:-1]], counts)
        rows = np.unique(self.sets_of[offsets + np.arange(counts.sum())])
        state = _set_state(self.op, position, rows)
        changed = np.any(state != self.state[rows], axis=1)
        rows, state = rows[changed], state[changed]
        self._add(rows, self.state[rows], -1.0)
        self._add(rows, state, 1.0)
        t = self.op.tau
        change = float(self.op.weights[rows] @ (t[state[:, 0]] - t[self.state[rows, 0]]))
        self.state[rows] = state
        self.cost += change
        return change

    def copy(self) -> "_MoveTables":
        """An independent copy (histograms and set states copied; the problem and incidence shared)."""
        other = copy.copy(self)
        other.raw, other.state = {name: table.copy() for name, table in self.raw.items()}, self.state.copy()
        return other

    def deltas(self, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(swap[a, b], insert[a, q])``: cost change of swapping a and b, of inserting a at slot q."""
        raw = self.raw
        return _price(raw["h1"], raw["h0"], raw["base"], raw["pair"], raw["down"], raw["own"], raw["up"],
                      raw["b1"], raw["b0"], self.op.tau, position)


@njit(cache=True)
def _price(h1, h0, base, pair, down, own, up, b1, b0, t, p):  # pragma: no cover - compiled
    """Every move's change from the histograms in one pass (the sums of ``formulations/order.md``).

    ``move[a, q] = sum_{j > q} h1[a, j] + t[q] sum_{j <= q} h0[a, j] - base[a]`` (columns of h1, h0
    shifted by one: other = -1 is column 0); forward and backward inserts add the prefix sums of
    ``down``/``own`` and ``up``/``b1``/``b0`` over the slots they shift.
    """
    m = len(t)
    move, ends = np.empty((m, m)), np.empty((m, m))
    down_cum, up_cum = np.zeros(m + 1), np.zeros(m + 1)
    for i in range(m):
        down_cum[i + 1], up_cum[i + 1] = down_cum[i] + down[i], up_cum[i] + up[i]
    for a in range(m):
        tail, head, tail_b, head_b = h1[a, m], 0.0, 0.0, 0.0
        for q in range(m - 1, -1, -1):
            move[a, q] = tail
            tail += h1[a, q]
        for q in range(m):
            head += h0[a, q]
            move[a, q] += t[q] * head - base[a]
        for q in range(m - 1, -1, -1):
            tail_b += b1[a, q]
            ends[a, q] = tail_b
        for q in range(m):
            ends[a, q] += t[q] * head_b
            head_b += b0[a, q]
        ends[a, :] -= head_b * t[p[a]]
    swap, insert = np.empty((m, m)), np.zeros((m, m))
    for a in range(m):
        for b in range(m):
            swap[a, b] = move[a, p[b]] + move[b, p[a]] - pair[a, b] - pair[b, a]
        own_cum, pa = 0.0, p[a]
        for q in range(m):
            if q < pa:
                insert[a, q] = ends[a, q] + up_cum[pa] - up_cum[q]
            elif q > pa:
                own_cum += own[a, q]
                insert[a, q] = move[a, q] + down_cum[q + 1] - down_cum[pa + 1] - own_cum
    return swap, insert


def _position(order: np.ndarray) -> np.ndarray:
    """Slot of every expert."""
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return position


def move_deltas(op: OrderProblem, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost change of every swap ``(a, b)`` and every insert ``(a -> slot q)`` of ``order`` (by expert id)."""
    position = _position(order)
    return _MoveTables(op, position).deltas(position)


def _apply(order: np.ndarray, position: np.ndarray, swap: np.ndarray,
           insert: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order`` after the better of the best swap and the best insert, and the experts that changed slot."""
    m = len(order)
    if swap.min() <= insert.min():
        a, b = divmod(int(np.argmin(swap)), m)
        order = order.copy()
        order[[position[a], position[b]]] = order[[position[b], position[a]]]
        return order, np.array([a, b])
    a, q = divmod(int(np.argmin(insert)), m)
    p = position[a]
    return np.insert(np.delete(order, p), q, a), order[min(p, q):max(p, q) + 1]


def _descend(op: OrderProblem, order: np.ndarray, tables: _MoveTables,
             deadline: float | None) -> tuple[np.ndarray, float, int]:
    """Best-improvement descent; returns the local optimum, its cost and the number of moves.

    A move is taken only if its delta is below ``-1e-12`` times the scale of the objective's terms and
    the cost change recomputed over the sets it touched is negative, so rounding can never make the
    descent cycle. ``tables`` describe ``order`` on entry and follow each move (:meth:`_MoveTables.update`).
    """
    moves, position = 0, _position(order)
    tol = 1e-12 * float(op.weights.sum() * np.abs(op.tau).max())
    while deadline is None or time.perf_counter() < deadline:
        swap, insert = tables.deltas(position)
        if min(swap.min(), insert.min()) >= -tol:
            break
        candidate, moved = _apply(order, position, swap, insert)
        new_position = _position(candidate)
        if tables.update(new_position, moved) >= 0:
            tables.update(position, moved)  # back to ``order``
            break
        order, position, moves = candidate, new_position, moves + 1
    return order, op.cost(order), moves


def _kick(order: np.ndarray, tables: _MoveTables, size: int, rng: np.random.Generator) -> tuple[np.ndarray, _MoveTables]:
    """``order`` after ``size`` random swaps, and a copy of its ``tables`` following them."""
    order, tables = order.copy(), tables.copy()
    for _ in range(size):
        pair = rng.choice(len(order), 2, replace=False)
        order[pair] = order[pair[::-1]]
        tables.update(_position(order), order[pair])
    return order, tables


def solve_order_ls(problem, *, time_limit=None, rng=None, kicks: int = 100, kick_size: int = 3) -> BackendOutput:
    """Iterated local search on the expert order from the ``sorted`` placement (FEASIBLE, no bound)."""
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    op = OrderProblem.of(problem, "order-ls")
    rng = np.random.default_rng(rng)
    best = op.order(solve_sorted(problem).assignment)
    if op.m < 2 or len(op.weights) == 0:
        return BackendOutput(op.assignment(best), Status.FEASIBLE, message="nothing to search", iterations=0)
    best_tables = _MoveTables(op, _position(best))
    best, best_cost, moves = _descend(op, best, best_tables, deadline)
    done = 0
    while done < kicks and (deadline is None or time.perf_counter() < deadline):
        order, tables = _kick(best, best_tables, kick_size, rng)
        order, cost, more = _descend(op, order, tables, deadline)
        moves, done = moves + more, done + 1
        if cost < best_cost:
            best, best_cost, best_tables = order, cost, tables
    return BackendOutput(op.assignment(best), Status.FEASIBLE,
                         message=f"best of {done + 1} descents ({moves} moves, {done} kicks)", iterations=moves)


def _load_kernels() -> None:
    """Run :func:`_price` once on a tiny problem at import, so no time limit pays for loading it (numba's on-disk cache)."""
    z = np.zeros((2, 2))
    _price(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(2), z, np.zeros(2), z, np.zeros(2), z, z,
           np.zeros(2), np.arange(2))


_load_kernels()
