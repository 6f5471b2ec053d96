"""Per-snapshot path delays of every placed expert: ``D_t(g_l, s) + D_t(s, g_{l+1})``.

One pass over the snapshots serves many deployments: Dijkstra runs once per
snapshot from the union of their gateways (links are symmetric, so
``D(s, g) = D(g, s)``), and only the (layer, expert) entries each deployment
needs are kept -- memory ``T x L x E`` per deployment.

Disconnection rule (the one of the instance builder): where either leg has no
path in a snapshot, the pair is charged its mean delay over the snapshots in
which it is connected, and the event is counted in ``disconnected``. A pair
never connected in any snapshot is an error.

>>> from spacexnet_opt.constellation import WalkerShell, IslConfig, build_snapshots
>>> from spacexnet_opt.evaluate.deployment import Deployment
>>> snaps = build_snapshots(WalkerShell("t", 4, 12, 550.0, 87.0, pattern="star"), n_snapshots=3,
...                         config=IslConfig(survival=1.0, max_angular_rate=None))
>>> legs = leg_delays(snaps, [Deployment([0, 3], [[1, 2], [13, 14]])])[0]
>>> legs.delay_s.shape, bool(legs.disconnected.any())
((3, 2, 2), False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["LegDelays", "leg_delays"]


@dataclass(frozen=True, eq=False)
class LegDelays:
    """Path delay through each placed expert per snapshot.

    Attributes
    ----------
    delay_s : float array (T, L, E)
        ``D_t(g_l, s_li) + D_t(s_li, g_{l+1})``, disconnected entries replaced by the connected mean.
    disconnected : bool array (T, L, E)
        Where the replacement happened.
    """

    delay_s: np.ndarray
    disconnected: np.ndarray

    @property
    def expected_s(self) -> np.ndarray:
        """(L, E): the expected path latency tau of every placed expert (the instance's rule)."""
        return self.delay_s.mean(axis=0)


def leg_delays(snapshots, deployments: Sequence, *, progress: Callable[[int, int], None] | None = None,
               workers: int | None = None) -> list[LegDelays]:
    """Route every snapshot once and return the :class:`LegDelays` of each deployment."""
    from ..constellation import iter_shortest_delays

    sources = np.unique(np.concatenate([d.gateways for d in deployments]))
    row = np.full(snapshots.n_sats, -1)
    row[sources] = np.arange(len(sources))
    n_t = snapshots.n_snapshots
    out = [np.empty((n_t, d.n_layers, d.n_experts)) for d in deployments]
    # rows of the routed distance matrix holding each layer's gateway and next gateway
    rows = [(row[d.gateways][:, None], row[d.next_gateways][:, None]) for d in deployments]
    for t, dist in enumerate(iter_shortest_delays(snapshots, sources, workers=workers)):
        for d, arr, (first, second) in zip(deployments, out, rows):
            arr[t] = dist[first, d.experts] + dist[second, d.experts]
        if progress is not None:
            progress(t + 1, n_t)
    result = []
    for d, arr in zip(deployments, out):
        bad = ~np.isfinite(arr)
        n_ok = (~bad).sum(axis=0)
        if (n_ok == 0).any():
            l, i = np.argwhere(n_ok == 0)[0]
            raise InputError(f"layer {l}: expert {i} on satellite {d.experts[l, i]} has no path to gateway "
                             f"{d.gateways[l]} or to the next gateway {d.next_gateways[l]} in any snapshot",
                             field=f"layers[{l}].experts[{i}]")
        mean = np.where(bad, 0.0, arr).sum(axis=0) / n_ok
        result.append(LegDelays(np.where(bad, mean, arr), bad))
    return result
