"""One route table per set of snapshots: the per-snapshot delays from every source asked for, each routed once.

:meth:`RouteTable.of` returns the table of a snapshot set, memoised on the
snapshot object (which the resolved setting builds once per run), so within one
command every source is routed once, whichever step asks for it: the gateway
legs of the optimiser, the nearest-copy legs of the evaluator, the delays to
compute-group members. Delays are float64 seconds, ``inf`` where no path.

Its views apply the disconnection rule of :func:`~.routing.connected_mean`,
the one place that rule is written.

>>> from spacexnet_opt.constellation import WalkerShell, IslConfig, build_snapshots
>>> snaps = build_snapshots(WalkerShell("t", 4, 12, 550.0, 87.0, pattern="star"), n_snapshots=3,
...                         config=IslConfig(survival=1.0, max_angular_rate=None))
>>> table = RouteTable.of(snaps)
>>> table.delays([0, 3]).shape, table.routed_sources, table.passes
((3, 2, 48), 2, 1)
>>> _ = table.delays([3, 0]); table.passes        # already routed: looked up
1
>>> RouteTable.of(snaps) is table
True
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence

import numpy as np

from ..budget import check_routing, memory_ceiling
from ..errors import ResourceError
from ..progress import Progress, no_progress
from .routing import connected_expectation, iter_shortest_delays

__all__ = ["RouteTable"]

_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class RouteTable:
    """Per-snapshot shortest delays (T, N) from each routed source; new sources are routed in one pass."""

    def __init__(self, snapshots):
        self.snapshots = snapshots
        self._row: dict[int, int] = {}
        self._blocks: list[np.ndarray] = []   # (T, k, N) float64 each
        self._where: list[tuple[int, int]] = []
        self._lock = threading.Lock()   # threads of one run may ask at once: each source is still routed once
        self.passes = 0

    @property
    def routed_sources(self) -> int:
        return len(self._row)

    def _route(self, missing: np.ndarray, progress: Progress, keep: bool = True) -> np.ndarray:
        n_t, n = self.snapshots.n_snapshots, self.snapshots.n_sats
        need = (len(self._row) * keep + len(missing)) * n_t * n * 8
        if need > memory_ceiling():
            raise ResourceError(f"routing {len(self._row) + len(missing):,} sources over {n_t:,} snapshots of "
                                f"{n:,} satellites would keep {need / 2**30:,.1f} GiB of delays (ceiling "
                                f"{memory_ceiling() / 2**30:,.1f} GiB); use fewer gateways or snapshots",
                                field="sources")
        check_routing(len(missing), n, n_t, field="sources")
        block = np.empty((n_t, len(missing), n))
        for t, dist in enumerate(iter_shortest_delays(self.snapshots, missing)):
            block[t] = dist
            progress("routing", t + 1, n_t)
        self.passes += 1
        if keep:
            for k, s in enumerate(missing):
                self._row[int(s)] = len(self._where)
                self._where.append((len(self._blocks), k))
            self._blocks.append(block)
        return block

    @classmethod
    def of(cls, snapshots) -> "RouteTable":
        """The route table of ``snapshots``, one per snapshot object for the life of that object."""
        table = _TABLES.get(snapshots)
        if table is None:
            table = _TABLES[snapshots] = cls(snapshots)
        return table

    def delays(self, sources: Sequence[int] | np.ndarray, *, keep: bool = True,
               progress: Progress = no_progress) -> np.ndarray:
        """(T, len(sources), N) float64 delays from ``sources`` (``inf``: no path in that snapshot).

        Sources not yet in the table are routed in one pass and, with ``keep`` (default), kept for later
        requests; ``keep=False`` suits many one-off sources (random baselines' gateways): memory stays
        bounded by the request.
        """
        sources = np.asarray(sources, dtype=np.int64).ravel()
        with self._lock:
            missing = np.array(sorted({int(s) for s in sources} - set(self._row)), dtype=np.int64)
            fresh = self._route(missing, progress, keep) if missing.size else \
                np.empty((self.snapshots.n_snapshots, 0, 0))
            out = np.empty((self.snapshots.n_snapshots, len(sources), self.snapshots.n_sats))
            for j, s in enumerate(sources):
                if int(s) in self._row:
                    block, k = self._where[self._row[int(s)]]
                    out[:, j] = self._blocks[block][:, k]
                else:
                    out[:, j] = fresh[:, int(np.searchsorted(missing, s))]
        return out

    def expected(self, sources, *, progress: Progress = no_progress) -> np.ndarray:
        """(len(sources), N): the mean delay over the snapshots in which each pair is connected (``inf``: never)."""
        return connected_expectation(self.delays(sources, progress=progress))


