"""Replicas of hot experts on spare satellites, with a budget of R copies.

Objective (the linear one, per snapshot): ``sum_l sum_i p_li E_t[min_c D_t(c)]``
over the copies ``c`` of expert ``(l, i)``, ``D_t(c) = D_t(g_l, c) + D_t(c, g_{l+1})``;
a spare satellite holds at most one copy. The saving against no replica,
``F(S) = sum p_li E_t[D_t(primary) - min_{c in S_li} D_t(c)]^+``, is a
facility-location function of the set ``S`` of (expert, satellite) copies:
monotone and submodular. "At most one copy per satellite, at most R copies" is
a matroid (a partition matroid truncated to rank R), so the greedy choice --
add the copy of largest marginal saving, R times -- is within 1/2 of the best
saving (Fisher, Nemhauser & Wolsey 1978), and after it
``F(OPT) <= F(S) + (sum of the R largest marginal savings w.r.t. S)`` gives an
a-posteriori bound (:func:`greedy_replicas` reports it).

:func:`milp_replicas` solves the same problem exactly as a facility-location
MILP (PuLP + CBC) for small cases: ``y[e, s]`` opens copy ``s`` of expert ``e``,
``z[e, t, c]`` routes snapshot ``t`` of expert ``e`` to copy ``c`` (primary or an
opened spare), ``sum_c z = 1``, ``z <= y``, ``sum_e y[e, s] <= 1``, ``sum y <= R``.

>>> current = np.array([[[5.0, 1.0]], [[5.0, 9.0]]])    # T=2 snapshots, 1 layer, 2 experts
>>> spare = np.array([[[1.0, 6.0]], [[2.0, 9.0]]])      # 2 spare satellites
>>> choice = greedy_replicas(current, spare, np.array([[0.5, 0.5]]), 1)
>>> choice.copies, choice.saving    # expert 0 copied on spare 0: 0.5 * ((5 - 1) + (5 - 2)) / 2
(((0, 0, 0),), 1.75)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..status import Status
from ..errors import InputError
from ..solve.milp_models import cbc_path, import_pulp

MILP_LIMIT = 200_000
"""Most variables (copies x (snapshots + 1)) the replication MILP is built for."""

__all__ = ["MILP_LIMIT", "ReplicaChoice", "greedy_replicas", "milp_replicas", "replica_model", "replication_saving"]


@dataclass(frozen=True)
class ReplicaChoice:
    """Chosen copies ``(layer, expert, satellite)``, the saving (s, linear objective) and a proven upper bound."""

    copies: tuple
    saving: float
    bound: float
    status: Status


def _gain(current: np.ndarray, spare: np.ndarray) -> np.ndarray:
    """E_t (current_t - spare_t)^+ for current (T, E) and spare (T, S): (E, S)."""
    return np.maximum(current[:, :, None] - spare[:, None, :], 0.0).mean(axis=0)


def replication_saving(current, spare, activation, copies) -> float:
    """The saving ``F(S)`` of ``copies`` [(layer, expert, spare column)]: current (T, L, E), spare (T, L, S)."""
    best = current.copy()
    for l, i, c in copies:
        best[:, l, i] = np.minimum(best[:, l, i], spare[:, l, c])
    return float((activation * (current - best).mean(axis=0)).sum())


def greedy_replicas(current: np.ndarray, spare: np.ndarray, activation: np.ndarray, budget: int) -> ReplicaChoice:
    """Greedy copies for per-snapshot legs ``current`` (T, L, E) of the primaries and ``spare`` (T, L, S)."""
    n_t, n_layers, n_experts = current.shape
    if budget > spare.shape[2]:
        raise InputError(f"budget {budget} is larger than the {spare.shape[2]} spare satellites", field="replicas")
    cur = current.astype(float).copy()
    gain = np.stack([activation[l][:, None] * _gain(cur[:, l], spare[:, l]) for l in range(n_layers)])  # (L, E, S)
    taken = np.zeros(spare.shape[2], dtype=bool)
    copies, saving = [], 0.0
    for _ in range(budget):
        open_gain = np.where(taken[None, None, :], -np.inf, gain)
        l, i, c = np.unravel_index(int(np.argmax(open_gain)), gain.shape)
        if open_gain[l, i, c] <= 0:
            break
        saving += float(gain[l, i, c])
        copies.append((int(l), int(i), int(c)))
        taken[c] = True
        cur[:, l, i] = np.minimum(cur[:, l, i], spare[:, l, c])
        gain[l, i] = activation[l, i] * np.maximum(cur[:, l, i, None] - spare[:, l], 0.0).mean(axis=0)
    # the bound sums the R largest marginal savings w.r.t. the greedy set over *all* copies (taken satellites too)
    top = np.partition(gain.ravel(), max(gain.size - budget, 0))[-budget:] if budget else np.zeros(0)
    return ReplicaChoice(tuple(copies), saving, saving + float(top.clip(min=0).sum()), Status.FEASIBLE)


def replica_model(current: np.ndarray, spare: np.ndarray, activation: np.ndarray, budget: int):
    """The facility-location MILP as a PuLP problem and its ``y`` variables {(layer, expert, spare): var}.

    The objective (maximised) is the saving divided by the largest current delay (coefficients near 1).
    """

    pulp = import_pulp()
    n_t, n_layers, n_experts = current.shape
    n_spare = spare.shape[2]
    if budget > n_spare:
        raise InputError(f"budget {budget} is larger than the {n_spare} spare satellites", field="replicas")
    if n_layers * n_experts * n_spare * (n_t + 1) > MILP_LIMIT:
        raise InputError(f"{n_layers * n_experts * n_spare * (n_t + 1):,} variables are too many for the replication "
                         f"MILP (limit {MILP_LIMIT:,}); use the greedy method", field="replica_method")
    scale = 1.0 / max(float(np.max(current)), 1e-12)
    prob = pulp.LpProblem("replicas", pulp.LpMaximize)
    idx = [(l, i, s) for l in range(n_layers) for i in range(n_experts) for s in range(n_spare)]
    y = {k: prob.add_variable(f"y_{k[0]}_{k[1]}_{k[2]}", cat=pulp.LpBinary) for k in idx}
    z = {(l, i, t, s): prob.add_variable(f"z_{l}_{i}_{t}_{s}", lowBound=0)
         for (l, i, s) in idx for t in range(n_t) if spare[t, l, s] < current[t, l, i]}
    prob += pulp.lpSum(activation[l, i] * (current[t, l, i] - spare[t, l, s]) * scale / n_t * v
                       for (l, i, t, s), v in z.items())
    for (l, i, t, s), v in z.items():
        prob += v <= y[(l, i, s)]
    routes: dict = {}
    for (l, i, t, s), v in z.items():
        routes.setdefault((l, i, t), []).append(v)
    for use in routes.values():
        if len(use) > 1:
            prob += pulp.lpSum(use) <= 1
    for s in range(n_spare):
        prob += pulp.lpSum(y[(l, i, s)] for l in range(n_layers) for i in range(n_experts)) <= 1
    prob += pulp.lpSum(y.values()) <= budget
    return prob, y


def milp_replicas(current: np.ndarray, spare: np.ndarray, activation: np.ndarray, budget: int, *,
                  time_limit: float | None = 60.0) -> ReplicaChoice:
    """The exact facility-location MILP (PuLP + CBC); small cases only (variables ~ L E S T)."""

    pulp = import_pulp()
    prob, y = replica_model(current, spare, activation, budget)
    status = prob.solve(pulp.COIN_CMD(path=cbc_path(), msg=False, timeLimit=time_limit, gapRel=1e-9))
    if pulp.LpStatus[status] != "Optimal":
        raise InputError(f"the replication MILP ended {pulp.LpStatus[status]}", field="replicas")
    copies = tuple(k for k, v in y.items() if (v.value() or 0) > 0.5)
    saving = replication_saving(current, spare, activation, copies)
    return ReplicaChoice(copies, saving, saving, Status.OPTIMAL)
