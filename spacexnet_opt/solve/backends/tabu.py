"""Robust tabu search for the QAP (Taillard 1991), our own strong heuristic (status FEASIBLE).

Moves swap the locations of two facilities. The cost changes of all ``n^2``
swaps are recomputed each iteration from two matrix products (see
:func:`swap_deltas`), which BLAS makes cheaper than Python-level bookkeeping.
A move is tabu while both facilities would return to locations they left
within the last ``0.9 n .. 1.1 n`` iterations (tenure redrawn at random); a tabu
move is still taken if it improves the best solution (aspiration), and a move
placing both facilities where neither has been for ``5 n^2`` iterations is
forced (long-term diversification).
"""

from __future__ import annotations

import time

import numpy as np

from ..result import BackendOutput, Status
from .qap_common import square_qap, symmetrised

__all__ = ["solve_tabu", "swap_deltas", "ITERATIONS_PER_FACILITY"]

ITERATIONS_PER_FACILITY = 1000
"""Without a time limit the search runs ``ITERATIONS_PER_FACILITY * n`` iterations (reproducible per seed)."""


class _SwapCosts:
    """Cost change of every facility swap of ``sum_ij flow[i, j] * distance[p[i], p[j]]``.

    Diagonals are split off as a linear term; with the off-diagonal parts
    ``A``, ``B' = B[p][:, p]``, ``G = A^T B'`` and ``H = A B'^T``, the change of
    swapping ``r`` and ``s`` is
    ``S_rs - g_r - g_s + 2 (W_rs + W_sr) + (A_rs - A_sr)(B'_sr - B'_rs)
    - (alpha_r - alpha_s)(beta'_r - beta'_s)`` with ``S = G + G^T + H + H^T``,
    ``g = diag(G) + diag(H)``, ``W = A * B'`` and ``alpha``, ``beta'`` the diagonals.
    If one matrix is symmetric the other is symmetrised first (same objective),
    so ``H = G`` and the antisymmetric term vanishes.
    """

    def __init__(self, flow: np.ndarray, distance: np.ndarray):
        flow, distance = symmetrised(flow, distance)
        self.symmetric = bool(np.array_equal(flow, flow.T) and np.array_equal(distance, distance.T))
        self.alpha, self.beta = np.diag(flow).copy(), np.diag(distance).copy()
        self.linear = bool(self.alpha.any() and self.beta.any())
        self.alpha_diff = np.subtract.outer(self.alpha, self.alpha)
        self.a = flow - np.diag(self.alpha)
        self.b = distance - np.diag(self.beta)
        self.a2 = 2 * self.a

    def permuted(self, perm: np.ndarray) -> np.ndarray:
        return self.b[np.ix_(perm, perm)]

    def deltas(self, b_p: np.ndarray, perm: np.ndarray) -> np.ndarray:
        a = self.a
        if self.symmetric:  # then diag(G) = diag(G + W) and S - g_r - g_s + 4W = 2(K + K^T), K = G + W - g_r
            k = self.a2 @ b_p
            k += self.a2 * b_p
            k -= np.diag(k)[:, None]
            out = k + k.T
        else:
            g_mat, h_mat, w = a.T @ b_p, a @ b_p.T, a * b_p
            g = np.diag(g_mat) + np.diag(h_mat)
            out = g_mat + g_mat.T + h_mat + h_mat.T - g[:, None] - g[None, :] + 2 * (w + w.T) + (a - a.T) * (b_p.T - b_p)
        if self.linear:
            beta = self.beta[perm]
            out -= self.alpha_diff * np.subtract.outer(beta, beta)
        return out


def swap_deltas(flow: np.ndarray, distance: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Matrix of cost changes of every facility swap for the permutation ``perm``.

    >>> a = np.array([[1.0, 3.0, 1.0], [2.0, 0, 4.0], [1.0, 1.0, 2.0]])
    >>> b = np.array([[3.0, 5.0, 2.0], [1.0, 0, 3.0], [2.0, 6.0, 1.0]])
    >>> p = np.array([2, 0, 1]); q = np.array([0, 2, 1])  # q swaps facilities 0 and 1 of p
    >>> cost = lambda x: (a * b[np.ix_(x, x)]).sum()
    >>> float(swap_deltas(a, b, p)[0, 1]), float(cost(q) - cost(p))
    (5.0, 5.0)
    """
    costs = _SwapCosts(np.asarray(flow, float), np.asarray(distance, float))
    return costs.deltas(costs.permuted(perm), perm)


def solve_tabu(problem, *, time_limit=None, rng=None, tenure_min=0.9, tenure_max=1.1,
               aspiration=5.0) -> BackendOutput:
    """Robust tabu search on a QAP (``top2`` or QAPLIB), seeded by ``rng``.

    Runs until ``time_limit`` seconds have passed, or without one for
    :data:`ITERATIONS_PER_FACILITY` ``* n`` iterations. The tabu tenure is
    drawn uniformly from ``tenure_min * n .. tenure_max * n`` at every move; a
    swap untouched for ``aspiration * n^2`` iterations is forced.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> p = QAPProblem.top2(np.array([[0, 0.6, 0.1], [0, 0, 0.3], [0, 0, 0]]), [0.3, 0.1, 0.2, 0.4])
    >>> out = solve_tabu(p, rng=0)
    >>> round(p.objective(out.assignment), 3), out.status.value
    (0.24, 'FEASIBLE')
    """
    flow, distance, columns, reduced = square_qap(problem, "tabu")
    m, n = reduced.shape
    rng = np.random.default_rng(rng)
    perm = rng.permutation(n)
    if n < 2:
        return BackendOutput(columns[perm[:m]], Status.FEASIBLE)
    costs = _SwapCosts(flow, distance)
    b_p = costs.permuted(perm)
    cost = float((flow * distance[np.ix_(perm, perm)]).sum())
    best_cost, best_perm = cost, perm.copy()
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    upper[m:, m:] = False  # swapping two dummy facilities changes nothing
    tabu = np.zeros((n, n), dtype=np.int64)  # tabu[i, loc]: facility i may not return to loc before
    aspiration = int(aspiration * n * n)
    low = max(2, int(tenure_min * n))
    high = max(low + 1, int(tenure_max * n) + 1)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    iterations = ITERATIONS_PER_FACILITY * n
    it = 0
    while (time.perf_counter() < deadline) if deadline is not None else (it < iterations):
        it += 1
        delta = costs.deltas(b_p, perm)
        expiry = tabu[:, perm]  # expiry[r, s] = tabu[r, perm[s]]: when r may take the location of s
        if it > aspiration and (forced := upper & (np.maximum(expiry, expiry.T) < it - aspiration)).any():
            k = int(np.argmax(forced))
        else:
            tol = 1e-9 * max(1.0, abs(best_cost))
            # a swap is tabu only while both facilities would return to a tabu location
            allowed = upper & ((np.minimum(expiry, expiry.T) <= it) | (delta < best_cost - cost - tol))
            k = int(np.argmin(np.where(allowed if allowed.any() else upper, delta, np.inf)))
        u, v = divmod(k, n)
        tenure = int(rng.integers(low, high))
        tabu[u, perm[u]] = tabu[v, perm[v]] = it + tenure
        cost += delta[u, v]
        perm[[u, v]] = perm[[v, u]]
        b_p[[u, v], :] = b_p[[v, u], :]
        b_p[:, [u, v]] = b_p[:, [v, u]]
        if cost < best_cost:
            best_cost, best_perm = cost, perm.copy()
    return BackendOutput(columns[best_perm[:m]], Status.FEASIBLE)
