"""The numbers a view draws: ground positions per snapshot, link states, subnets, hosts and one token's path.

Positions are Earth-fixed longitude and latitude (degrees, the inertial frame
turned back by the Earth's rotation), rounded to 0.01° (about 1 km) to keep
the file small. A token's path follows the shortest ISL routes of the shown
snapshot: in each layer from the gateway to every activated expert and on to
the next layer's gateway, through the copy of the expert that makes that leg
shortest when an expert is replicated.

>>> import numpy as np
>>> lonlat(np.array([[[7e6, 0.0, 0.0], [0.0, 0.0, 7e6]]]), np.array([0.0])).tolist()
[[[0.0, 0.0], [0.0, 90.0]]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Scene", "lonlat", "make_scene", "EARTH_RATE_RAD_S"]

EARTH_RATE_RAD_S = 7.2921159e-5


def lonlat(positions: np.ndarray, times_s: np.ndarray) -> np.ndarray:
    """Earth-fixed (lon, lat) in degrees of inertial ``positions`` (T, N, 3) at ``times_s`` (T,)."""
    x, y, z = np.moveaxis(positions, -1, 0)
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x) - EARTH_RATE_RAD_S * np.asarray(times_s)[:, None])
    lon = (lon + 180.0) % 360.0 - 180.0
    return np.round(np.stack([lon, lat], axis=-1), 2) + 0.0


@dataclass(frozen=True)
class Scene:
    """Everything drawn, for ``frames`` snapshot indices.

    ``lonlat`` (F, N, 2); ``up`` (F, M) link usable in the snapshot;
    ``band`` (N,) subnet of each satellite (-1: none); ``band_layers``: the
    layers of each band; ``gateways`` (L,); ``hosts`` (L, E, C) the satellites
    of each expert's copies (-1: fewer copies; C = 1 without replicas); ``activation``
    (L, E); ``token_sets`` (L, k) the sampled token's experts; ``paths``: per
    frame, the satellite-id hops of that token's route (one list per leg);
    ``groups``: per layer, the (members, shares) of its compute group, or
    empty when the gateway computes the layer alone.
    """

    name: str
    frames: np.ndarray
    times_s: np.ndarray
    lonlat: np.ndarray
    edges: np.ndarray
    up: np.ndarray
    band: np.ndarray
    band_layers: list
    gateways: np.ndarray
    hosts: np.ndarray
    activation: np.ndarray
    token_sets: np.ndarray
    paths: list
    groups: tuple = ()

    @property
    def n_sats(self) -> int:
        return self.lonlat.shape[1]


def _hops(predecessors: np.ndarray, source_row: int, target: int) -> list[int]:
    """Satellite ids from the row's source to ``target`` (just ``[target]`` when it is the source or unreachable)."""
    hops = [int(target)]
    while True:
        previous = predecessors[source_row, hops[-1]]
        if previous < 0:
            break
        hops.append(int(previous))
    return hops[::-1]


def token_path(snapshots, t: int, gateways: np.ndarray, hosts: np.ndarray, token_sets: np.ndarray) -> list:
    """The legs (lists of satellite ids) of one token in snapshot ``t``: gateway -> expert copy -> next gateway."""
    from scipy.sparse.csgraph import dijkstra

    layers = np.arange(len(gateways))[:, None]
    chosen = hosts[layers, token_sets]  # (L, k, C)
    sources = np.unique(np.concatenate([gateways, chosen[chosen >= 0]]))
    dist, pred = dijkstra(snapshots.graph(int(t)), directed=True, indices=sources, return_predecessors=True)
    row = {int(s): i for i, s in enumerate(sources)}
    legs = []
    for layer, copies_of_set in enumerate(chosen):
        gateway, after = int(gateways[layer]), int(gateways[(layer + 1) % len(gateways)])
        for copies in copies_of_set:
            copies = copies[copies >= 0]
            best = int(copies[np.argmin(dist[row[gateway], copies] + dist[[row[int(c)] for c in copies], after])])
            legs.append(_hops(pred, row[gateway], best))
            legs.append(_hops(pred, row[best], after))
    return legs


def make_scene(world, deployment, *, frames: int = 12, seed: int = 0) -> Scene:
    """The scene of ``deployment`` on ``world`` at ``frames`` evenly spaced snapshots; ``seed`` draws the token.

    ``deployment``: an :class:`~spacexnet_opt.evaluate.Deployment`; its replicas and compute groups are drawn.
    """
    hosts = deployment.hosts
    snaps = world.snapshots
    index = np.unique(np.linspace(0, snaps.n_snapshots - 1, min(frames, snaps.n_snapshots)).round().astype(int))
    times = np.asarray(snaps.times_s)[index]
    positions, _ = world.shell.positions_velocities(times)
    rng = np.random.default_rng(seed)
    token_sets = np.stack([np.asarray(law.sample(1, rng))[0] for law in world.laws])
    partition = world.partition
    band_layers = [np.flatnonzero(partition.layer_band == b).tolist() for b in range(partition.n_bands)]
    activation = world.activation
    up = np.isfinite(np.asarray(snaps.delay_s)[index])
    paths = [token_path(snaps, t, deployment.gateways, hosts, token_sets) for t in index]
    return Scene(world.name, index, times, lonlat(positions, times), np.asarray(snaps.edges), up,
                 partition.band_of(), band_layers, np.asarray(deployment.gateways), hosts, activation, token_sets,
                 paths, _groups(deployment.groups))


def _groups(groups) -> tuple:
    """Per layer (members, shares) of the groups with more than one member; () when every gateway computes alone."""
    if groups is None or all(g.size == 1 for g in groups):
        return ()
    return tuple((np.asarray(g.members), np.asarray(g.shares)) for g in groups)
