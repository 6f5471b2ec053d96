"""Exact branch and bound for the QAP with the Gilmore–Lawler bound (GLB).

Depth-first search over partial assignments of facilities to locations
(started from a tabu-search incumbent when a time limit is given). At every node the GLB of *every* child
(one unassigned facility placed on one free location) is computed in one
vectorised batch: the cost of a child is its fixed part plus a linear
assignment problem whose cost for facility ``j`` on location ``l`` is the
exact cost of ``j`` against the assigned facilities plus the minimal scalar
product of ``j``'s remaining flows (ascending) with ``l``'s remaining
distances (descending). The node branches on the facility whose children are
pruned most often (ties: the largest sum of child bounds); surviving children
are explored best bound first. See ``formulations/qap-bnb.md``.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from ...errors import SolverError
from ..problems import QAPProblem
from ..result import BackendOutput, Status
from .qap_common import square_qap
from .tabu import solve_tabu

__all__ = ["MAX_LOCATIONS", "TABU_SECONDS", "TABU_SHARE", "solve_bnb"]

MAX_LOCATIONS = 40
"""Largest square size (locations after the ``top2`` reduction) :func:`solve_bnb` accepts."""

TABU_SHARE, TABU_SECONDS = 0.1, 1.0
"""Share of a time limit, and its cap in seconds, spent on the tabu-search incumbent."""


def _without_self(n: int) -> np.ndarray:
    """``(n, n - 1)`` array whose row ``i`` lists ``0..n-1`` except ``i``."""
    idx = np.arange(n)
    return np.broadcast_to(idx, (n, n))[idx[:, None] != idx[None, :]].reshape(n, n - 1)


def _sorted_rows_without(matrix: np.ndarray, others: np.ndarray, descending: bool) -> np.ndarray:
    """``out[i, a, :]``: row ``others[i, a]`` of ``matrix`` sorted, without its diagonal and column ``i``.

    ``matrix`` is ``(r, r)``, ``others = _without_self(r)``; the result is ``(r, r - 1, r - 2)``.
    """
    r = matrix.shape[0]
    values = matrix[np.arange(r)[:, None], others]  # off-diagonal entries of each row, (r, r-1)
    order = np.argsort(-values if descending else values, axis=1, kind="stable")
    cols = np.take_along_axis(others, order, axis=1)
    vals = np.take_along_axis(values, order, axis=1)
    keep = cols[others] != np.arange(r)[:, None, None]  # (i, a, t): drop column i from row others[i, a]
    return vals[others][keep].reshape(r, r - 1, r - 2)


class _Bounder:
    """GLB of all children of a node of the square QAP ``flow``, ``distance``."""

    def __init__(self, flow: np.ndarray, distance: np.ndarray):
        self.flow, self.distance = flow, distance

    def children(self, free_fac, free_loc, linear, branch_rows):
        """Fixed cost increase and LAP cost tensors of the children ``(i, k)``.

        ``linear[a, b]`` is the cost of facility ``free_fac[a]`` on location
        ``free_loc[b]`` against the assigned facilities (diagonal included).
        Returns ``(delta, cost)`` for rows ``branch_rows`` of ``free_fac``:
        ``delta[i, k] = linear[i, k]`` and ``cost[i, k]`` the ``(r-1, r-1)``
        GLB matrix of the remaining facilities and locations.
        """
        r = len(free_fac)
        f = self.flow[np.ix_(free_fac, free_fac)]
        d = self.distance[np.ix_(free_loc, free_loc)]
        others = _without_self(r)
        fs = _sorted_rows_without(f, others, descending=False)[branch_rows]  # (b, r-1, r-2)
        ds = _sorted_rows_without(d, others, descending=True)  # (r, r-1, r-2)
        cost = fs[:, None] @ ds[None].transpose(0, 1, 3, 2)  # minimal scalar products, (b, r, r-1, r-1)
        jj = others[branch_rows]  # remaining facilities of child row i, (b, r-1)
        ii = np.asarray(branch_rows)[:, None]
        cost += linear[jj[:, None, :, None], others[None, :, None, :]]
        # interaction of each remaining facility j on l with the newly placed i on k
        f_in, f_out = f[jj, ii], f[ii, jj]  # F[j, i], F[i, j]
        d_in, d_out = d[others, np.arange(r)[:, None]], d[np.arange(r)[:, None], others]  # D[l, k], D[k, l]
        cost += f_in[:, None, :, None] * d_in[None, :, None, :] + f_out[:, None, :, None] * d_out[None, :, None, :]
        return linear[branch_rows], cost


def _reduction_bound(cost: np.ndarray) -> np.ndarray:
    """Dual bound of a batch of LAPs (last two axes) from row then column minima: cheap, at most the LAP value."""
    rows = cost.min(axis=-1)
    cols = (cost - rows[..., None]).min(axis=-2)
    return rows.sum(axis=-1) + cols.sum(axis=-1)


def _lap_values(cost: np.ndarray) -> np.ndarray:
    """Optimal values of a batch ``(B, q, q)`` of linear assignment problems."""
    if len(cost) == 0:
        return np.zeros(0)
    cols = np.array([linear_sum_assignment(c)[1] for c in cost])
    return np.take_along_axis(cost, cols[:, :, None], axis=2).sum(axis=(1, 2))


def solve_bnb(problem, *, time_limit=None, rng=None) -> BackendOutput:
    """Prove a QAP optimum by depth-first branch and bound with the Gilmore–Lawler bound.

    Handles QAPLIB-style problems, rectangular ones (zero-flow dummy
    facilities) and ``top2`` problems (reduced to the ``m`` fastest candidates).
    Returns OPTIMAL with the incumbent, or TIME_LIMIT with the incumbent and the
    smallest bound of the unexplored nodes when ``time_limit`` ends the search.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> f = np.array([[0, 5, 2], [5, 0, 3], [2, 3, 0]]); d = np.array([[0, 8, 15], [8, 0, 13], [15, 13, 0]])
    >>> out = solve_bnb(QAPProblem(f, d), rng=0)
    >>> out.status.value, out.bound, QAPProblem(f, d).objective(out.assignment)
    ('OPTIMAL', 218.0, 218.0)
    """
    flow, distance, columns, reduced = square_qap(problem, "bnb")
    m, n = reduced.shape
    if n > MAX_LOCATIONS:
        raise SolverError(
            f"bnb proves QAPs of at most {MAX_LOCATIONS} locations, this one has {n}; "
            "use tabu or cpsat with a time limit"
        )
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    perm = _incumbent(reduced, n, time_limit, rng)
    search = _Search(flow, distance, m, perm)
    search.run(deadline)
    assignment = columns[search.best_perm[:m]]
    status = Status.OPTIMAL if search.finished else Status.TIME_LIMIT
    return BackendOutput(assignment, status, search.bound())


def _incumbent(reduced: QAPProblem, n: int, time_limit, rng) -> np.ndarray:
    """Starting permutation of the square problem (dummy facilities on the unused locations).

    With a time limit, tabu search gets :data:`TABU_SHARE` of it (at most
    :data:`TABU_SECONDS`), so a stopped search still reports a strong
    incumbent. Without one the search starts from the identity and stays
    deterministic: its depth-first dives find good solutions by themselves.
    """
    m = reduced.shape[0]
    if time_limit is None or m < 2:
        return np.arange(n)
    budget = min(TABU_SHARE * time_limit, TABU_SECONDS)
    a = solve_tabu(reduced, time_limit=budget, rng=rng).assignment
    return np.concatenate([a, np.setdiff1d(np.arange(n), a)])


class _Search:
    """Depth-first branch and bound state: incumbent, open nodes and the bound of the pruned ones."""

    def __init__(self, flow, distance, m, perm):
        # integer data whose objectives floats hold exactly: every objective is an integer
        self.integral = bool(
            np.all(flow == np.round(flow))
            and np.all(distance == np.round(distance))
            and np.abs(flow).sum() * np.abs(distance).max(initial=0) < 2**52
        )
        # if one matrix is symmetric, symmetrising the other keeps every objective and spreads the
        # flow of a pair over both rows, which tightens the bound (top2 flows are upper triangular)
        if np.array_equal(distance, distance.T):
            flow = (flow + flow.T) / 2
        elif np.array_equal(flow, flow.T):
            distance = (distance + distance.T) / 2
        self.flow, self.distance, self.m = flow, distance, m
        self.n = flow.shape[0]
        self.bounder = _Bounder(flow, distance)
        self.best_perm = perm
        self.best = self._value(perm)
        self.pruned_bound = np.inf  # smallest bound of a pruned subtree
        self.open_bound = np.inf  # smallest bound of the nodes left unexplored at the time limit
        self.finished = False
        self.nodes = 0

    def _value(self, perm) -> float:
        return float((self.flow * self.distance[np.ix_(perm, perm)]).sum())

    def _cutoff(self) -> float:
        """Children with a bound above this cannot beat the incumbent."""
        if self.integral:
            return self.best - 0.5  # every objective is an integer
        return self.best - 1e-10 * max(1.0, abs(self.best))

    def run(self, deadline):
        n = self.n
        diag = np.outer(np.diag(self.flow), np.diag(self.distance))
        pos = np.full(n, -1)
        # one location or no real facility: the incumbent is the only map that matters
        stack = [(-np.inf, pos, diag, 0.0)] if n > 1 and self.m else []
        while stack:
            if deadline is not None and self.nodes and time.perf_counter() > deadline:
                self.open_bound = min(b for b, *_ in stack)
                return
            bound, pos, linear, fixed = stack.pop()
            if bound > self._cutoff():
                self.pruned_bound = min(self.pruned_bound, bound)
                continue
            self.nodes += 1
            stack.extend(self._expand(pos, linear, fixed))
        self.finished = True

    def bound(self) -> float:
        """Proven lower bound: every solution not yet seen lies in a pruned or open subtree."""
        lowest = min(self.pruned_bound, self.open_bound)
        if self.integral:
            lowest = np.ceil(lowest - 1e-9)  # integer data: the optimum is an integer
        return float(min(self.best, lowest))

    def _expand(self, pos, linear, fixed):
        """Children of a node worth exploring, best last (popped first)."""
        free_fac = np.flatnonzero(pos < 0)
        free_loc = np.setdiff1d(np.arange(self.n), pos[pos >= 0])
        r = len(free_fac)
        branch_rows = np.flatnonzero(free_fac < self.m)
        lin = linear[np.ix_(free_fac, free_loc)]
        delta, cost = self.bounder.children(free_fac, free_loc, lin, branch_rows)
        cutoff = self._cutoff()
        bounds = fixed + delta + _reduction_bound(cost)
        exact = bounds <= cutoff  # not pruned by the cheap bound: solve the LAP
        bounds[exact] = fixed + delta[exact] + _lap_values(cost[exact])
        pruned = bounds > cutoff
        row = int(np.lexsort((bounds.sum(axis=1), pruned.sum(axis=1)))[-1])  # most pruned, then largest bounds
        i = free_fac[branch_rows[row]]
        self.pruned_bound = min(self.pruned_bound, bounds[row][pruned[row]].min(initial=np.inf))
        children = []
        for c in np.argsort(-bounds[row]):
            if pruned[row, c]:
                continue
            k = free_loc[c]
            child = pos.copy()
            child[i] = k
            if r - 1 <= 1 or not np.any(free_fac[free_fac != i] < self.m):
                self._leaf(child, free_fac[free_fac != i], free_loc[free_loc != k])
                continue
            new_linear = linear + np.outer(self.flow[:, i], self.distance[:, k])
            new_linear += np.outer(self.flow[i], self.distance[k])
            children.append((bounds[row, c], child, new_linear, fixed + delta[row, c]))
        return children

    def _leaf(self, pos, rest_fac, rest_loc):
        pos = pos.copy()
        pos[rest_fac] = rest_loc
        value = self._value(pos)
        if value < self.best:
            self.best, self.best_perm = value, pos
