"""The ``optimize.`` fields of a grid: the levers of ``spacexnet optimize`` as axes.

A point that sets any ``optimize.`` field runs
:func:`~spacexnet_opt.optimize.optimize_deployment` with those levers (one
:class:`~spacexnet_opt.optimize.Levers` record, the others at ``spacexnet
optimize``'s defaults) on its world and records a ``Space-XNet-opt`` row; with
``compute_group`` other than ``none`` also a ``Space-XNet-opt-tp`` row (the same
levers, then every layer's compute group). Values are checked when the grid is
loaded; limits that depend on the world (replicas beyond the spare satellites,
a capacity over the satellite memory) are the point's recorded error.

>>> from spacexnet_opt.optimize import Levers
>>> lever_schemes(Levers(gateways="dp", replicas=8, compute_group="waterfill"))
('Space-XNet-opt', 'Space-XNet-opt-tp')
"""

from __future__ import annotations

from ..optimize.levers import Levers

__all__ = ["OPTIMIZE", "LEVER_SCHEMES", "lever_schemes"]

OPTIMIZE = "optimize."
LEVER_SCHEMES = ("Space-XNet-opt", "Space-XNet-opt-tp")


def lever_schemes(levers: Levers) -> tuple[str, ...]:
    """The rows ``levers`` record."""
    return LEVER_SCHEMES if levers.groups else LEVER_SCHEMES[:1]
