"""Compiled (numba) swap-neighbourhood kernels for QAP local search.

The matrix ``delta[r, s]`` (``r < s``) of cost changes of swapping the
locations of facilities ``r`` and ``s`` in ``sum_ij a[i, j] b[p(i), p(j)]`` is
kept up to date after each swap as in Taillard (1991): ``O(n)`` for the pairs
touching a swapped facility, ``O(1)`` for the others, so ``O(n^2)`` per move.
Works for any square ``a`` and ``b`` (asymmetric, non-zero diagonals); with
``symmetric`` (both symmetric, zero diagonals: :func:`is_symmetric`) half the work is done.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["init_deltas", "apply_swap", "best_swap", "is_symmetric"]


def is_symmetric(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether both matrices are symmetric with zero diagonals (the fast path of the kernels)."""
    return all(np.array_equal(m, m.T) and not np.diag(m).any() for m in (a, b))


@njit(cache=True)
def full_delta(a, b, p, r, s, symmetric):
    """Cost change of swapping ``r`` and ``s`` from scratch, ``O(n)``."""
    pr, ps = p[r], p[s]
    if symmetric:  # symmetric a and b with zero diagonals
        d = 0.0
        for k in range(len(p)):
            if k != r and k != s:
                d += (a[k, r] - a[k, s]) * (b[p[k], ps] - b[p[k], pr])
        return 2.0 * d
    d = (a[r, r] - a[s, s]) * (b[ps, ps] - b[pr, pr]) + (a[r, s] - a[s, r]) * (b[ps, pr] - b[pr, ps])
    for k in range(len(p)):
        if k != r and k != s:
            pk = p[k]
            d += (a[k, r] - a[k, s]) * (b[pk, ps] - b[pk, pr]) + (a[r, k] - a[s, k]) * (b[ps, pk] - b[pr, pk])
    return d


@njit(cache=True)
def init_deltas(a, b, p, delta, symmetric):
    """Fill the upper triangle of ``delta`` for the permutation ``p``."""
    n = len(p)
    for r in range(n):
        for s in range(r + 1, n):
            delta[r, s] = full_delta(a, b, p, r, s, symmetric)


@njit(cache=True)
def apply_swap(a, b, p, delta, r, s, symmetric):
    """Swap the locations of ``r`` and ``s`` in ``p`` and update ``delta``; returns the cost change.

    For a pair ``i, j`` not touching ``r, s`` the change is
    ``(x_i - x_j)(y_i - y_j) + (u_i - u_j)(w_i - w_j)`` with ``x = a[r] - a[s]``,
    ``u = a[:, r] - a[:, s]``, ``y_i = b[p(s), p(i)] - b[p(r), p(i)]`` and
    ``w_i = b[p(i), p(s)] - b[p(i), p(r)]`` (``p`` after the swap).
    """
    change = delta[min(r, s), max(r, s)]
    p[r], p[s] = p[s], p[r]
    pr, ps = p[r], p[s]
    n = len(p)
    x, u, y, w = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        pi = p[i]
        x[i] = a[r, i] - a[s, i]
        u[i] = a[i, r] - a[i, s]
        y[i] = b[ps, pi] - b[pr, pi]
        w[i] = b[pi, ps] - b[pi, pr]
    for i in range(n):
        if i == r or i == s:
            for j in range(i + 1, n):
                delta[i, j] = full_delta(a, b, p, i, j, symmetric)
            continue
        xi, ui, yi, wi = x[i], u[i], y[i], w[i]
        for j in range(i + 1, n):
            if j == r or j == s:
                delta[i, j] = full_delta(a, b, p, i, j, symmetric)
            elif symmetric:
                delta[i, j] += 2.0 * (xi - x[j]) * (yi - y[j])
            else:
                delta[i, j] += (xi - x[j]) * (yi - y[j]) + (ui - u[j]) * (wi - w[j])
    return change


@njit(cache=True)
def best_swap(delta, m):
    """``(r, s, delta)`` of the best swap with ``r < s`` and ``r < m`` (facilities ``>= m`` are dummies)."""
    n = delta.shape[0]
    br, bs, bd = 0, 1, np.inf
    for r in range(min(m, n)):
        for s in range(r + 1, n):
            if delta[r, s] < bd:
                br, bs, bd = r, s, delta[r, s]
    return br, bs, bd
