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


@njit(cache=True)
def lap_reduce(c):
    """Solve the square assignment problem ``c`` and replace ``c`` by its reduced costs; returns the optimum.

    Shortest augmenting paths with potentials ``u``, ``v``: afterwards
    ``c - u - v >= 0`` (up to rounding) and ``sum(u) + sum(v)`` is the optimum.
    """
    q = c.shape[0]
    u, v = np.zeros(q + 1), np.zeros(q + 1)
    match, way = np.zeros(q + 1, np.int64), np.zeros(q + 1, np.int64)
    minv, used = np.empty(q + 1), np.empty(q + 1, np.bool_)
    for i in range(1, q + 1):
        match[0], j0 = i, 0
        minv[:] = np.inf
        used[:] = False
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
    return -v[0]


@njit(cache=True)
def _others(r, i):
    """``0..r-1`` without ``i``."""
    out = np.empty(r - 1, np.int64)
    out[:i] = np.arange(i)
    out[i:] = np.arange(i + 1, r)
    return out


@njit(cache=True)
def _collect_one(lin, quad, i, k, buf):
    """Step 1 for one ``(i, k)``: move the assignment value of ``quad[i, k]`` into ``lin[i, k]``."""
    rows, cols = _others(lin.shape[0], i), _others(lin.shape[0], k)
    for a in range(len(rows)):
        for b in range(len(cols)):
            buf[a, b] = quad[i, k, rows[a], cols[b]]
    lin[i, k] += lap_reduce(buf)
    for a in range(len(rows)):
        for b in range(len(cols)):
            quad[i, k, rows[a], cols[b]] = buf[a, b]


@njit(cache=True)
def _collect(lin, quad):
    """Step 1 for every ``(i, k)``."""
    r = lin.shape[0]
    buf = np.empty((r - 1, r - 1))
    for ik in range(r * r):
        _collect_one(lin, quad, ik // r, ik % r, buf)


@njit(cache=True)
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


@njit(cache=True)
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


def child_form(lin, quad, i, k):
    """Linear and quadratic costs of the node with facility ``i`` on location ``k`` (constant: ``c + L[i, k]``)."""
    rows, cols = np.delete(np.arange(len(lin)), i), np.delete(np.arange(len(lin)), k)
    lin2 = (lin + quad[i, k] + quad[:, :, i, k])[np.ix_(rows, cols)]
    return lin2, np.ascontiguousarray(quad[np.ix_(rows, cols, rows, cols)])


@njit(cache=True)
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
