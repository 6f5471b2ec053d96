"""Per-snapshot path delays of every placed expert: ``D_t(g_l, s) + D_t(s, g_{l+1})``.

One pass over the snapshots serves many deployments: Dijkstra runs once per
snapshot from the union of their gateways (links are symmetric, so
``D(s, g) = D(g, s)``), and only the (layer, expert) legs each deployment
needs are kept -- memory ``T x L x E`` per deployment
(:mod:`spacexnet_opt.constellation.paths`). Legs the world has already routed
(the candidates of its layers) are looked up, not routed again.

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..constellation.paths import Legs, PathDelays, route_paths
from ..constellation.routing import connected_mean
from ..errors import InputError
from ..progress import Progress, no_progress

if TYPE_CHECKING:
    from ..constellation import IslSnapshots
    from .deployment import Deployment

__all__ = ["LegDelays", "deployment_legs", "leg_delays"]


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


def deployment_legs(deployment: Deployment) -> Legs:
    """The leg ``(g_l, s_li, g_{l+1})`` of every placed expert, each array (L, E)."""
    shape = deployment.experts.shape
    return Legs(np.broadcast_to(deployment.gateways[:, None], shape), deployment.experts,
                np.broadcast_to(deployment.next_gateways[:, None], shape))


def leg_delays(snapshots: IslSnapshots, deployments: Sequence[Deployment], *, paths: PathDelays | None = None,
               progress: Progress = no_progress, workers: int | None = None) -> list[LegDelays]:
    """The :class:`LegDelays` of each deployment, routing every snapshot at most once.

    Legs already in ``paths`` are looked up; the others are routed in one pass
    (:func:`~spacexnet_opt.constellation.paths.route_paths`).
    """
    legs = [deployment_legs(d) for d in deployments]
    missing = [leg for leg in legs if paths is None or not paths.covers(leg)]
    routed = route_paths(snapshots, missing, progress=progress, workers=workers) if missing else None
    result = []
    for d, leg in zip(deployments, legs):
        table = paths if paths is not None and paths.covers(leg) else routed
        assert table is not None  # every leg is in ``paths`` or was routed
        arr = table.lookup(leg).reshape(-1, d.n_layers, d.n_experts)
        filled, bad, mean = connected_mean(arr)
        if not np.isfinite(mean).all():
            l, i = np.argwhere(~np.isfinite(mean))[0]
            raise InputError(f"layer {l}: expert {i} on satellite {d.experts[l, i]} has no path to gateway "
                             f"{d.gateways[l]} or to the next gateway {d.next_gateways[l]} in any snapshot",
                             field=f"layers[{l}].experts[{i}]")
        result.append(LegDelays(filled, bad))
    return result
