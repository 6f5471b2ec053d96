"""Energy-aware placement: experts only on satellites whose battery carries them at full speed.

A satellite is *powered* over a horizon when, computing at full GFLOPS every
step, its battery never reaches the floor (:func:`powered_satellites`: the
floor rule of :mod:`.power` never throttles it). Energy-aware placement is the
linear placement on the powered candidates alone: the migration problem with
the unpowered satellites taken out like failed ones and ``lambda = 0``
(:func:`energy_aware_placement`); its latency cost is the gap to the placement
that ignores power.

>>> import numpy as np
>>> from spacexnet_opt.timeline.power import PowerModel
>>> shadow = np.array([[True, False], [True, False], [False, False]])    # satellite 0: 30 min of shadow
>>> powered_satellites(shadow, 900.0, PowerModel(battery_wh=20.0, compute_w=25.0, idle_w=10.0)).tolist()
[False, True]
"""

from __future__ import annotations

import numpy as np

from .migration import MigrationProblem, grid_hops, migration_problem
from .power import PowerModel, simulate_power

__all__ = ["powered_satellites", "energy_aware_placement"]


def powered_satellites(eclipsed, dt_s: float, model: PowerModel) -> np.ndarray:
    """Satellites (N,) that compute at full speed at every step of ``eclipsed`` (T, N) without throttling."""
    run = simulate_power(eclipsed, dt_s, model)
    return (run.speed >= 1.0).all(axis=0)


def energy_aware_placement(layers, start, gateways, shell, powered: np.ndarray, *, expert_gb) -> MigrationProblem:
    """The placement problem on the powered candidates only (solve it with ``lambda = 0``).

    ``start`` (L, E) is any current placement (it only sets where weights come
    from, which ``lambda = 0`` ignores); an unpowered gateway is not moved.
    Raises InputError naming the layer when too few of its candidates are powered.
    """
    unpowered = np.flatnonzero(~np.asarray(powered, dtype=bool))
    return migration_problem(layers, start, gateways, grid_hops(shell), expert_gb=expert_gb, failed=unpowered)
