"""The paper's random baseline placements, seeded so a run can be repeated.

``RandPlace``
    Gateway and experts of every layer on random satellites anywhere. When the
    shell has at least L x (E + 1) satellites every satellite gets at most one
    role in total (one expert per satellite, as in the paper); otherwise roles
    are distinct within each layer only.
``RandIntra``
    Ring subnets; a random gateway and random experts inside each layer's band.
``RandIntra-CG``
    Ring subnets; the central gateway and random experts inside the band.

A placement is a tuple of :class:`LayerPlacement`, one per layer.

>>> from spacexnet_opt.partition.ring import GridShape, ring_partition
>>> part = ring_partition(GridShape(3, 4), 2)
>>> pl = baseline_placement(part, 2, method="RandIntra-CG", seed=0)
>>> [p.gateway for p in pl]
[4, 6]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .gateways import center_gateways
from .ring import RingPartition

__all__ = ["LayerPlacement", "BASELINES", "baseline_placement"]


@dataclass(frozen=True, eq=False)
class LayerPlacement:
    """Where one layer runs: its gateway and the satellite of each expert (``experts[i]``)."""

    layer: int
    gateway: int
    experts: np.ndarray


def _check_room(n_experts: int, room: int, layer: int, where: str) -> None:
    if n_experts > room:
        raise InputError(f"layer {layer}: {n_experts} experts but only {room} satellites {where}", field="n_experts")


def _rand_place(partition: RingPartition, n_experts: int, rng: np.random.Generator):
    n, n_layers = partition.n_sats, partition.n_layers
    need = n_experts + 1
    _check_room(n_experts, n - 1, 0, "in the shell besides the gateway")
    if n >= n_layers * need:
        roles = rng.permutation(n)[: n_layers * need].reshape(n_layers, need)
    else:
        roles = np.stack([rng.choice(n, size=need, replace=False) for _ in range(n_layers)])
    return [(int(r[0]), r[1:]) for r in roles]


def _rand_intra(partition: RingPartition, n_experts: int, rng: np.random.Generator, *, central: bool):
    centers = center_gateways(partition)
    out = []
    for layer, band in enumerate(partition.layer_band):
        members = partition.members(band)
        _check_room(n_experts, len(members) - 1, layer, f"in band {band} besides the gateway")
        gateway = int(centers[band]) if central else int(rng.choice(members))
        others = members[members != gateway]
        out.append((gateway, rng.choice(others, size=n_experts, replace=False)))
    return out


BASELINES = {
    "RandPlace": _rand_place,
    "RandIntra": lambda part, e, rng: _rand_intra(part, e, rng, central=False),
    "RandIntra-CG": lambda part, e, rng: _rand_intra(part, e, rng, central=True),
}


def baseline_placement(partition: RingPartition, n_experts: int, *, method: str, seed=None) -> tuple[LayerPlacement, ...]:
    """A random baseline placement of ``n_experts`` experts in every layer of ``partition``.

    Parameters
    ----------
    partition : RingPartition
        The ring partition (``RandPlace`` uses only its size and layer count).
    n_experts : int
        Routed experts per layer, E.
    method : {"RandPlace", "RandIntra", "RandIntra-CG"}
    seed : int or numpy Generator, optional
        The same seed gives the same placement.

    Returns
    -------
    tuple of LayerPlacement

    Examples
    --------
    >>> from spacexnet_opt.partition.ring import GridShape, ring_partition
    >>> part = ring_partition(GridShape(4, 4), 2)
    >>> a = baseline_placement(part, 3, method="RandPlace", seed=7)
    >>> b = baseline_placement(part, 3, method="RandPlace", seed=7)
    >>> all((x.gateway == y.gateway) and (x.experts == y.experts).all() for x, y in zip(a, b))
    True
    """
    try:
        fn = BASELINES[method]
    except KeyError:
        raise ValueError(f"unknown baseline {method!r}; valid baselines: {', '.join(BASELINES)}") from None
    if n_experts < 1:
        raise InputError(f"needs at least one expert, got {n_experts}", field="n_experts")
    rng = np.random.default_rng(seed)
    return tuple(
        LayerPlacement(layer, gateway, np.asarray(experts, dtype=np.int64))
        for layer, (gateway, experts) in enumerate(fn(partition, n_experts, rng))
    )
