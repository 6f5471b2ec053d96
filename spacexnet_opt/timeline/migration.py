"""Re-placement with a migration cost: move as few expert bytes, over as few hops, as the latency is worth.

Each MoE layer ``l`` has its candidate satellites ``cand[c]`` and a linear
latency cost ``cost[i, c]`` (seconds per token of expert ``i`` on candidate
``c``, e.g. ``p_i tau(c)``). Expert ``i`` currently gets its weights from the
satellites ``src[i, r]`` (its host, or after a failure its surviving copies,
or the layer's gateway standing in for a ground upload). Moving it to ``c``
costs ``gb_i * min_r hops(src[i, r], cand[c])`` GB x hops, zero when it stays.
The re-placement minimises

    sum_i cost[i, a(i)] + lam * sum_i gb_i * min_r hops(src[i, r], cand[a(i)])

over injective ``a`` into the surviving candidates. Both terms are sums of one
entry per expert, so this is a rectangular linear assignment on the matrix
``cost + lam * migration`` (``formulations/migration.md``) and every exact LAP
backend of :mod:`spacexnet_opt.solve` solves it.

Hops are counted on the +Grid of the shell without the failed satellites
(a transfer is routed around them; link failures of single snapshots are
ignored); link time is ``8e9 * GB x hops / link_rate_bps``: the seconds of
link occupancy the transfers add up to.

>>> layer = LayerCost(candidates=np.array([10, 11, 12]), cost=np.array([[1.0, 0.2, 0.5], [0.3, 0.4, 0.1]]))
>>> hops = lambda sources, targets: np.abs(np.subtract.outer(sources, targets)).astype(float)  # a line
>>> stay = replace_experts([layer], np.array([[10, 12]]), [0], hops, expert_gb=1.0, lam=10.0)
>>> stay.experts.tolist(), stay.gb_moved                 # moving costs more than it saves
([[10, 12]], 0.0)
>>> move = replace_experts([layer], np.array([[10, 12]]), [0], hops, expert_gb=1.0, lam=0.1)
>>> move.experts.tolist(), move.gb_moved, move.gb_hops   # expert 0 moves one hop for 0.8 s less
([[11, 12]], 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..solve import solve
from ..solve.problems import LinearProblem

__all__ = ["LayerCost", "Replacement", "grid_hops", "weight_sources", "replace_experts"]

HopFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``hops(sources, targets) -> (len(sources), len(targets))`` hop counts (inf: unreachable)."""


@dataclass(frozen=True, eq=False)
class LayerCost:
    """Candidate satellites (C,) of one layer and its linear latency cost (E, C) in seconds per token."""

    candidates: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True, eq=False)
class Replacement:
    """A re-placement: new hosts ``experts`` (L, E), which experts ``moved``, and what moving cost.

    ``gb_moved``: GB of weights sent (an expert that lost every copy counts as sent from its gateway, standing in
for an upload); ``gb_hops``: GB x hops; ``link_time_s``:
    seconds of link occupancy at the ISL rate; ``latency``: the linear latency
    objective summed over layers (seconds per token).
    """

    experts: np.ndarray
    moved: np.ndarray
    gb_moved: float
    gb_hops: float
    link_time_s: float
    latency: float


def grid_hops(edges: np.ndarray, n_sats: int, *, failed=()) -> HopFunction:
    """Hop counts on the graph ``edges`` (M, 2) without the ``failed`` satellites, by breadth-first search.

    >>> hops = grid_hops(np.array([[0, 1], [1, 2], [2, 3], [0, 3]]), 4, failed=[1])   # a ring of 4 without 1
    >>> hops(np.array([0, 2]), np.array([0, 2, 3])).tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 1.0]]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import shortest_path

    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    dead = np.zeros(n_sats, dtype=bool)
    dead[np.asarray(list(failed), dtype=np.int64)] = True
    keep = edges[~dead[edges].any(axis=1)]
    graph = coo_matrix((np.ones(len(keep)), (keep[:, 0], keep[:, 1])), shape=(n_sats, n_sats)).tocsr()

    def hops(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        sources = np.asarray(sources, dtype=np.int64)
        unique, inverse = np.unique(sources, return_inverse=True)
        table = shortest_path(graph, directed=False, unweighted=True, indices=unique)
        return table[np.ix_(inverse.ravel(), np.asarray(targets, dtype=np.int64))]

    return hops


def weight_sources(hosts: np.ndarray, gateways: np.ndarray, *, failed=()) -> np.ndarray:
    """Where each expert's weights come from: its surviving copies, else its layer's gateway, shape (L, E, R).

    ``hosts`` (L, E, C) are the copies (``-1`` padding), copy 0 the primary. A
    primary that survives is the only source (the expert may stay); otherwise
    the surviving replicas are, and with none left, the gateway (standing in for
    an upload from the ground). Padded with ``-1``.

    >>> weight_sources(np.array([[[3, 7], [4, -1]]]), np.array([0]), failed=[3, 4]).tolist()
    [[[7, -1], [0, -1]]]
    """
    hosts = np.asarray(hosts, dtype=np.int64)
    alive = (hosts >= 0) & ~np.isin(hosts, np.asarray(list(failed), dtype=np.int64))
    primary_alive = alive[:, :, :1]
    use = np.where(primary_alive, np.arange(hosts.shape[2]) == 0, alive)
    sources = np.where(use, hosts, -1)
    none = ~use.any(axis=2)
    sources[:, :, 0] = np.where(none, np.asarray(gateways)[:, None], sources[:, :, 0])
    order = np.argsort(sources < 0, axis=2, kind="stable")  # real sources first
    return np.take_along_axis(sources, order, axis=2)


def _migration_hops(sources: np.ndarray, candidates: np.ndarray, hops: HopFunction) -> np.ndarray:
    """``min_r hops(sources[i, r], candidates[c])``, shape (E, C)."""
    flat = np.where(sources >= 0, sources, sources[:, :1]).ravel()  # padding repeats a real source
    table = hops(flat, candidates).reshape(sources.shape[0], sources.shape[1], len(candidates))
    return table.min(axis=1)


def _big_m(price: np.ndarray) -> np.ndarray:
    """Unreachable (infinite) entries priced above any assignment of finite ones."""
    finite = np.isfinite(price)
    big = 1.0 + price.shape[0] * (np.abs(price[finite]).max(initial=0.0) + 1.0)
    return np.where(finite, price, 2 * big)


def replace_experts(layers: Sequence[LayerCost], hosts, gateways, hops: HopFunction, *, expert_gb, lam: float,
                    failed=(), link_rate_bps: float = 100e9, method: str = "hungarian") -> Replacement:
    """Minimise latency + ``lam`` x GB x hops over injective placements, layer by layer (exact with an exact LAP method).

    Parameters
    ----------
    layers : sequence of LayerCost
        Each layer's candidates and linear latency cost under the *new* conditions.
    hosts : array (L, E) or (L, E, C)
        The current deployment: each expert's host, or its copies (``-1`` padding, copy 0 the primary).
    gateways : array (L,)
        Each layer's gateway: the source of an expert that lost every copy (:func:`weight_sources`).
    hops : callable
        Hop counts, e.g. :func:`grid_hops` without the failed satellites.
    expert_gb : float or array (L, E)
        GB of weights per expert.
    lam : float
        Seconds per token that one GB x hop of migration is worth (0: re-optimise from scratch).
    failed : iterable of int
        Failed satellites: never a target.
    method : str
        An exact LAP method: hungarian, ortools-lsa, cpsat, pulp-cbc, pulp-highs, brute.
    """
    hosts = np.asarray(hosts, dtype=np.int64)
    if hosts.ndim == 2:
        hosts = hosts[:, :, None]
    sources = weight_sources(hosts, gateways, failed=failed)
    if not (np.isfinite(lam) and lam >= 0):
        raise InputError(f"must be a non-negative number, got {lam!r}", field="lambda")
    gb = np.broadcast_to(np.asarray(expert_gb, dtype=float), sources.shape[:2])
    dead = np.asarray(list(failed), dtype=np.int64)
    experts = np.empty(sources.shape[:2], dtype=np.int64)
    gb_hops = latency = 0.0
    for l, layer in enumerate(layers):
        alive = ~np.isin(layer.candidates, dead)
        cand = np.asarray(layer.candidates)[alive]
        if len(cand) < sources.shape[1]:
            raise InputError(f"layer {l}: {sources.shape[1]} experts but only {len(cand)} surviving candidates",
                             field="failures")
        moves = gb[l][:, None] * _migration_hops(sources[l], cand, hops)
        result = solve(LinearProblem(_big_m(np.asarray(layer.cost, float)[:, alive] + lam * moves),
                                     name=f"layer {l}"), method)
        rows = np.arange(len(result.assignment))
        experts[l] = cand[result.assignment]
        if not np.isfinite(moves[rows, result.assignment]).all():
            raise InputError(f"layer {l}: the failures cut the surviving candidates off from some expert's weights",
                             field="failures")
        gb_hops += float(moves[rows, result.assignment].sum())
        latency += float(np.asarray(layer.cost, float)[:, alive][rows, result.assignment].sum())
    moved = ~((experts[:, :, None] == hosts) & ~np.isin(hosts, dead)).any(axis=2)  # not onto a surviving copy
    return Replacement(experts, moved, float((gb * moved).sum()), gb_hops, 8e9 * gb_hops / link_rate_bps, latency)
