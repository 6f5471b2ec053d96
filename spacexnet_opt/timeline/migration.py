"""Re-placement with a migration cost: move as few expert bytes, over as few hops, as the latency is worth.

Each MoE layer ``l`` has its candidate satellites ``cand[c]`` and a linear
latency cost ``cost[i, c]`` (seconds per token of expert ``i`` on candidate
``c``, e.g. ``p_i tau(c)``). Expert ``i`` currently gets its weights from the
satellites ``src[i, r]`` (its host, or after a failure its surviving copies,
or the layer's gateway standing in for a ground upload). Moving it to ``c``
sends ``gb_i`` GB over ``d[i, c] = min_r hops(src[i, r], cand[c])`` hops
(``d = 0``: it stays). The re-placement minimises

    sum_i cost[i, a(i)] + lam * sum_i gb_i * (d[i, a(i)] + fixed_hops * [d[i, a(i)] > 0])

over injective ``a`` into the surviving candidates. Both terms are sums of one
entry per expert, so this is a rectangular linear assignment on the matrix
``cost + lam * migration`` (``formulations/migration.md``) and every exact LAP
backend of :mod:`spacexnet_opt.solve` solves it. ``fixed_hops`` (default 1)
prices sending the bytes at all: GB x hops alone is indifferent between one
expert moving ``n`` hops and ``n`` experts shifting one hop each.

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
>>> move.experts.tolist(), move.gb_moved, move.gb_hops   # expert 0 moves one hop for 0.8 s less (price 0.2)
([[11, 12]], 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from ..constellation import plus_grid_edges
from ..errors import InputError
from ..solve import solve
from ..solve.problems import LinearProblem

__all__ = ["GROUND", "LayerCost", "Replacement", "MigrationProblem", "grid_hops", "weight_sources",
           "migration_problem", "replace_experts", "column_of"]

GROUND = -2
"""Source of an expert uploaded straight from the ground to its target (every copy and its gateway failed)."""

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


def grid_hops(shell, *, failed=()) -> HopFunction:
    """Hop counts on the shell's +Grid without the ``failed`` satellites.

    With nothing failed, the closed form of the grid: ``|dp + wP| + cyc(ds - wF)``
    minimised over crossing the seam ``w`` in {-1, 0, 1} times (delta pattern;
    star: no seam, ``w = 0``), where ``cyc`` is the shorter way round a plane.
    With failures, breadth-first search on the grid without them.

    >>> from spacexnet_opt.constellation import WalkerShell
    >>> shell = WalkerShell("ring", 1, 4, 550.0, 87.0)              # one plane: a ring of 4
    >>> grid_hops(shell)(np.array([0, 2]), np.array([0, 2, 3])).tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 1.0]]
    >>> grid_hops(shell, failed=[1])(np.array([0, 2]), np.array([0, 2, 3])).tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 1.0]]
    """
    failed = np.asarray(list(failed), dtype=np.int64)
    if len(failed):
        return _bfs_hops(shell, failed)
    n_planes, n_slots = shell.n_planes, shell.sats_per_plane
    wraps = (-1, 0, 1) if shell.pattern == "delta" and n_planes > 1 else (0,)

    def hops(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        p1, s1 = np.divmod(np.asarray(sources, dtype=np.int64), n_slots)
        p2, s2 = np.divmod(np.asarray(targets, dtype=np.int64), n_slots)
        dp, ds = np.subtract.outer(p2, p1).T, np.subtract.outer(s2, s1).T
        best = None
        for w in wraps:
            around = (ds - w * shell.phasing) % n_slots
            value = np.abs(dp + w * n_planes) + np.minimum(around, n_slots - around)
            best = value if best is None else np.minimum(best, value)
        return best.astype(float)

    return hops


def _bfs_hops(shell, failed: np.ndarray) -> HopFunction:


    n_sats = shell.n_sats
    edges = plus_grid_edges(shell)
    dead = np.zeros(n_sats, dtype=bool)
    dead[failed] = True
    keep = edges[~dead[edges].any(axis=1)]
    graph = coo_matrix((np.ones(len(keep)), (keep[:, 0], keep[:, 1])), shape=(n_sats, n_sats)).tocsr()

    def hops(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(np.asarray(sources, dtype=np.int64), return_inverse=True)
        table = shortest_path(graph, directed=False, unweighted=True, indices=unique)
        return table[np.ix_(inverse.ravel(), np.asarray(targets, dtype=np.int64))]

    return hops


def weight_sources(hosts: np.ndarray, gateways: np.ndarray, *, failed=()) -> np.ndarray:
    """Where each expert's weights come from: its surviving copies, else its layer's gateway, shape (L, E, R).

    ``hosts`` (L, E, C) are the copies (``-1`` padding), copy 0 the primary.
    Every surviving copy is a source (the expert may stay on any of them for
    free); an expert that lost every copy is sent from its layer's gateway,
    standing in for an upload from the ground, or, when the gateway failed too,
    uploaded straight to its target (:data:`GROUND`, zero hops). Padded with ``-1``.

    >>> weight_sources(np.array([[[3, 7], [4, -1]]]), np.array([0]), failed=[3, 4]).tolist()
    [[[7, -1], [0, -1]]]
    >>> weight_sources(np.array([[[3, -1]]]), np.array([0]), failed=[0, 3]).tolist()
    [[[-2, -1]]]
    """
    hosts = np.asarray(hosts, dtype=np.int64)
    sources = np.where(_alive(hosts, failed), hosts, -1)
    none = (sources < 0).all(axis=2)
    gateways = np.asarray(gateways, dtype=np.int64)
    uplink = np.where(np.isin(gateways, np.asarray(list(failed), dtype=np.int64)), GROUND, gateways)
    sources[:, :, 0] = np.where(none, uplink[:, None], sources[:, :, 0])
    order = np.argsort(sources == -1, axis=2, kind="stable")  # sources first, padding last
    return np.take_along_axis(sources, order, axis=2)


def _alive(hosts: np.ndarray, failed) -> np.ndarray:
    """Copies that exist and survive the failures."""
    return (hosts >= 0) & ~np.isin(hosts, np.asarray(list(failed), dtype=np.int64))


def _migration_hops(sources: np.ndarray, candidates: np.ndarray, hops: HopFunction) -> np.ndarray:
    """``min_r hops(sources[i, r], candidates[c])``, shape (E, C); 0 from :data:`GROUND`."""
    ground = sources[:, 0] == GROUND
    first = np.where(ground, candidates[0], sources[:, 0])  # any real id; ground rows are zeroed below
    filled = np.where(sources >= 0, sources, first[:, None])  # padding repeats the first source
    table = hops(filled.ravel(), candidates).reshape(sources.shape[0], sources.shape[1], len(candidates))
    out = table.min(axis=1)
    out[ground] = 0.0
    return out


def column_of(candidates: np.ndarray, satellites: np.ndarray) -> np.ndarray:
    """Index of each of ``satellites`` in ``candidates`` (all must be there).

    >>> column_of(np.array([40, 10, 30]), np.array([30, 40])).tolist()
    [2, 0]
    """
    order = np.argsort(candidates)
    return order[np.searchsorted(candidates, satellites, sorter=order)]


def _big_m(price: np.ndarray) -> np.ndarray:
    """Unreachable (infinite) entries priced above any assignment of finite ones."""
    finite = np.isfinite(price)
    big = 1.0 + price.shape[0] * (np.abs(price[finite]).max(initial=0.0) + 1.0)
    return np.where(finite, price, 2 * big)


@dataclass(frozen=True, eq=False)
class MigrationProblem:
    """Every layer's surviving candidates, latency cost and migration GB x hops, priced once for any ``lam``.

    Made by :func:`migration_problem`; :meth:`solve` places for one ``lam``,
    :meth:`solve_within` for the fewest GB x hops within a latency tolerance.
    """

    candidates: tuple
    cost: tuple
    moves: tuple
    stays: tuple
    hosts: np.ndarray
    expert_gb: np.ndarray
    failed: np.ndarray
    link_rate_bps: float
    fixed_hops: float = 1.0

    def price(self, l: int) -> np.ndarray:
        """Migration price (E, C) of layer ``l``: GB x (hops + ``fixed_hops``) for a move, 0 onto a surviving copy."""
        return self.moves[l] + self.fixed_hops * np.where(self.stays[l], 0.0, self.expert_gb[l][:, None])

    def solve(self, lam: float, *, method: str = "hungarian") -> Replacement:
        """Minimise latency + ``lam`` x migration price, layer by layer (exact with an exact LAP method)."""
        if not (np.isfinite(lam) and lam >= 0):
            raise InputError(f"must be a non-negative number, got {lam!r}", field="lambda")
        experts = np.empty(self.hosts.shape[:2], dtype=np.int64)
        for l, (cand, cost) in enumerate(zip(self.candidates, self.cost)):
            result = solve(LinearProblem(_big_m(cost + lam * self.price(l)), name=f"layer {l}"), method)
            experts[l] = cand[result.assignment]
        return self.replacement(experts)

    def columns(self, l: int, experts: np.ndarray) -> np.ndarray:
        """Column of each satellite of ``experts`` among layer ``l``'s surviving candidates."""
        return column_of(self.candidates[l], experts)

    def price_on(self, l: int, satellites: np.ndarray) -> np.ndarray:
        """:meth:`price` of layer ``l`` on arbitrary candidate ``satellites`` (C,): ``inf`` where one is not a
        surviving candidate."""
        satellites = np.asarray(satellites, dtype=np.int64)
        out = np.full((self.hosts.shape[1], len(satellites)), np.inf)
        known = np.isin(satellites, self.candidates[l])
        out[:, known] = self.price(l)[:, self.columns(l, satellites[known])]
        return out

    def replacement(self, experts: np.ndarray) -> Replacement:
        """What placing ``experts`` (L, E) moves and costs; InputError if a move has no path to its target."""
        rows = np.arange(experts.shape[1])
        gb_hops = latency = 0.0
        for l, (cost, moves) in enumerate(zip(self.cost, self.moves)):
            chosen = (rows, self.columns(l, experts[l]))
            if not np.isfinite(moves[chosen]).all():
                raise InputError(f"layer {l}: the failures cut the surviving candidates off from some expert's "
                                 "weights", field="failures")
            gb_hops += float(moves[chosen].sum())
            latency += float(cost[chosen].sum())
        hosts = self.hosts
        moved = ~((experts[:, :, None] == hosts) & _alive(hosts, self.failed)).any(axis=2)  # not onto a live copy
        return Replacement(experts, moved, float((self.expert_gb * moved).sum()), gb_hops,
                           8e9 * gb_hops / self.link_rate_bps, latency)

    def solve_within(self, tolerance: float, *, method: str = "hungarian", steps: int = 24) -> tuple[Replacement, float]:
        """The placement of the largest ``lam`` whose latency is within ``tolerance`` of re-optimising, and ``lam``.

        The optimum's latency grows and its migration shrinks with ``lam`` (parametric
        LAP), so a bisection on ``log lam`` over 1e-12..1e6 finds it to ``steps`` halvings.
        """
        if not (np.isfinite(tolerance) and tolerance >= 0):
            raise InputError(f"must be a non-negative fraction, got {tolerance!r}", field="tolerance")
        best, best_lam = self.solve(0.0, method=method), 0.0
        limit = best.latency * (1 + tolerance)
        low, high = -12.0, 6.0
        for _ in range(steps):
            mid = (low + high) / 2
            trial = self.solve(10.0**mid, method=method)
            if trial.latency <= limit:
                best, best_lam, low = trial, 10.0**mid, mid
            else:
                high = mid
        return best, best_lam


def migration_problem(layers: Sequence[LayerCost], hosts, gateways, hops: HopFunction, *, expert_gb,
                      failed=(), link_rate_bps: float = 100e9, fixed_hops: float = 1.0) -> MigrationProblem:
    """Price re-placing the current deployment ``hosts`` under new conditions (see the module docstring).

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
    failed : iterable of int
        Failed satellites: never a target.
    link_rate_bps : float
        ISL rate, for the link time.
    fixed_hops : float
        Hop-equivalents charged for any move on top of its hops: the price of
        sending the bytes at all. Without it, GB x hops alone is indifferent
        between one expert moving ``n`` hops and ``n`` experts each shifting one.
    """
    if not (np.isfinite(fixed_hops) and fixed_hops >= 0):
        raise InputError(f"must be a non-negative number, got {fixed_hops!r}", field="fixed_hops")
    hosts = np.asarray(hosts, dtype=np.int64)
    if hosts.ndim == 2:
        hosts = hosts[:, :, None]
    sources = weight_sources(hosts, gateways, failed=failed)
    gb = np.broadcast_to(np.asarray(expert_gb, dtype=float), sources.shape[:2])
    dead = np.asarray(list(failed), dtype=np.int64)
    candidates, costs, moves, stays = [], [], [], []
    alive_copies = np.where(_alive(hosts, failed), hosts, -1)
    for l, layer in enumerate(layers):
        alive = ~np.isin(layer.candidates, dead)
        cand = np.asarray(layer.candidates, dtype=np.int64)[alive]
        if len(cand) < sources.shape[1]:
            raise InputError(f"layer {l}: {sources.shape[1]} experts but only {len(cand)} surviving candidates",
                             field="failures")
        candidates.append(cand)
        costs.append(np.asarray(layer.cost, float)[:, alive])
        moves.append(gb[l][:, None] * _migration_hops(sources[l], cand, hops))
        stays.append((cand[None, :, None] == alive_copies[l][:, None, :]).any(axis=2))
    return MigrationProblem(tuple(candidates), tuple(costs), tuple(moves), tuple(stays), hosts, gb, dead,
                            float(link_rate_bps),
                            float(fixed_hops))


def replace_experts(layers: Sequence[LayerCost], hosts, gateways, hops: HopFunction, *, expert_gb, lam: float,
                    failed=(), link_rate_bps: float = 100e9, fixed_hops: float = 1.0,
                    method: str = "hungarian") -> Replacement:
    """:func:`migration_problem` solved for one ``lam`` (seconds per token one GB x hop is worth; 0:
    re-optimise from scratch) with an exact LAP ``method``: hungarian, ortools-lsa, cpsat, pulp-cbc,
    pulp-highs or brute."""
    problem = migration_problem(layers, hosts, gateways, hops, expert_gb=expert_gb, failed=failed,
                                link_rate_bps=link_rate_bps, fixed_hops=fixed_hops)
    return problem.solve(lam, method=method)
