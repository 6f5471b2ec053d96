"""Gateway of each band: the satellite that runs a layer's non-expert part.

Rules, looked up by name in :data:`GATEWAY_RULES`:

``center``
    The paper's central gateway: middle plane ``P // 2``, middle slot of the
    band ``start + (width - 1) // 2``.
``median``
    The member with the least total expected delay to the other members
    (members never connected to some other member are not eligible).
``random``
    A uniformly random member, reproducible from ``seed``.

>>> from spacexnet_opt.partition.ring import GridShape, ring_partition
>>> part = ring_partition(GridShape(3, 4), 2)
>>> choose_gateways(part, "center").tolist()
[4, 6]
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .ring import DelayOracle, RingPartition

__all__ = ["GATEWAY_RULES", "choose_gateways", "center_gateways", "median_gateways", "random_gateways"]


def center_gateways(partition: RingPartition, *, delays: DelayOracle | None = None, rng=None) -> np.ndarray:
    """Middle plane, middle slot of every band."""
    plane = partition.n_planes // 2
    return np.array([partition.member_at(b, plane, (stop - start - 1) // 2)
                     for b, (start, stop) in enumerate(partition.band_slots)])


def median_gateways(partition: RingPartition, *, delays: DelayOracle | None = None, rng=None) -> np.ndarray:
    """Member of least total expected delay to the rest of its band."""
    if delays is None:
        raise InputError("the median gateway rule needs expected delays between band members", field="gateway")
    out = np.empty(partition.n_bands, dtype=np.int64)
    for b in range(partition.n_bands):
        members = partition.members(b)
        total = np.asarray(delays(members))[:, members].sum(axis=1)
        if not np.isfinite(total).any():
            raise InputError(f"band {b}: no member is connected to all other members", field="gateway")
        out[b] = members[np.argmin(total)]
    return out


def random_gateways(partition: RingPartition, *, delays: DelayOracle | None = None, rng=None) -> np.ndarray:
    """A uniformly random member of every band, drawn from ``rng``."""
    rng = np.random.default_rng(rng)
    width = np.array([stop - start for start, stop in partition.band_slots])
    plane = rng.integers(0, partition.n_planes, size=partition.n_bands)
    offset = rng.integers(0, width)
    return np.array([partition.member_at(b, plane[b], offset[b]) for b in range(partition.n_bands)])


GATEWAY_RULES = {"center": center_gateways, "median": median_gateways, "random": random_gateways}


def choose_gateways(
    partition: RingPartition, rule: str = "center", *, delays: DelayOracle | None = None, seed=None
) -> np.ndarray:
    """Gateway satellite id of every band, shape (B,).

    Parameters
    ----------
    partition : RingPartition
    rule : {"center", "median", "random"}
    delays : callable, optional
        Source ids -> expected delays (n_src, N); needed by ``median``.
    seed : int or numpy Generator, optional
        For ``random``.

    Examples
    --------
    >>> from spacexnet_opt.partition.ring import GridShape, ring_partition
    >>> part = ring_partition(GridShape(3, 4), 2)
    >>> bool(np.all(choose_gateways(part, "random", seed=1) == choose_gateways(part, "random", seed=1)))
    True
    """
    try:
        fn = GATEWAY_RULES[rule]
    except KeyError:
        raise ValueError(f"unknown gateway rule {rule!r}; valid rules: {', '.join(sorted(GATEWAY_RULES))}") from None
    return fn(partition, delays=delays, rng=seed).astype(np.int64)
