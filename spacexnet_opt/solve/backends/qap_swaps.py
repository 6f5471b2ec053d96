"""Compiled (numba) swap-neighbourhood kernels for QAP local search.

The matrix ``delta[r, s]`` (``r < s``) of cost changes of swapping the
locations of facilities ``r`` and ``s`` in ``sum_ij a[i, j] b[p(i), p(j)]`` is
kept up to date after each swap as in Taillard (1991): ``O(n)`` for the pairs
touching a swapped facility, ``O(1)`` for the others, so ``O(n^2)`` per move.
Works for any square ``a`` and ``b`` (asymmetric, non-zero diagonals).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["init_deltas", "apply_swap", "best_swap"]


@njit(cache=True)
def full_delta(a, b, p, r, s):
    """Cost change of swapping ``r`` and ``s`` from scratch, ``O(n)``."""
    pr, ps = p[r], p[s]
    d = (a[r, r] - a[s, s]) * (b[ps, ps] - b[pr, pr]) + (a[r, s] - a[s, r]) * (b[ps, pr] - b[pr, ps])
    for k in range(len(p)):
        if k != r and k != s:
            pk = p[k]
            d += (a[k, r] - a[k, s]) * (b[pk, ps] - b[pk, pr]) + (a[r, k] - a[s, k]) * (b[ps, pk] - b[pr, pk])
    return d


@njit(cache=True)
def init_deltas(a, b, p, delta):
    """Fill the upper triangle of ``delta`` for the permutation ``p``."""
    n = len(p)
    for r in range(n):
        for s in range(r + 1, n):
            delta[r, s] = full_delta(a, b, p, r, s)


@njit(cache=True)
def apply_swap(a, b, p, delta, r, s):
    """Swap the locations of ``r`` and ``s`` in ``p`` and update ``delta``; returns the cost change."""
    change = delta[min(r, s), max(r, s)]
    p[r], p[s] = p[s], p[r]
    pr, ps = p[r], p[s]
    n = len(p)
    for i in range(n):
        for j in range(i + 1, n):
            if i == r or i == s or j == r or j == s:
                delta[i, j] = full_delta(a, b, p, i, j)
            else:
                pi, pj = p[i], p[j]
                delta[i, j] += (a[r, i] - a[r, j] + a[s, j] - a[s, i]) * (
                    b[ps, pi] - b[ps, pj] + b[pr, pj] - b[pr, pi]
                ) + (a[i, r] - a[j, r] + a[j, s] - a[i, s]) * (b[pi, ps] - b[pj, ps] + b[pj, pr] - b[pi, pr])
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
