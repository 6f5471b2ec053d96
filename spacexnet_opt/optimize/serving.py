"""The throughput objective: a fleet of rings maximising the requests per second a constellation sustains.

:func:`optimize_throughput` builds the rings of the plane heuristic (:func:`.fleet.plane_rings`), solves
the capacity LP over all of them at once (:func:`.throughput.capacity_bound`: group shares and the
request split), and returns the :class:`~.fleet.Fleet` with the LP's shares, its bound and the serving
models the simulator runs (:mod:`spacexnet_opt.serve.fleet`). :func:`activation_matrix` and
:func:`serving_models` are shared with the checks of other deployments (``reproduce``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..evaluate.compute_group import group_work
from ..evaluate.deployment import ComputeGroup
from .fleet import Fleet, plane_rings
from .throughput import CapacityBound, capacity_bound, ring_work

__all__ = ["ThroughputResult", "optimize_throughput", "activation_matrix", "serving_models", "layer_work",
           "MIN_SHARE", "fleet_bound"]

MIN_SHARE = 1e-6
"""Group shares the LP leaves below this are dropped (the member keeps only its experts)."""


@dataclass(frozen=True, eq=False)
class ThroughputResult:
    """The fleet and its capacity LP optimum."""

    fleet: Fleet
    bound: CapacityBound


def activation_matrix(world) -> np.ndarray:
    """(L, E) activation probability of every expert (the world's layers)."""
    return np.array([layer.activation for layer in world.layers], dtype=float)


def layer_work(world) -> np.ndarray:
    """GFLOP per token of every MoE layer at the world's context (layer 0 with the dense layers)."""
    c = world.compute
    w = group_work(world.profile, context_len=c.context_len, include_dense=c.include_dense,
                   include_lm_head=c.include_lm_head)
    per = sum(s + r for s, r in w.rounds) + w.router + world.profile.top_k * world.profile.expert_gflop_per_token()
    work = np.full(world.n_layers, per)
    work[0] += sum(s + r for s, r in w.once_rounds) + w.once_unsplit
    return work


def serving_models(plans, world, *, memory_gb=None, bytes_per_param: float = 2.0) -> list:
    """The serving model of every deployment in ``plans`` on ``world`` (routes every gateway: the slow part)."""
    from ..serve.inputs import inputs_from
    from ..serve.model import build_model

    return [build_model(inputs_from(p, world, memory_gb=memory_gb, bytes_per_param=bytes_per_param)) for p in plans]


def fleet_bound(plans, world, *, prompt: float, output: float, hosts=None) -> CapacityBound:
    """The capacity LP of the deployments ``plans`` on ``world`` (``hosts``: per plan, the copies a serving
    model uses per snapshot, for plans with replicas)."""
    from ..serve.inputs import inputs_from

    act = activation_matrix(world)
    hosts = [None] * len(plans) if hosts is None else hosts
    works = [ring_work(inputs_from(p, world), act, prompt=prompt, output=output, hosts=h)
             for p, h in zip(plans, hosts)]
    return capacity_bound(works, world.compute.gflops(np.arange(world.n_sats)), output=output)


def _with_shares(plan, shares):
    groups = []
    for g, w in zip(plan.groups, shares):
        keep = w > MIN_SHARE
        groups.append(ComputeGroup(g.members[keep], w[keep] / w[keep].sum()))
    return replace(plan, groups=tuple(groups))


def optimize_throughput(world, *, prompt: float, output: float, planes_per_ring: int,
                        name: str = "throughput") -> ThroughputResult:
    """The throughput fleet of ``world`` for requests of ``prompt`` + ``output`` tokens (module docstring)."""
    rings = plane_rings(world.shell, layer_work=layer_work(world), activation=activation_matrix(world),
                        planes_per_ring=planes_per_ring, name=name)
    bound = fleet_bound(rings, world, prompt=prompt, output=output)
    rings = [_with_shares(p, s) for p, s in zip(rings, bound.shares)]
    return ThroughputResult(Fleet(rings, bound.split, name=name), bound)
