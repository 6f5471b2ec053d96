"""Compiled (numba) robust tabu walk for the QAP with ``O(1)`` swap costs.

The objective is ``sum_ij a[i, j] b[p(i), p(j)]``. With ``B'[i, j] = b[p(i), p(j)]``,
``R = a B'^T`` and ``K = a^T B'``, the cost change of swapping the locations of
facilities ``r`` and ``s`` is

    R[r,s] + R[s,r] - R[r,r] - R[s,s] + K[r,s] + K[s,r] - K[r,r] - K[s,s] - c(r, s)

where ``c`` collects the six terms of ``i`` or ``j`` in ``{r, s}`` that the
sums count wrongly (:func:`swap_delta`). When ``a`` and ``b`` are symmetric
``K = R``; with zero diagonals too the change is
``2 (R[r,s] + R[s,r] - R[r,r] - R[s,s]) + 4 a[r,s] B'[r,s]``. A swap permutes
two columns of ``R`` and ``K`` and adds a rank-one matrix to each, and swaps two
rows and columns of ``B'``: ``O(n^2)`` per move like Taillard's delta matrix,
but without its ``2n`` recomputations in ``O(n)`` each, so every swap of the
neighbourhood is priced in ``O(1)`` from contiguous rows.

Kernels are ``nogil`` so several walks run in parallel threads (:mod:`.memetic`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .qap_common import symmetrised

__all__ = ["Walk", "symmetric_form"]


def symmetric_form(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """``(a, b, symmetric, fast)`` with the same objective (:func:`.qap_common.symmetrised`).

    ``fast`` when both are symmetric with zero diagonals.
    """
    a, b = symmetrised(np.asarray(a, float), np.asarray(b, float))
    symmetric = np.array_equal(a, a.T) and np.array_equal(b, b.T)
    fast = symmetric and not np.diag(a).any() and not np.diag(b).any()
    return np.ascontiguousarray(a), np.ascontiguousarray(b), symmetric, fast


@njit(cache=True, nogil=True, inline="always")
def swap_delta(a, bp, r, k, x, y, fast):
    """Cost change of swapping the locations of facilities ``x`` and ``y``."""
    if fast:
        return 2.0 * (r[x, y] + r[y, x] - r[x, x] - r[y, y]) + 4.0 * a[x, y] * bp[x, y]
    d = r[x, y] + r[y, x] - r[x, x] - r[y, y] + k[x, y] + k[y, x] - k[x, x] - k[y, y]
    d -= (a[x, x] - a[y, x]) * (bp[y, x] - bp[x, x]) + (a[x, y] - a[y, y]) * (bp[y, y] - bp[x, y])
    d -= (a[x, x] - a[x, y]) * (bp[x, y] - bp[x, x]) + (a[y, x] - a[y, y]) * (bp[y, y] - bp[y, x])
    return d + (a[x, x] - a[y, y]) * (bp[y, y] - bp[x, x]) + (a[x, y] - a[y, x]) * (bp[y, x] - bp[x, y])


@njit(cache=True, nogil=True)
def _swap_columns(m, x, y):
    for i in range(m.shape[0]):
        m[i, x], m[i, y] = m[i, y], m[i, x]


@njit(cache=True, nogil=True)
def apply_swap(a, b, p, bp, r, k, x, y, symmetric):
    """Swap the locations of ``x`` and ``y`` in ``p`` and update ``B'``, ``R`` and ``K``."""
    n = len(p)
    px, py = p[x], p[y]
    p[x], p[y] = py, px
    for j in range(n):
        bp[x, j], bp[y, j] = bp[y, j], bp[x, j]
    _swap_columns(bp, x, y)
    _swap_columns(r, x, y)
    v = np.empty(n)
    for j in range(n):  # R[i, j] += (a[i, x] - a[i, y]) (b[p(j), py] - b[p(j), px]) with the new p
        v[j] = b[p[j], py] - b[p[j], px]
    for i in range(n):
        u = a[i, x] - a[i, y]
        if u != 0.0:
            for j in range(n):
                r[i, j] += u * v[j]
    if symmetric:
        return
    _swap_columns(k, x, y)
    for j in range(n):  # K[i, j] += (a[x, i] - a[y, i]) (b[py, p(j)] - b[px, p(j)])
        v[j] = b[py, p[j]] - b[px, p[j]]
    for i in range(n):
        u = a[x, i] - a[y, i]
        if u != 0.0:
            for j in range(n):
                k[i, j] += u * v[j]


@njit(cache=True, nogil=True)
def _best_move(a, bp, r, k, p, tabu, it, m, slack, fast):
    """Best swap ``(x, y, delta)`` with ``x < m`` that is not tabu or improves by more than ``slack``."""
    n = len(p)
    bx, by, bd = -1, -1, np.inf
    for x in range(min(m, n)):
        px = p[x]
        for y in range(x + 1, n):
            d = swap_delta(a, bp, r, k, x, y, fast)
            if d < bd and (tabu[x, p[y]] < it or tabu[y, px] < it or d < slack):
                bx, by, bd = x, y, d
    return bx, by, bd


@njit(cache=True, nogil=True)
def walk(a, b, p, bp, r, k, tabu, best_p, values, start, iterations, m, tenure, symmetric, fast):
    """Robust tabu search from ``p`` for iterations ``start + 1 .. start + iterations``.

    Each iteration makes the best swap that is not tabu (aspiration: any swap
    reaching a new best). A swap is tabu while both facilities would return to
    locations they left within the last ``tenure[0] .. tenure[1]`` iterations
    (drawn at random per move). ``values = [cost, best]`` is updated and
    ``best_p`` holds the best permutation seen.
    """
    cost, best = values[0], values[1]
    tol = 1e-9 * max(1.0, abs(best))
    for it in range(start + 1, start + iterations + 1):
        x, y, d = _best_move(a, bp, r, k, p, tabu, it, m, best - cost - tol, fast)
        if x < 0:
            continue
        tabu[x, p[x]] = it + np.random.randint(tenure[0], tenure[1] + 1)
        tabu[y, p[y]] = it + np.random.randint(tenure[0], tenure[1] + 1)
        apply_swap(a, b, p, bp, r, k, x, y, symmetric)
        cost += d
        if cost < best - tol:
            best = cost
            best_p[:] = p
    values[0], values[1] = cost, best


@njit(cache=True, nogil=True)
def seed_thread(seed):
    """Seed numba's generator of the calling thread (each thread has its own)."""
    np.random.seed(seed)


class Walk:
    """A tabu walk's state on one problem: permutation, ``B'``, ``R``, ``K``, tabu list, best seen.

    ``m`` facilities are real (``< m``); the others are zero-flow dummies that
    only move when a real facility swaps with them.
    """

    def __init__(self, a, b, m: int, symmetric: bool, fast: bool):
        n = len(a)
        self.a, self.b, self.m, self.symmetric, self.fast = a, b, m, symmetric, fast
        self.bp, self.r = np.empty((n, n)), np.empty((n, n))
        self.k = self.r if symmetric else np.empty((n, n))
        self.tabu = np.zeros((n, n), dtype=np.int64)
        self.p, self.best_p = np.arange(n), np.arange(n)
        self.values, self.iteration = np.zeros(2), 0

    def reset(self, perm: np.ndarray) -> float:
        """Start from ``perm`` with an empty tabu list; returns its objective."""
        self.p[:] = perm
        self.best_p[:] = perm
        self.bp[:] = self.b[np.ix_(perm, perm)]
        np.matmul(self.a, self.bp.T, out=self.r)
        if not self.symmetric:
            np.matmul(self.a.T, self.bp, out=self.k)
        cost = float((self.a * self.bp).sum())
        self.values[:] = cost
        self.tabu[:] = 0
        self.iteration = 0
        return cost

    def run(self, iterations: int, tenure: np.ndarray) -> float:
        """Continue for ``iterations`` moves; returns the best objective seen since :meth:`reset`."""
        walk(self.a, self.b, self.p, self.bp, self.r, self.k, self.tabu, self.best_p, self.values,
             self.iteration, iterations, self.m, tenure, self.symmetric, self.fast)
        self.iteration += iterations
        return float(self.values[1])
