"""Delays the optimiser works on: expected delays from candidate gateways, and exact legs of chosen gateways.

Choosing gateways needs delays from many candidate sources; these are averaged
over ``n_snapshots`` evenly spread snapshots (:func:`candidate_delays`), as
the builder does for median gateways, or taken on the mean-delay ISL graph. Once the gateways are chosen, every
snapshot is routed again from them only (:func:`gateway_legs`): the expected
path latency ``tau_l(s) = E[D(g_l, s) + D(s, g_{l+1})]`` of every satellite,
under the builder's disconnection rule (mean over the snapshots in which both
legs exist), and, when asked, the per-snapshot legs themselves (for replicas).

>>> from spacexnet_opt.constellation import WalkerShell, IslConfig, build_snapshots
>>> snaps = build_snapshots(WalkerShell("t", 4, 12, 550.0, 87.0, pattern="star"), n_snapshots=2,
...                         config=IslConfig(survival=1.0, max_angular_rate=None))
>>> legs = gateway_legs(snaps, np.array([0, 3]), keep=True)
>>> legs.tau.shape, legs.delay.shape, bool(np.isclose(legs.tau[0, 0], legs.tau[0, 3]))   # both D(g_0, g_1)
((2, 48), (2, 2, 48), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constellation import RouteTable, connected_expectation
from ..progress import Progress, no_progress
from ..threads import thread_map
from ..setting import member_delay_function

__all__ = ["GatewayLegs", "gateway_legs", "candidate_delays"]


def candidate_delays(snapshots, sources, *, n_snapshots: int, graph=None) -> np.ndarray:
    """Expected delays (n_src, N) from ``sources`` (inf: never connected).

    Over ``n_snapshots`` evenly spread snapshots, or, with ``n_snapshots=0``,
    shortest paths on ``graph`` (the mean-delay ISL graph, one routing pass in
    all: fast on large shells; it over-estimates the mean of per-snapshot
    shortest delays slightly, since a mean of minima is at most the minimum of means).
    """

    sources = np.asarray(sources, dtype=np.int64)
    if n_snapshots == 0:
        from scipy.sparse.csgraph import dijkstra

        return dijkstra(graph, indices=sources)
    return member_delay_function(snapshots, n_snapshots)(sources)


@dataclass(frozen=True, eq=False)
class GatewayLegs:
    """``tau`` (L, N): expected path latency through every satellite; ``delay`` (T, L, N) or None."""

    gateways: np.ndarray
    tau: np.ndarray
    delay: np.ndarray | None


def gateway_legs(snapshots, gateways, *, keep: bool = False,
                 progress: Progress = no_progress) -> GatewayLegs:
    """The path latencies of every satellite per layer from ``gateways`` (L,), on the snapshots' route table."""
    gateways = np.asarray(gateways, dtype=np.int64)
    sources = np.unique(gateways)
    dist = RouteTable.of(snapshots).delays(sources, progress=progress)
    first = np.searchsorted(sources, gateways)
    after = np.roll(first, -1)
    # layer by layer: (T, N) sums stay in cache where one (T, L, N) array would not (2.7 s -> 0.1 s on the mega
    # shell); the same floats
    tau = np.stack(thread_map(lambda l: connected_expectation(dist[:, first[l]] + dist[:, after[l]]),
                              range(len(gateways))))
    return GatewayLegs(gateways, tau, dist[:, first] + dist[:, after] if keep else None)
