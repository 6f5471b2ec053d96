"""Compiled (numba) dual ascent on the level-1 RLT form of the QAP, used by ``bnb``.

A node of the search over facilities ``0..r-1`` and locations ``0..r-1`` is
kept as an *equivalent form*: a constant ``c``, linear costs ``L[i, k]`` and
quadratic costs ``C[i, k, j, l]`` (``i != j``, ``k != l``) such that every
completion ``q`` costs exactly
``c + sum_i L[i, q(i)] + sum_{i != j} C[i, q(i), j, q(j)]``.
Once ``L`` and ``C`` are non-negative, ``c`` is a lower bound. The ascent
(Hahn & Grant 1998) repeats four steps that each keep the form equivalent:

1. for every ``(i, k)``, solve the assignment problem on ``C[i, k]`` (rows
   ``j != i``, columns ``l != k``), subtract its duals from ``C[i, k]`` and
   add its value to ``L[i, k]``;
2. solve the assignment problem on ``L``, subtract its duals, add its value
   to ``c``;
3. spread each ``L[i, k]`` evenly over the ``r - 1`` rows of ``C[i, k]``;
4. average the two costs of one pair, ``C[i, k, j, l]`` and ``C[j, l, i, k]``
   (both are paid exactly when ``q(i) = k`` and ``q(j) = l``).

Step 4 moves cost to where step 1 can collect it, so ``c`` rises. The first
pass of steps 1–2 on the original form is the Gilmore–Lawler bound or better.
See ``formulations/qap-bnb.md``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["lap_reduce", "ascend", "child_form", "initial_form"]


@njit(cache=True, nogil=True)
def _workspace(q):
    """Scratch arrays of :func:`_lap_solve` for assignment problems of size ``q``."""
    return (np.empty(q + 1), np.empty(q + 1), np.empty(q + 1, np.int64), np.empty(q + 1, np.int64),
            np.empty(q + 1), np.empty(q + 1, np.bool_))


@njit(cache=True, nogil=True)
def _reduce_and_match(c, q, u, v, match, used):
    """Row then column reduction into the potentials, and a greedy matching on the edges they make tight.

    ``match[j]`` is the row (from 1) on column ``j`` or 0; ``used[i]`` marks the matched rows.
    """
    match[: q + 1], used[: q + 1] = 0, False
    for a in range(q):
        u[a + 1] = c[a].min()
    for b in range(q):
        v[b + 1] = np.inf
        for a in range(q):
            v[b + 1] = min(v[b + 1], c[a, b] - u[a + 1])
    for a in range(q):
        for b in range(q):
            if match[b + 1] == 0 and c[a, b] - u[a + 1] - v[b + 1] == 0.0:
                match[b + 1], used[a + 1] = a + 1, True
                break


@njit(cache=True, nogil=True)
def _lap_solve(c, q, work):
    """Solve the assignment problem on ``c[:q, :q]`` and replace it by its reduced costs; returns the optimum.

    Shortest augmenting paths with potentials ``u``, ``v`` from each row the
    greedy start left free: afterwards ``c - u - v >= 0`` (up to rounding),
    tight on the matching, and ``sum(u) + sum(v)`` is the optimum.
    """
    u, v, match, way, minv, used = work
    _reduce_and_match(c, q, u, v, match, used)
    free = np.flatnonzero(~used[1: q + 1]) + 1
    for i in free:
        match[0], j0 = i, 0
        minv[: q + 1] = np.inf
        used[: q + 1] = False
        while True:
            used[j0] = True
            i0, step, j1 = match[j0], np.inf, 0
            for j in range(1, q + 1):
                if not used[j]:
                    cur = c[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < step:
                        step, j1 = minv[j], j
            for j in range(q + 1):
                if used[j]:
                    u[match[j]] += step
                    v[j] -= step
                else:
                    minv[j] -= step
            j0 = j1
            if match[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    for a in range(q):
        for b in range(q):
            c[a, b] -= u[a + 1] + v[b + 1]
    return u[1: q + 1].sum() + v[1: q + 1].sum()


@njit(cache=True, nogil=True)
def lap_reduce(c):
    """Solve the square assignment problem ``c`` and replace ``c`` by its reduced costs; returns the optimum."""
    return _lap_solve(c, c.shape[0], _workspace(c.shape[0]))


@njit(cache=True, nogil=True)
def _collect(lin, quad):
    """Step 1 for every ``(i, k)``: move the assignment value of ``quad[i, k]`` (rows ``!= i``, columns ``!= k``) into ``lin[i, k]``."""
    r = lin.shape[0]
    buf, work = np.empty((r - 1, r - 1)), _workspace(r - 1)
    for i in range(r):
        for k in range(r):
            for a in range(r - 1):
                for b in range(r - 1):
                    buf[a, b] = quad[i, k, a + (a >= i), b + (b >= k)]
            lin[i, k] += _lap_solve(buf, r - 1, work)
            for a in range(r - 1):
                for b in range(r - 1):
                    quad[i, k, a + (a >= i), b + (b >= k)] = buf[a, b]


@njit(cache=True, nogil=True)
def _spread_and_average(lin, quad):
    """Steps 3 and 4."""
    r = lin.shape[0]
    share = 1.0 / (r - 1)
    for i in range(r):
        for k in range(r):
            add = lin[i, k] * share
            lin[i, k] = 0.0
            for j in range(r):
                if j != i:
                    for l in range(r):
                        if l != k:
                            quad[i, k, j, l] += add
    for i in range(r):
        for k in range(r):
            for j in range(i + 1, r):
                for l in range(r):
                    if l != k:
                        mean = 0.5 * (quad[i, k, j, l] + quad[j, l, i, k])
                        quad[i, k, j, l] = mean
                        quad[j, l, i, k] = mean


@njit(cache=True, nogil=True)
def ascend(const, lin, quad, iterations, cutoff, min_gain):
    """Run the ascent in place; returns the bound ``c``, with ``lin`` left as reduced costs (``>= 0``).

    Stops after ``iterations`` passes, once the bound exceeds ``cutoff`` or when
    a pass raises it by less than ``min_gain``.
    """
    r = lin.shape[0]
    if r == 1:
        const += lin[0, 0]
        lin[0, 0] = 0.0
        return const
    for it in range(iterations):
        if it:
            _spread_and_average(lin, quad)
        _collect(lin, quad)
        gain = lap_reduce(lin)
        const += gain
        if const > cutoff or (it and gain < min_gain):
            break
    return const


@njit(cache=True, nogil=True)
def child_form(lin, quad, i, k):
    """Linear and quadratic costs of the node with facility ``i`` on location ``k`` (constant: ``c + L[i, k]``)."""
    r = lin.shape[0] - 1
    lin2, quad2 = np.empty((r, r)), np.empty((r, r, r, r))
    for a in range(r):
        j = a + (a >= i)
        for b in range(r):
            l = b + (b >= k)
            lin2[a, b] = lin[j, l] + quad[i, k, j, l] + quad[j, l, i, k]
            for c in range(r):
                for d in range(r):
                    quad2[a, b, c, d] = quad[j, l, c + (c >= i), d + (d >= k)]
    return lin2, quad2


@njit(cache=True, nogil=True)
def initial_form(flow, distance):
    """``L[i, k] = F[i, i] D[k, k]`` and ``C[i, k, j, l] = F[i, j] D[k, l]`` (zero where ``i = j`` or ``k = l``)."""
    n = flow.shape[0]
    lin = np.empty((n, n))
    quad = np.zeros((n, n, n, n))
    for i in range(n):
        for k in range(n):
            lin[i, k] = flow[i, i] * distance[k, k]
            for j in range(n):
                if j != i:
                    for l in range(n):
                        if l != k:
                            quad[i, k, j, l] = flow[i, j] * distance[k, l]
    return lin, quad


def _load_kernels() -> None:
    """Run the kernels once on a tiny problem at import, so no time limit pays for loading them.

    numba loads them from its on-disk cache (or compiles them on first use ever).
    """
    a = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    ascend(0.0, *initial_form(a, a), 2, np.inf, 0.0)


_load_kernels()
