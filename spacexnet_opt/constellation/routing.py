"""Shortest-path delays from a few source satellites, per snapshot and in expectation.

Dijkstra runs from the requested sources only, never all pairs (the compiled
kernel of :mod:`~spacexnet_opt.constellation.dijkstra`, which releases the GIL so
that threads route several snapshots at once), and snapshots are streamed one at
a time so memory stays at ``O(n_sources x N)``.

Disconnection rule of :func:`expected_delays`: for each (source, target) pair
``p_disconnected`` is the fraction of snapshots in which no path exists, and
``mean_s`` is the mean delay over the snapshots in which a path exists
(``inf`` if there is none in any snapshot). Both are reported together; a
caller that needs one number can use :meth:`ExpectedDelays.penalised`.

>>> from spacexnet_opt.constellation import WalkerShell, IslConfig, build_snapshots
>>> shell = WalkerShell("toy", 4, 10, 550.0, 87.0, phasing=2, pattern="star")
>>> snaps = build_snapshots(shell, n_snapshots=5, config=IslConfig(survival=1.0, max_angular_rate=None))
>>> exp = expected_delays(snaps, [0])
>>> exp.mean_s.shape, float(exp.mean_s[0, 0]), float(exp.p_disconnected.max())
((1, 40), 0.0, 0.0)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..budget import check_routing
from ..errors import InputError
from ..threads import usable_cores
from .dijkstra import multi_source_dijkstra

__all__ = ["default_workers", "shortest_delays", "iter_shortest_delays", "expected_delays", "ExpectedDelays",
           "DISCONNECTION_RULE", "connected_mean", "connected_expectation", "connected_average"]

DISCONNECTION_RULE = (
    "mean_s = mean shortest-path delay over the snapshots in which the pair is connected "
    "(inf if never connected); p_disconnected = fraction of snapshots without a path"
)


def connected_average(total: np.ndarray, connected: np.ndarray) -> np.ndarray:
    """The disconnection rule on streamed sums: ``total / connected`` where ``connected > 0``, else ``inf``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(connected > 0, total / np.maximum(connected, 1), np.inf)


def connected_mean(delays: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The disconnection rule (:data:`DISCONNECTION_RULE`) on per-snapshot ``delays`` along ``axis``:
    ``(filled, disconnected, mean)``.

    ``mean`` is the mean over the finite entries (``inf`` where there is none),
    ``filled`` is ``delays`` with every non-finite entry replaced by its mean, and
    ``disconnected`` marks the replaced entries.

    >>> filled, bad, mean = connected_mean(np.array([[1.0, np.inf], [3.0, np.inf]]))
    >>> filled[:, 0].tolist(), bad[:, 1].tolist(), mean.tolist()
    ([1.0, 3.0], [True, True], [2.0, inf])
    """
    delays = np.asarray(delays, dtype=float)
    bad = ~np.isfinite(delays)
    mean = _mean_of_finite(delays, bad, axis)
    return np.where(bad, np.expand_dims(mean, axis), delays), bad, mean


def connected_expectation(delays: np.ndarray, axis: int = 0) -> np.ndarray:
    """The ``mean`` of :func:`connected_mean` alone (no filled copy of ``delays``).

    >>> connected_expectation(np.array([[1.0, np.inf], [3.0, np.inf]])).tolist()
    [2.0, inf]
    """
    delays = np.asarray(delays, dtype=float)
    return _mean_of_finite(delays, ~np.isfinite(delays), axis)


def _mean_of_finite(delays: np.ndarray, bad: np.ndarray, axis: int) -> np.ndarray:
    return connected_average(np.where(bad, 0.0, delays).sum(axis=axis), (~bad).sum(axis=axis))


def _sources(snapshots, sources) -> np.ndarray:
    src = np.atleast_1d(np.asarray(sources))
    if src.ndim != 1 or not (np.issubdtype(src.dtype, np.integer) or src.size == 0):
        raise InputError("must be a 1-D list of satellite ids", field="sources")
    if src.size == 0:
        raise InputError("at least one source satellite is needed", field="sources")
    if src.min() < 0 or src.max() >= snapshots.n_sats:
        raise InputError(f"satellite ids must be in 0..{snapshots.n_sats - 1}", field="sources")
    return src.astype(np.int64)


def _snapshot_indices(snapshots, snapshots_idx) -> np.ndarray:
    if snapshots_idx is None:
        return np.arange(snapshots.n_snapshots)
    idx = np.atleast_1d(np.asarray(snapshots_idx))
    if not np.issubdtype(idx.dtype, np.integer) or idx.ndim != 1:
        raise InputError("must be a 1-D list of snapshot indices", field="snapshots_idx")
    if idx.size and (idx.min() < 0 or idx.max() >= snapshots.n_snapshots):
        raise InputError(f"snapshot indices must be in 0..{snapshots.n_snapshots - 1}", field="snapshots_idx")
    return idx


def default_workers() -> int:
    """Threads used for routing: the CPUs this process may use, at most 4."""
    return max(1, min(4, usable_cores()))


def iter_shortest_delays(snapshots, sources, *, snapshots_idx=None, workers: int | None = None,
                         wanted: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Yield, snapshot by snapshot, the (n_src, N) shortest-path delays in seconds (``inf`` = no path).

    Snapshots are solved by ``workers`` threads (the Dijkstra kernel releases
    the GIL) with a bounded look-ahead, so at most ``2 * workers + 1`` results
    are held at once; they are yielded in snapshot order. ``wanted`` (bool,
    (n_src, N)): the targets each source needs; its search stops once they are
    settled, and its other entries may be ``nan``.

    >>> from spacexnet_opt.constellation import preset, build_snapshots
    >>> snaps = build_snapshots(preset("paper"), n_snapshots=3)
    >>> [d.shape for d in iter_shortest_delays(snaps, [0, 5])]
    [(2, 1056), (2, 1056), (2, 1056)]
    """
    src = _sources(snapshots, sources)
    idx = _snapshot_indices(snapshots, snapshots_idx)
    check_routing(len(src), snapshots.n_sats, len(idx), field="sources")
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise InputError(f"must be a positive integer, got {workers}", field="workers")

    wanted = np.zeros((len(src), snapshots.n_sats), dtype=bool) if wanted is None else wanted

    def solve(t):
        graph = snapshots.graph(int(t))
        return multi_source_dijkstra(graph.indptr, graph.indices, graph.data, src, wanted)

    if workers == 1 or len(idx) == 1:
        yield from map(solve, idx)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending = deque()
        for t in idx:
            pending.append(pool.submit(solve, t))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def shortest_delays(snapshots, sources, *, snapshots_idx=None, workers: int | None = None) -> np.ndarray:
    """Shortest-path delays (s) from ``sources`` to every satellite, shape (T, n_src, N).

    ``np.inf`` marks a disconnected pair. For many snapshots of a large shell
    prefer :func:`iter_shortest_delays` or :func:`expected_delays`, which stream.

    >>> from spacexnet_opt.constellation import preset, build_snapshots
    >>> snaps = build_snapshots(preset("paper"), n_snapshots=2)
    >>> shortest_delays(snaps, [3]).shape
    (2, 1, 1056)
    """
    src = _sources(snapshots, sources)
    idx = _snapshot_indices(snapshots, snapshots_idx)
    check_routing(len(src), snapshots.n_sats, len(idx), field="sources")
    out = np.empty((len(idx), len(src), snapshots.n_sats))
    for k, dist in enumerate(iter_shortest_delays(snapshots, src, snapshots_idx=idx, workers=workers)):
        out[k] = dist
    return out


@dataclass(frozen=True, eq=False)
class ExpectedDelays:
    """Expected shortest-path delays from sources to all satellites over the snapshots.

    Attributes
    ----------
    sources : int array (n_src,)
    mean_s : float array (n_src, N)
        Mean delay over the snapshots in which the pair is connected; ``inf`` if never.
    p_disconnected : float array (n_src, N)
        Fraction of snapshots in which the pair has no path.
    n_snapshots : int
    rule : str
        The disconnection rule, in words.
    """

    sources: np.ndarray
    mean_s: np.ndarray
    p_disconnected: np.ndarray
    n_snapshots: int
    rule: str = DISCONNECTION_RULE

    def penalised(self, penalty_s: float) -> np.ndarray:
        """One number per pair: ``(1 - p) * mean_s + p * penalty_s`` (e.g. a retry or ground detour cost).

        Pairs never connected get ``penalty_s``.
        """
        p = self.p_disconnected
        connected_part = np.where(p < 1, self.mean_s, 0.0)
        return (1 - p) * connected_part + p * penalty_s


def expected_delays(snapshots, sources, *, snapshots_idx=None, workers: int | None = None) -> ExpectedDelays:
    """Mean shortest-path delay and disconnection probability from ``sources`` over all snapshots.

    Streams the snapshots (memory ``O(n_src x N)``); see the module docstring for the rule.

    >>> from spacexnet_opt.constellation import preset, build_snapshots
    >>> exp = expected_delays(build_snapshots(preset("paper"), n_snapshots=4), [0, 1])
    >>> exp.mean_s.shape, exp.n_snapshots
    ((2, 1056), 4)
    """
    src = _sources(snapshots, sources)
    idx = _snapshot_indices(snapshots, snapshots_idx)
    check_routing(len(src), snapshots.n_sats, len(idx), field="sources")
    if idx.size == 0:
        raise InputError("at least one snapshot is needed", field="snapshots_idx")
    total = np.zeros((len(src), snapshots.n_sats))
    connected = np.zeros((len(src), snapshots.n_sats), dtype=np.int64)
    for dist in iter_shortest_delays(snapshots, src, snapshots_idx=idx, workers=workers):
        ok = np.isfinite(dist)
        connected += ok
        total += np.where(ok, dist, 0.0)
    return ExpectedDelays(src, connected_average(total, connected), 1.0 - connected / len(idx), len(idx))
