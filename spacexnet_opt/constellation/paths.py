"""Per-snapshot delays of gateway -> satellite -> next gateway paths, routed in one pass.

A *leg* is a triple ``(g, s, h)``: a token leaves gateway ``g``, visits
satellite ``s`` and goes on to gateway ``h``; its delay in snapshot ``t`` is
``D_t(g, s) + D_t(s, h)`` (links are symmetric, so ``D_t(s, h) = D_t(h, s)``).
The builder needs these delays for every candidate of every layer (their mean is
the expected path latency ``tau``); the evaluator needs them for every placed
expert. :func:`route_paths` routes each snapshot once, with Dijkstra from the
union of all gateways asked for (each search stops once the satellites of its
legs are settled), and keeps a (T, K) table of the K distinct
legs (``inf`` = no path), so one pass serves the layers of several gateway
rules and every deployment evaluated on them.

>>> import numpy as np
>>> d = np.abs(np.subtract.outer(np.arange(6.0), np.arange(6.0)))     # one snapshot: a line of 6 satellites
>>> table = path_delays([d[[0, 4]]], [0, 4], Legs([0, 0], [2, 5], [4, 4]))
>>> table.delay_s.tolist(), table.lookup(Legs([0], [5], [4])).tolist()
([[4.0, 6.0]], [[6.0]])
>>> table.covers(Legs([0], [3], [4]))
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..progress import Progress, no_progress
from .routing import iter_shortest_delays

if TYPE_CHECKING:
    from .isl import IslSnapshots

__all__ = ["Legs", "PathDelays", "path_delays", "route_paths"]


class Legs(NamedTuple):
    """Legs ``(gateways[i], satellites[i], next_gateways[i])``: three int arrays of one shape."""

    gateways: np.ndarray
    satellites: np.ndarray
    next_gateways: np.ndarray

    def flat(self) -> Legs:
        return Legs(*(np.asarray(x, dtype=np.int64).ravel() for x in self))

    def keys(self, n_sats: int) -> np.ndarray:
        """One int key per leg: ``(g * N + h) * N + s``."""
        g, s, h = self.flat()
        return (g * n_sats + h) * n_sats + s


@dataclass(frozen=True, eq=False)
class PathDelays:
    """Delays of distinct legs per snapshot.

    Attributes
    ----------
    keys : int array (K,)
        Sorted leg keys (:meth:`Legs.keys`).
    delay_s : float array (T, K)
        ``D_t(g, s) + D_t(s, h)``; ``inf`` where either part has no path.
    n_sats : int
        N, the constellation size.
    """

    keys: np.ndarray
    delay_s: np.ndarray
    n_sats: int

    def _index(self, legs: Legs) -> tuple[np.ndarray, np.ndarray]:
        wanted = Legs(*legs).keys(self.n_sats)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return at, self.keys[at] == wanted

    def covers(self, legs: Legs) -> bool:
        """Whether every leg of ``legs`` is in the table."""
        return bool(self._index(legs)[1].all())

    def lookup(self, legs: Legs) -> np.ndarray:
        """(T, n) delays of ``legs`` (flattened, in their order); KeyError for a leg not routed."""
        at, found = self._index(legs)
        if not found.all():
            raise KeyError("a leg was not routed: route it with route_paths first")
        return np.ascontiguousarray(self.delay_s[:, at])


def path_delays(distances: Iterable[np.ndarray], sources: np.ndarray, legs: Legs, *, n_snapshots: int = 0,
                progress: Progress = no_progress) -> PathDelays:
    """The :class:`PathDelays` of ``legs`` from per-snapshot delays (n_src, N) from ``sources``.

    ``n_snapshots`` (when known) is the progress total.
    """
    sources = np.asarray(sources, dtype=np.int64)
    rows: list[np.ndarray] = []
    for t, dist in enumerate(distances):
        if not rows:
            row = np.full(dist.shape[1], -1, dtype=np.int64)
            row[sources] = np.arange(len(sources))
            keys, unique_at = np.unique(legs.keys(dist.shape[1]), return_index=True)
            first, targets, second = (x[unique_at] for x in legs.flat())
            first, second = row[first], row[second]
        rows.append(dist[first, targets] + dist[second, targets])
        progress("routing", t + 1, n_snapshots)
    if not rows:
        raise ValueError("no snapshot to route")
    return PathDelays(keys, np.stack(rows), int(dist.shape[1]))


def route_paths(snapshots: IslSnapshots, legs: Sequence[Legs], *, progress: Progress = no_progress,
                workers: int | None = None) -> PathDelays:
    """Route every snapshot once from the gateways of ``legs`` and tabulate the legs' delays.

    Parameters
    ----------
    snapshots : IslSnapshots
    legs : sequence of Legs
        Repeated legs are routed and stored once.
    progress : Progress
        ``progress("routing", done, total)`` after each snapshot.
    workers : int, optional
        Routing threads (:func:`~spacexnet_opt.constellation.routing.iter_shortest_delays`).
    """

    merged = Legs(*(np.concatenate(part) for part in zip(*(Legs(*leg).flat() for leg in legs))))
    sources = np.unique(np.concatenate([merged.gateways, merged.next_gateways]))
    wanted = np.zeros((len(sources), snapshots.n_sats), dtype=bool)
    for ends in (merged.gateways, merged.next_gateways):
        wanted[np.searchsorted(sources, ends), merged.satellites] = True
    distances = iter_shortest_delays(snapshots, sources, workers=workers, wanted=wanted)
    return path_delays(distances, sources, merged, n_snapshots=snapshots.n_snapshots, progress=progress)
