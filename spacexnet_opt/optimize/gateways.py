"""Gateways of all layers jointly: an exact dynamic programme around the ring of layers.

A gateway enters two layers' latencies: its own layer's legs ``g_l -> s`` and
the previous layer's hand-over ``s -> g_l``. With every layer's subnet fixed
and its experts placed by the sorted rule, layer ``l``'s expected latency
depends on ``(g_l, g_{l+1})`` only: ``f_l(a, b) = E_A max_{i in A} tau_ab(s(i))``
with ``tau_ab(s) = D(a, s) + D(s, b)`` (expected delays). The total
``sum_l f_l(g_l, g_{l+1})`` over the cycle of layers is minimised exactly over
the candidate gateways of every layer by a dynamic programme that fixes the
first layer's gateway and closes the cycle: ``O(L K^3)`` for K candidates.

>>> costs = [np.array([[1.0, 5.0], [2.0, 0.0]]), np.array([[3.0, 1.0], [1.0, 4.0]])]
>>> ring_dp(costs)   # g_0 = 1, g_1 = 0: costs[0][1, 0] + costs[1][0, 1] = 2 + 1
(array([1, 0]), 3.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["ring_dp", "sorted_hosts", "layer_costs"]


def ring_dp(costs) -> tuple[np.ndarray, float]:
    """Exact minimum of ``sum_l costs[l][k_l, k_{l+1}]`` over a cycle (``k_L = k_0``).

    Parameters
    ----------
    costs : list of arrays
        ``costs[l]`` has shape (K_l, K_{l+1 mod L}).

    Returns
    -------
    choice : int array (L,)
        Candidate index chosen for each layer.
    total : float
    """
    n = len(costs)
    if n == 1:
        diag = np.diag(costs[0])
        k = int(np.argmin(diag))
        return np.array([k]), float(diag[k])
    dp = np.asarray(costs[0], dtype=float)  # (K_0, K_1): start, current
    back = []
    for l in range(1, n):
        total = dp[:, :, None] + np.asarray(costs[l], dtype=float)[None, :, :]
        back.append(np.argmin(total, axis=1))
        dp = np.min(total, axis=1)
    close = np.diag(dp)
    start = int(np.argmin(close))
    choice = np.empty(n, dtype=np.int64)
    choice[0], current = start, start
    for l in range(n - 1, 0, -1):
        current = int(back[l - 1][start, current])
        choice[l] = current
    return choice, float(close[start])


def sorted_hosts(tau: np.ndarray, candidates: np.ndarray, activation: np.ndarray) -> np.ndarray:
    """The sorted rule: the most active expert on the candidate of least ``tau`` (ties: candidate order).

    ``tau`` (..., n) over ``candidates`` (n,); returns column indices (..., E).

    >>> sorted_hosts(np.array([3.0, 1.0, 2.0]), np.arange(3), np.array([0.2, 0.8]))
    array([2, 1])
    """
    cols = np.argsort(tau, axis=-1, kind="stable")[..., : len(activation)]
    out = np.empty_like(cols)
    out[..., np.argsort(-np.asarray(activation), kind="stable")] = cols
    return out


def layer_costs(delays: np.ndarray, row: np.ndarray, first: np.ndarray, second: np.ndarray, members: np.ndarray,
                activation: np.ndarray, law) -> np.ndarray:
    """``f_l(a, b)`` for every gateway candidate ``a`` in ``first`` and ``b`` in ``second`` (shape (K_a, K_b)).

    ``delays[row[x]]`` are expected delays from satellite ``x``; experts go on ``members`` minus ``a`` by the
    sorted rule; the cost is the law's exact expected maximum of their path latencies.
    """
    tau = delays[row[first]][:, None, members] + delays[row[second]][None, :, members]
    tau = np.where(members[None, None, :] == first[:, None, None], np.inf, tau)
    cols = sorted_hosts(tau, members, activation)
    x = np.take_along_axis(tau, cols, axis=-1)
    return np.where(np.isfinite(x).all(axis=-1), law.expected_max(np.where(np.isfinite(x), x, 0.0)), np.inf)
