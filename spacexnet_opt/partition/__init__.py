"""Layer placement on a constellation: ring partition, gateways, random baselines.

>>> part = ring_partition(GridShape(33, 32), 32)
>>> part.n_bands, len(part.members(0))
(32, 33)
"""

from .baselines import BASELINES, LayerPlacement, baseline_placement
from .gateways import GATEWAY_RULES, choose_gateways
from .ring import DelayOracle, GridShape, RingPartition, band_diameters, fold_for, ring_partition

__all__ = [
    "GridShape",
    "RingPartition",
    "DelayOracle",
    "ring_partition",
    "fold_for",
    "band_diameters",
    "GATEWAY_RULES",
    "choose_gateways",
    "BASELINES",
    "LayerPlacement",
    "baseline_placement",
]
