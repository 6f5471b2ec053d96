"""Several experts of a layer per satellite, up to a capacity: a generalised assignment with contention.

Satellite ``s`` may hold up to ``C`` experts of one layer (``C`` from the
satellite memory over the expert's weights, or given). Co-activated experts on
one satellite run one after another (:mod:`.contention`), so packing hot
experts onto the few satellites nearest the gateways shortens their legs but
costs ``t_exp`` whenever two of them fire together. The layer objective is the
exact expected bottleneck ``E_A max_{i in A} (tau(s_i) + t_exp(s_i) (n_i(A) - 1))``
on expected path latencies. :func:`capacity_hosts` enumerates every
assignment when there are at most ``exhaustive_limit`` of them (exact);
otherwise it starts from the sorted rule (one expert per satellite, always
feasible) and applies the best improving move -- one expert to another
satellite with room, or two experts swapping satellites -- until none improves
(a local optimum; every move's objective is computed exactly). Layers of more
than ``search_limit`` experts (DeepSeek-V3's 256) get a greedy fill instead:
experts in decreasing activation, each on the candidate with room of least
``tau(s) + t_exp(s) * (k - 1) / k * sum_{j on s} p_j`` (its path latency plus
the contention expected from the experts already there); FEASIBLE.

>>> from spacexnet_opt.evaluate import TraceLaw
>>> law = TraceLaw([[0, 1], [2, 3]])          # 0 and 2 never fire together
>>> tau = np.array([1.0, 5.0, 6.0, 9.0])
>>> capacity_hosts(tau, np.arange(4), np.array([0.5, 0.5, 0.5, 0.5]), law, 2, np.full(4, 0.5),
...                exhaustive_limit=0).tolist()
[0, 0, 1, 1]
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..evaluate.contention import shared_expected_max
from .gateways import sorted_hosts
from ..setting.onboard import expert_memory_gb

__all__ = ["capacity_hosts", "capacity_limit", "exhaustive", "EXHAUSTIVE_LIMIT"]

EXHAUSTIVE_LIMIT = 50_000
"""Layers with at most this many expert -> satellite maps are solved by enumeration (exact)."""


def capacity_limit(world) -> int | None:
    """Experts one satellite's memory holds (least memory over the candidates), or None without a memory model."""

    memory = [min(layer.memory_gb) for layer in world.layers if layer.memory_gb is not None]
    if not memory:
        return None
    return int(min(memory) // expert_memory_gb(world.profile))


def _moves(cols: np.ndarray, n: int, capacity: int) -> np.ndarray:
    """Every assignment one move or one swap away from ``cols`` (E,), as rows (M, E)."""
    load = np.bincount(cols, minlength=n)
    e = len(cols)
    expert, target = np.nonzero((load[None, :] < capacity) & (np.arange(n)[None, :] != cols[:, None]))
    moved = np.repeat(cols[None, :], len(expert), axis=0)
    moved[np.arange(len(expert)), expert] = target
    a, b = np.triu_indices(e, 1)
    keep = cols[a] != cols[b]
    a, b = a[keep], b[keep]
    swapped = np.repeat(cols[None, :], len(a), axis=0)
    swapped[np.arange(len(a)), a], swapped[np.arange(len(a)), b] = cols[b], cols[a]
    return np.concatenate([moved, swapped])


def exhaustive(n_candidates: int, n_experts: int, limit: int = EXHAUSTIVE_LIMIT) -> bool:
    """True when the ``n_candidates ** n_experts`` maps of a layer are few enough to enumerate."""
    return n_experts * math.log(max(n_candidates, 1)) <= math.log(max(limit, 1))


def _exhaustive(n: int, e: int, capacity: int) -> np.ndarray:
    rows = np.stack(np.meshgrid(*[np.arange(n)] * e, indexing="ij"), axis=-1).reshape(-1, e)
    load = np.stack([(rows == s).sum(axis=1) for s in range(n)], axis=1)
    return rows[(load <= capacity).all(axis=1)]


def _greedy_fill(tau, activation, capacity: int, contention, k: int) -> np.ndarray:
    load = np.zeros(len(tau), dtype=np.int64)
    mass = np.zeros(len(tau))
    cols = np.empty(len(activation), dtype=np.int64)
    for i in np.argsort(-np.asarray(activation), kind="stable"):
        cost = np.where(load < capacity, tau + contention * mass * (k - 1) / k, np.inf)
        cols[i] = s = int(np.argmin(cost))
        load[s] += 1
        mass[s] += activation[i]
    return cols


def capacity_hosts(tau: np.ndarray, candidates: np.ndarray, activation: np.ndarray, law, capacity: int,
                   contention: np.ndarray, *, max_passes: int = 200, batch: int = 4096,
                   exhaustive_limit: int = EXHAUSTIVE_LIMIT, search_limit: int = 64) -> np.ndarray:
    """Candidate satellites (E,) of a layer with up to ``capacity`` experts each (exhaustive, local search or greedy).

    ``tau`` and ``contention`` (seconds one more expert adds) are given per candidate.
    """
    if capacity < 1:
        raise InputError(f"capacity below one expert ({capacity})", field="capacity")
    n = len(candidates)

    def value(rows):
        return np.concatenate([shared_expected_max(law, tau[r], r, contention[r])
                               for r in np.array_split(rows, max(1, len(rows) // batch))])

    if len(activation) > search_limit:
        return candidates[_greedy_fill(tau, activation, capacity, contention, law.k)]
    if exhaustive(n, len(activation), exhaustive_limit):
        rows = _exhaustive(n, len(activation), capacity)
        return candidates[rows[int(np.argmin(value(rows)))]]
    cols = sorted_hosts(tau, candidates, activation)
    best = float(value(cols[None])[0])
    for _ in range(max_passes):
        rows = _moves(cols, n, capacity)
        if not len(rows):
            break
        vals = value(rows)
        k = int(np.argmin(vals))
        if not vals[k] < best - 1e-15:
            break
        cols, best = rows[k], float(vals[k])
    return candidates[cols]
