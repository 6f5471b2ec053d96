"""Several model replicas on one constellation: a :class:`Fleet` of rings serving disjoint users.

A fleet is data-parallel serving: every ring is a whole :class:`~spacexnet_opt.evaluate.Deployment`
(all layers, all experts) on satellites no other ring uses, and each request goes to one ring
(``split``). The rings never share a server, so the fleet's capacity is the sum of theirs and the
serving simulator runs each ring on its own share of the arrivals (:mod:`spacexnet_opt.serve.fleet`).

:func:`plane_rings` is the heuristic for Walker shells (``formulations/throughput.md``): ring ``r`` takes
``c`` adjacent orbital planes; its satellites, ordered slot by slot, are cut into one consecutive block
per layer sized in proportion to the layer's work (layer 0 also runs the dense layers). In each block
the middle satellite is the gateway, every satellite of the block is a compute-group member, and the
experts go to the members other than the gateway, hottest first onto the least loaded
(longest-processing-time rule). The capacity LP (:mod:`.throughput`) then sets the group shares.

>>> from spacexnet_opt.constellation.walker import WalkerShell
>>> shell = WalkerShell("toy", n_planes=4, sats_per_plane=3, altitude_km=550.0, inclination_deg=87.0)
>>> rings = plane_rings(shell, layer_work=np.ones(3), activation=np.ones((3, 2)), planes_per_ring=2)
>>> len(rings), rings[0].gateways.tolist(), rings[0].hosts[:, :, 0].tolist(), rings[1].gateways.tolist()
(2, [3, 4, 5], [[0, 0], [1, 1], [2, 2]], [9, 10, 11])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..evaluate.deployment import ComputeGroup, Deployment

__all__ = ["Fleet", "plane_rings", "block_sizes", "check_disjoint"]


@dataclass(frozen=True, eq=False)
class Fleet:
    """Rings (one :class:`Deployment` each, pairwise disjoint satellites) and the share of requests of each."""

    rings: tuple
    split: np.ndarray
    name: str = "fleet"

    def __post_init__(self):
        split = np.asarray(self.split, dtype=float).ravel()
        if len(split) != len(self.rings) or not (np.isfinite(split).all() and (split >= 0).all()) \
                or split.sum() <= 0:
            raise InputError(f"needs one non-negative share per ring ({len(self.rings)}), got {split.tolist()}",
                             field="rings.share")
        object.__setattr__(self, "rings", tuple(self.rings))
        object.__setattr__(self, "split", split / split.sum())
        check_disjoint(self.rings)

    @property
    def n_satellites(self) -> int:
        return int(sum(len(d.satellites) for d in self.rings))


def check_disjoint(rings) -> None:
    """:class:`InputError` naming the first satellite two rings both use."""
    seen: dict[int, int] = {}
    for r, plan in enumerate(rings):
        for s in plan.satellites.tolist():
            if seen.setdefault(s, r) != r:
                raise InputError(f"satellite {s} is used by rings {seen[s]} and {r}; rings of a fleet must be "
                                 "disjoint", field=f"rings[{r}]")


def block_sizes(n: int, weights: np.ndarray, *, minimum: int = 2) -> np.ndarray:
    """``n`` satellites cut into ``len(weights)`` blocks in proportion to ``weights``, each at least ``minimum``
    (largest remainders).

    >>> block_sizes(10, np.array([3.0, 1.0, 1.0])).tolist(), block_sizes(10, np.ones(3)).tolist()
    ([6, 2, 2], [4, 3, 3])
    """
    k = len(weights)
    if n < minimum * k:
        raise InputError(f"{n} satellites cannot give {k} layers {minimum} each", field="planes_per_ring")
    extra = n - minimum * k
    ideal = np.asarray(weights, float) / np.sum(weights) * n - minimum
    ideal = np.clip(ideal, 0.0, None)
    ideal = ideal / ideal.sum() * extra if ideal.sum() > 0 else np.full(k, extra / k)
    sizes = np.floor(ideal).astype(np.int64)
    order = np.argsort(-(ideal - sizes), kind="stable")
    sizes[order[:extra - sizes.sum()]] += 1
    return sizes + minimum


def _lpt(activation: np.ndarray, n_hosts: int) -> np.ndarray:
    """Host index (E,) of every expert: hottest first onto the host with the least activation, at most
    ``ceil(E / n_hosts)`` each."""
    cap = -(-len(activation) // n_hosts)
    load, count = np.zeros(n_hosts), np.zeros(n_hosts, dtype=np.int64)
    host = np.empty(len(activation), dtype=np.int64)
    for e in np.argsort(-activation, kind="stable"):
        h = int(np.argmin(np.where(count < cap, load, np.inf)))
        host[e], load[h], count[h] = h, load[h] + activation[e], count[h] + 1
    return host


def plane_rings(shell, *, layer_work: np.ndarray, activation: np.ndarray, planes_per_ring: int,
                name: str = "throughput") -> list[Deployment]:
    """The rings of the plane heuristic (module docstring) on a Walker ``shell``; equal group shares."""
    n_planes, per_plane = getattr(shell, "n_planes", None), getattr(shell, "sats_per_plane", None)
    if n_planes is None or per_plane is None:
        raise InputError("the throughput heuristic needs a shell of orbital planes (Walker or TLE)",
                         field="constellation")
    if not 1 <= planes_per_ring <= n_planes:
        raise InputError(f"must be from 1 to the shell's {n_planes} planes, got {planes_per_ring}",
                         field="planes_per_ring")
    sizes = block_sizes(planes_per_ring * per_plane, layer_work)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    rings = []
    for r in range(n_planes // planes_per_ring):
        planes = np.arange(r * planes_per_ring, (r + 1) * planes_per_ring)
        order = (planes[None, :] * per_plane + np.arange(per_plane)[:, None]).ravel()  # slot by slot
        gateways, hosts, groups = [], [], []
        for l in range(len(sizes)):
            block = order[starts[l]:starts[l + 1]]
            gw = block[len(block) // 2]
            others = np.delete(block, len(block) // 2)
            gateways.append(gw)
            hosts.append(others[_lpt(activation[l], len(others))])
            groups.append(ComputeGroup(block, np.full(len(block), 1.0 / len(block))))
        hosts_arr = np.array(hosts)
        capacity = max(int(np.unique(h, return_counts=True)[1].max()) for h in hosts_arr)
        rings.append(Deployment(np.array(gateways), hosts_arr, name=f"{name}-ring{r:02d}", capacity=capacity,
                                groups=tuple(groups)))
    return rings
