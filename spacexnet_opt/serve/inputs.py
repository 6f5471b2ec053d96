"""The one place the serving simulator reads deployments and worlds (:mod:`spacexnet_opt.evaluate`).

Everything else in :mod:`spacexnet_opt.serve` sees only :class:`Inputs`, so a
change of the deployment types touches this module alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from ..constellation import RouteTable
from ..errors import InputError
from ..evaluate import check_in_world, deployment_from_file, load_deployment_world
from ..evaluate.compute_group import group_work, single_groups
from ..evaluate.memory import satellite_bytes, scenario_memory
from ..fileio import read_text
from ..formats.deployment import load_deployment, resolve_scenario
from ..formats.fleet import FLEET_FORMAT, load_fleet, ring_paths

__all__ = ["Inputs", "load_inputs", "inputs_from", "shortest_delays", "is_fleet_file", "load_fleet_inputs"]


@dataclass(frozen=True, eq=False)
class Inputs:
    """A deployment and the world it runs on, as plain arrays.

    Attributes
    ----------
    gateways, next_gateways : int arrays (L,)
    hosts : int array (L, E, C)
        Satellites of every expert's copies, ``-1`` padding.
    compute_groups : tuple of ComputeGroup, one per layer
        Satellites sharing each layer's non-expert work (the gateway alone by default).
    world : the evaluator's world (snapshots, profile, compute model, laws)
    memory_gb : float array (N,) or None
        Satellite memory from the scenario (None: unbounded).
    bytes_per_param : float
    name : str
    """

    gateways: np.ndarray
    next_gateways: np.ndarray
    hosts: np.ndarray
    compute_groups: tuple
    world: object
    memory_gb: np.ndarray | None
    bytes_per_param: float
    name: str = ""

    @property
    def groups(self) -> list:
        """Per layer ``(members, shares)`` of a real group, ``None`` where the gateway computes alone."""
        return [None if (g.size == 1 and g.members[0] == gw) else (g.members, g.shares)
                for g, gw in zip(self.compute_groups, self.gateways)]

    @property
    def n_sats(self) -> int:
        return self.world.n_sats

    @property
    def profile(self):
        return self.world.profile

    @property
    def compute(self):
        return self.world.compute

    @property
    def laws(self) -> list:
        return self.world.laws

    @property
    def snapshots(self):
        return self.world.snapshots

    @property
    def shell(self):
        return self.world.shell

    def memory_bytes(self, context_len: int):
        """Weights and KV-cache bytes (N,) of every satellite at ``context_len`` tokens per layer
        (:func:`spacexnet_opt.evaluate.memory.satellite_bytes`)."""
        return satellite_bytes(self.profile, self.gateways, self.hosts, self.compute_groups, n_sats=self.n_sats,
                               context_len=context_len, bytes_per_param=self.bytes_per_param,
                               include_dense=self.compute.include_dense)

    def group_work(self, context_len: int):
        """The split/replicated GFLOP rounds of one token at ``context_len`` (:func:`~spacexnet_opt.evaluate.compute_group.group_work`)."""
        c = self.compute
        return group_work(self.profile, context_len=context_len, include_dense=c.include_dense,
                          include_lm_head=c.include_lm_head)


def inputs_from(plan, world, *, memory_gb=None, bytes_per_param: float = 2.0) -> Inputs:
    """:class:`Inputs` of a :class:`~spacexnet_opt.evaluate.Deployment` on ``world``."""

    groups = tuple(plan.groups) if plan.groups is not None else single_groups(plan.gateways)
    return Inputs(plan.gateways, plan.next_gateways, plan.hosts, groups, world, memory_gb, bytes_per_param, plan.name)


def load_inputs(path: str | os.PathLike, *, link_seed: int | None = None) -> Inputs:
    """The deployment file ``path``, its world and its scenario's memory model."""

    doc, plan, world = load_deployment_world(path, link_seed=link_seed)
    memory, bpp = scenario_memory(resolve_scenario(doc, path, check_hash=False), world.shell)
    inputs = inputs_from(plan, world, memory_gb=memory, bytes_per_param=bpp)
    return replace(inputs, name=plan.name or doc.name or os.path.basename(str(path)))


def is_fleet_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a fleet file (``spacexnet-fleet``, written by ``optimize --objective throughput``)."""
    if not str(path).lower().endswith(".json"):
        return False
    try:
        return json.loads(read_text(path)).get("format") == FLEET_FORMAT
    except (ValueError, AttributeError, OSError):
        return False     # the deployment reader reports what is wrong with it


def load_fleet_inputs(path: str | os.PathLike) -> tuple[list[Inputs], np.ndarray]:
    """Every ring of the fleet file ``path`` as :class:`Inputs` on one world, and the request split.

    The rings must be deployments of one scenario; the world is built once.
    """

    doc = load_fleet(path)
    paths = ring_paths(doc, path)
    first, plan, world = load_deployment_world(paths[0])
    scenario = resolve_scenario(first, paths[0], check_hash=False)
    memory, bpp = scenario_memory(scenario, world.shell)
    plans = [plan]
    for r, ring in enumerate(paths[1:], start=1):
        ring_doc = load_deployment(ring)
        if Path(resolve_scenario(ring_doc, ring, check_hash=False)).resolve() != Path(scenario).resolve():
            raise InputError(f"ring {r} is on another scenario than ring 0", field=f"rings[{r}].deployment",
                             source=path)
        plans.append(deployment_from_file(ring_doc))
        check_in_world(plans[-1], n_sats=world.n_sats, n_layers=world.n_layers, n_experts=world.n_experts,
                       source=ring)
    inputs = [replace(inputs_from(p, world, memory_gb=memory, bytes_per_param=bpp), name=f"{doc.name} ring {r}")
              for r, p in enumerate(plans)]
    return inputs, np.array([ring.share for ring in doc.rings])


def shortest_delays(snapshots, sources) -> Iterator[np.ndarray]:
    """Per snapshot, the (n_src, N) shortest delays (s) from ``sources`` (``inf``: no path), read from the
    snapshots' route table (each source routed once per run)."""

    return iter(RouteTable.of(snapshots).delays(np.asarray(sources, dtype=np.int64)))
