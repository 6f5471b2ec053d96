"""Energy-aware placement: experts, gateways and compute groups only on satellites whose battery carries them.

A satellite is *powered* over a horizon when, computing at full GFLOPS every
step, its battery never reaches the floor (:func:`powered_satellites`: the
floor rule of :mod:`.power` never throttles it). Energy-aware placement is the
linear placement on the powered candidates alone: the migration problem with
the unpowered satellites taken out like failed ones and ``lambda = 0``
(:func:`energy_aware_placement`); its latency cost is the gap to the placement
that ignores power. :func:`powered_deployment` applies it to a whole
deployment where needed: unpowered gateways move to the nearest powered
satellite of their subnet (:func:`~.gateways.move_gateways`), a compute group
with an unpowered member falls back to its gateway, and the experts are
re-placed on powered satellites (for a migration price ``lam``) when one sits
on an unpowered satellite or a gateway moved.

>>> import numpy as np
>>> from spacexnet_opt.timeline.power import PowerModel
>>> shadow = np.array([[True, False], [True, False], [False, False]])    # satellite 0: 30 min of shadow
>>> powered_satellites(shadow, 900.0, PowerModel(battery_wh=20.0, compute_w=25.0, idle_w=10.0)).tolist()
[False, True]
"""

from __future__ import annotations

import numpy as np

from . import inputs
from .gateways import kept_groups, move_gateways
from .migration import MigrationProblem, grid_hops, migration_problem
from .power import PowerModel, simulate_power

__all__ = ["powered_satellites", "energy_aware_placement", "powered_deployment"]


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


def powered_deployment(world, plan, powered: np.ndarray, *, lam: float):
    """``plan`` (a :class:`~spacexnet_opt.evaluate.Deployment` on ``world``) with what computes on unpowered
    satellites moved where needed (see the module docstring); experts re-placed keep one copy each."""
    powered = np.asarray(powered, dtype=bool)
    gateways = move_gateways(plan.gateways, inputs.subnets(world), powered, grid_hops(world.shell), hosts=plan.hosts)
    hosts = plan.hosts
    if (gateways != plan.gateways).any() or not powered[hosts[hosts >= 0]].all():
        own = np.array_equal(gateways, inputs.gateways(world))
        costs = inputs.layer_costs(world, None, None if own else gateways)
        hosts = energy_aware_placement(costs, hosts, gateways, world.shell, powered,
                                       expert_gb=inputs.expert_gb(world)).solve(lam).experts
    return inputs.Deployment(gateways, hosts, name=plan.name, capacity=plan.capacity,
                             groups=kept_groups(plan.groups, plan.gateways, gateways, powered))
