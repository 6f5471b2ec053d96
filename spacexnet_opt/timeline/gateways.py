"""A layer's gateway and compute group off satellites that failed or lack power.

A gateway on a satellite that is not *usable* (failed, or not powered for
energy-aware placement) moves to the usable satellite of its layer's subnet
the fewest +Grid hops away (ties: the lowest id), preferring one that holds
none of the layer's experts. Its weights (the layer's non-expert work) are sent
again, from the ground when the old gateway failed: a move of bytes over no
ISL hop. A compute group that lost a member or its gateway falls back to the
gateway computing the layer alone.

>>> hops = lambda a, b: np.abs(np.subtract.outer(a, b)).astype(float)      # satellites on a line
>>> usable = np.ones(10, dtype=bool); usable[4] = False
>>> move_gateways(np.array([4, 8]), [np.array([2, 3, 4, 5]), np.array([8, 9])], usable, hops).tolist()
[3, 8]
>>> move_gateways(np.array([4]), [np.array([3, 4, 5])], usable, hops, hosts=np.array([[[3]]])).tolist()
[5]
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .inputs import ComputeGroup

__all__ = ["move_gateways", "kept_groups"]


def move_gateways(gateways: np.ndarray, subnets, usable: np.ndarray, hops, *, hosts=None) -> np.ndarray:
    """New gateways (L,): each one not ``usable`` moved to the nearest usable satellite of its ``subnets[l]``.

    ``hops(sources, targets)`` counts +Grid hops; ``hosts`` (L, E, C) the layers' expert copies, avoided when a
    usable satellite without one is as available. InputError when a subnet has no usable satellite left.
    """
    out = np.array(gateways, dtype=np.int64)
    for l in np.flatnonzero(~usable[out]):
        members = subnets[l][usable[subnets[l]]]
        if not len(members):
            raise InputError(f"layer {l}: no live, powered satellite left in its subnet for the gateway",
                             field="failures")
        distance = hops(out[l:l + 1], members)[0]
        if hosts is not None:
            distance = distance + 0.5 * np.isin(members, hosts[l])   # a half hop: prefer a satellite without experts
        out[l] = members[np.argmin(distance)]
    return out


def kept_groups(groups, before: np.ndarray, after: np.ndarray, usable: np.ndarray):
    """``groups`` with every layer whose gateway moved or whose group lost a member reset to its gateway alone."""
    if groups is None:
        return None
    return tuple(g if (b == a and usable[g.members].all()) else ComputeGroup([a], [1.0])
                 for g, b, a in zip(groups, before, after))
