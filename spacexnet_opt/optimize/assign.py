"""Expert placement given the gateways: per subnet (sorted rule) or one global assignment (``free``).

``free``: all layers' experts are placed in one linear assignment over every
satellite that is not a gateway, rows ``(l, i)``, columns satellites ``s``,
cost ``p_li * tau_l(s)`` (the paper's linear objective summed over layers), so a
layer may borrow idle satellites anywhere. Dense Jonker–Volgenant
(``scipy.optimize.linear_sum_assignment``) is exact; above ``dense_limit``
cost entries each layer keeps only its ``sparse_width`` satellites of least
``tau_l`` and a min-cost flow (OR-Tools, costs in integer picoseconds) solves
that graph exactly -- optimal on the restricted graph, reported as such (the
width doubles until a full matching exists).

>>> tau = np.array([[1.0, 2.0, 3.0, 4.0, 9.0], [4.0, 3.0, 2.0, 1.0, 9.0]])
>>> hosts, status = global_assignment(tau, np.array([[0.6, 0.4], [0.7, 0.3]]), np.array([4]))
>>> hosts.tolist(), status
([[0, 1], [3, 2]], 'OPTIMAL')
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .gateways import sorted_hosts

__all__ = ["subnet_hosts", "global_assignment"]


def subnet_hosts(tau: np.ndarray, members, gateways: np.ndarray, activation: np.ndarray) -> np.ndarray:
    """Sorted rule inside every layer's subnet (its gateway excluded): satellite ids (L, E)."""

    out = np.empty(activation.shape, dtype=np.int64)
    for l, mem in enumerate(members):
        cand = mem[mem != gateways[l]]
        if len(cand) < activation.shape[1]:
            raise InputError(f"layer {l}: subnet has {len(cand)} satellites besides the gateway for "
                             f"{activation.shape[1]} experts", field="shape")
        out[l] = cand[sorted_hosts(tau[l, cand], cand, activation[l])]
    return out


def global_assignment(tau: np.ndarray, activation: np.ndarray, gateways: np.ndarray, *,
                      dense_limit: float = 4e7, sparse_width: int | None = None) -> tuple[np.ndarray, str]:
    """One (L*E) x (N - gateways) linear assignment; returns hosts (L, E) and ``"OPTIMAL"`` or ``"OPTIMAL-RESTRICTED"``."""
    n_layers, n_experts = activation.shape
    free = np.setdiff1d(np.arange(tau.shape[1]), gateways)
    if len(free) < n_layers * n_experts:
        raise InputError(f"{n_layers * n_experts} experts but only {len(free)} satellites besides the gateways",
                         field="shape")
    t = np.where(np.isfinite(tau[:, free]), tau[:, free], 1e3)
    if n_layers * n_experts * len(free) <= dense_limit:
        from scipy.optimize import linear_sum_assignment

        cost = (activation[:, :, None] * t[:, None, :]).reshape(n_layers * n_experts, len(free))
        _, cols = linear_sum_assignment(cost)
        return free[cols].reshape(n_layers, n_experts), "OPTIMAL"
    width = sparse_width or 2 * n_experts
    while True:
        cols = _sparse_lap(t, activation, width)
        if cols is not None or width >= len(free):
            break
        width = min(2 * width, len(free))
    return free[cols].reshape(n_layers, n_experts), "OPTIMAL-RESTRICTED"


def _sparse_lap(t: np.ndarray, activation: np.ndarray, width: int):
    """Min-cost flow on the restricted graph (costs in integer picoseconds); None without a full matching."""
    from ortools.graph.python import min_cost_flow

    n_layers, n_experts = activation.shape
    m, n = n_layers * n_experts, t.shape[1]
    near = np.argsort(t, axis=1, kind="stable")[:, :width]  # (L, width)
    rows = np.repeat(np.arange(m), width)
    cols = np.repeat(near, n_experts, axis=0).ravel()
    weight = (activation[:, :, None] * np.take_along_axis(t, near, axis=1)[:, None, :]).ravel()
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(rows, m + cols, np.ones(len(rows), dtype=np.int64),
                                              np.rint(weight * 1e12).astype(np.int64))
    sink = m + n
    flow.add_arcs_with_capacity_and_unit_cost(m + np.arange(n), np.full(n, sink), np.ones(n, dtype=np.int64),
                                              np.zeros(n, dtype=np.int64))
    supply = np.zeros(m + n + 1, dtype=np.int64)
    supply[:m], supply[sink] = 1, -m
    flow.set_nodes_supplies(np.arange(m + n + 1), supply)
    if flow.solve() != flow.OPTIMAL:
        return None
    used = flow.flows(np.arange(len(rows))) > 0
    matched = np.empty(m, dtype=np.int64)
    matched[rows[used]] = cols[used]
    return matched
