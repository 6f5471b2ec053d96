"""The one deployment type: gateways, expert copies, capacity and compute groups of every MoE layer.

:class:`Deployment` is what every placement produces -- solved, baseline,
optimised, converted or read from a deployment file -- and what the evaluator,
the optimiser, ``reproduce``, the sweep engine and the view consume. Built from an instance and a placement file (``spacexnet solve``), from a
random baseline of the paper (RandPlace, RandIntra, RandIntra-CG), or from
per-layer assignments onto an instance's candidates. :func:`check_deployment`
names what does not match: layer count, expert count, a satellite used twice in
a layer, an id outside the constellation, or -- when the placement claims to
solve the instance's subproblems -- a satellite outside the layer's subnet.

Layer ``l`` hands over to the gateway of layer ``l + 1``; the last layer hands
over to the first one (the ring of the autoregressive loop).

>>> import numpy as np
>>> d = Deployment(np.array([0, 5]), np.array([[1, 2], [6, 7]]), name="toy")
>>> d.next_gateways.tolist(), d.n_layers, d.n_experts
([5, 0], 2, 2)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, SolverError
from ..formats.instance import Instance
from ..formats.deployment import GroupEntry
from ..limits import SHARE_TOLERANCE
from ..solve.from_instance import solve_instance
from ..partition import baseline_placement

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from ..formats.instance import LayerSubproblem
    from ..formats.placement import Placement
    from ..partition import RingPartition

__all__ = ["Deployment", "ComputeGroup", "BASELINE_SCHEMES", "check_deployment", "deployment_from_lists",
           "deployment_from_placement",
           "deployment_from_baseline", "deployment_from_assignments", "deployment_from_solver"]

BASELINE_SCHEMES = ("RandPlace", "RandIntra", "RandIntra-CG")
"""Placement methods evaluated against the scenario rather than the instance's candidate lists."""


@dataclass(frozen=True, eq=False)
class ComputeGroup:
    """Members (n,) and their shares (n,) of one layer's split non-expert work (:mod:`~spacexnet_opt.evaluate.compute_group`).

    >>> g = ComputeGroup([4, 7], [0.6, 0.4])
    >>> g.size, g.remote(4)
    (2, 1)
    """

    members: np.ndarray
    shares: np.ndarray

    def __post_init__(self):
        members = np.asarray(self.members, dtype=np.int64).ravel()
        shares = np.asarray(self.shares, dtype=float).ravel()
        if len(members) == 0 or len(members) != len(shares):
            raise InputError(f"needs one share per member, got {len(members)} members and {len(shares)} shares",
                             field="compute_group")
        if len(np.unique(members)) != len(members) or members.min() < 0:
            raise InputError("members must be distinct non-negative satellite ids", field="compute_group.members")
        if not (np.isfinite(shares).all() and (shares > 0).all()):
            raise InputError("shares must be positive", field="compute_group.shares")
        if abs(shares.sum() - 1.0) > SHARE_TOLERANCE:
            raise InputError(f"shares must sum to 1 (within {SHARE_TOLERANCE:g}), got {shares.sum():.9g}",
                             field="compute_group.shares")
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "shares", shares / shares.sum())

    @property
    def size(self) -> int:
        return len(self.members)

    def remote(self, gateway: int) -> int:
        """Members other than the gateway (the messages the gateway sends and receives per round)."""
        return int((self.members != gateway).sum())

    def entry(self) -> GroupEntry:
        """The group as a deployment file stores it."""
        return GroupEntry(members=[int(m) for m in self.members], shares=[float(w) for w in self.shares])


@dataclass(frozen=True, eq=False)
class Deployment:
    """A whole deployment: gateways (L,), expert copies ``hosts`` (L, E, C), capacity, compute groups, a name.

    ``hosts[l, i, c]`` is the satellite of copy ``c`` of expert ``i`` in layer
    ``l`` (``-1`` pads experts with fewer copies; copy 0 is the primary). A
    two-dimensional array (L, E) is one copy per expert. ``capacity`` is the
    most experts of one layer a satellite may hold; ``groups`` (one
    :class:`ComputeGroup` per layer, or None) split each layer's non-expert
    work, which the gateway does alone without them. ``charge_lm_head``: the LM
    head and embeddings are charged (compute and memory, at the first gateway)
    even where the scenario does not charge them.
    """

    gateways: np.ndarray
    hosts: np.ndarray
    name: str = ""
    capacity: int = 1
    groups: tuple[ComputeGroup, ...] | None = None
    charge_lm_head: bool = False

    def __post_init__(self):
        gateways = np.asarray(self.gateways, dtype=np.int64).ravel()
        hosts = np.asarray(self.hosts, dtype=np.int64)
        if hosts.ndim == 1 and len(gateways) == 1:
            hosts = hosts[None, :]
        if hosts.ndim == 2:
            hosts = hosts[:, :, None]
        if hosts.ndim != 3 or len(hosts) != len(gateways):
            raise InputError(f"needs expert copies of shape (L, E, C) for {len(gateways)} layers, got {hosts.shape}",
                             field="experts")
        if hosts.size and (hosts[:, :, 0] < 0).any():
            raise InputError("every expert needs at least one satellite", field="experts")
        object.__setattr__(self, "gateways", gateways)
        object.__setattr__(self, "hosts", hosts)
        if self.groups is not None:
            object.__setattr__(self, "groups", tuple(self.groups))
            if len(self.groups) != len(gateways):
                raise InputError(f"needs one compute group per layer ({len(gateways)}), got {len(self.groups)}",
                                 field="compute_group")

    @property
    def n_layers(self) -> int:
        return len(self.gateways)

    @property
    def n_experts(self) -> int:
        return self.hosts.shape[1]

    @property
    def experts(self) -> np.ndarray:
        """(L, E): the primary copy of every expert (every copy when nothing is replicated)."""
        return self.hosts[:, :, 0]

    @property
    def next_gateways(self) -> np.ndarray:
        """Gateway of the next layer on the ring, per layer."""
        return np.roll(self.gateways, -1)

    @property
    def n_replicas(self) -> int:
        """Copies beyond the first, over all layers."""
        return int((self.hosts[:, :, 1:] >= 0).sum())

    @property
    def replicated(self) -> bool:
        return self.n_replicas > 0

    @property
    def satellites(self) -> np.ndarray:
        """The distinct satellites it uses: gateways, expert copies, compute-group members (sorted)."""
        return np.unique(np.concatenate([self.gateways, self.hosts[self.hosts >= 0],
                                         *(g.members for g in self.groups or ())]))

    def shares(self) -> bool:
        """True when two expert copies of one layer sit on one satellite (capacity above one)."""
        return any(len(np.unique(used)) < len(used) for used in (layer[layer >= 0] for layer in self.hosts))

    def copies(self, layer: int, expert: int) -> list[int]:
        row = self.hosts[layer, expert]
        return [int(s) for s in row[row >= 0]]

    def replace(self, **changes) -> "Deployment":
        """This deployment with some fields changed (``hosts``, ``name``, ``groups`` ...)."""
        return dataclasses.replace(self, **changes)


def deployment_from_lists(gateways, experts, *, name: str = "", capacity: int = 1) -> Deployment:
    """A deployment from per-layer lists of per-expert copy lists (the file layout).

    >>> d = deployment_from_lists([0, 5], [[[1], [2, 9]], [[6], [7]]], name="toy")
    >>> d.replicated, d.n_replicas, d.copies(0, 1), d.experts.tolist()
    (True, 1, [2, 9], [[1, 2], [6, 7]])
    """
    width = max(len(copies) for layer in experts for copies in layer)
    hosts = np.full((len(experts), len(experts[0]), width), -1, dtype=np.int64)
    for l, layer in enumerate(experts):
        for i, copies in enumerate(layer):
            hosts[l, i, :len(copies)] = copies
    return Deployment(np.asarray(gateways), hosts, name=name, capacity=capacity)


def check_deployment(deployment: Deployment, *, n_sats: int, n_layers: int, n_experts: int,
                     subnets: Sequence[np.ndarray] | None = None, source: str | os.PathLike | None = None) -> None:
    """Raise :class:`InputError` naming the first mismatch between ``deployment`` and what it runs on.

    Parameters
    ----------
    n_sats, n_layers, n_experts : int
        Constellation size and the model's MoE layers and experts per layer.
    subnets : list of int arrays, optional
        Allowed satellites (gateway and experts) of each layer.
    source : str, optional
        The placement file, named in the message.
    """
    if deployment.n_layers != n_layers:
        raise InputError(f"has {deployment.n_layers} layers but the model has {n_layers} MoE layers",
                         field="layers", source=source)
    if deployment.n_experts != n_experts:
        raise InputError(f"places {deployment.n_experts} experts per layer but the model has {n_experts}",
                         field="layers[0].experts", source=source)
    for l in range(n_layers):
        used = np.append(deployment.experts[l], deployment.gateways[l])
        outside = used[(used < 0) | (used >= n_sats)]
        if outside.size:
            raise InputError(f"layer {l}: satellite {int(outside[0])} is outside the constellation "
                             f"(ids 0..{n_sats - 1})", field=f"layers[{l}]", source=source)
        values, counts = np.unique(used, return_counts=True)
        if (counts > 1).any():
            raise InputError(f"layer {l}: satellite {int(values[counts > 1][0])} is used twice "
                             "(two experts, or an expert on the gateway)", field=f"layers[{l}]", source=source)
        if subnets is not None:
            out = np.setdiff1d(used, subnets[l])
            if out.size:
                raise InputError(f"layer {l}: satellite {int(out[0])} is outside the layer's subnet "
                                 f"(the instance's gateway and {len(subnets[l]) - 1} candidates)",
                                 field=f"layers[{l}]", source=source)


def deployment_from_placement(placement: Placement, instance_layers: Sequence[LayerSubproblem], *, n_sats: int, source: str | os.PathLike | None = None) -> Deployment:
    """The deployment of a placement file on an instance's layers (LayerSubproblem list), validated.

    A placement whose ``method`` is one of :data:`BASELINE_SCHEMES` may put
    gateways and experts anywhere in the constellation; any other placement
    claims to solve the instance's subproblems, so its layer numbered ``l`` must
    use the gateway and candidates of the instance's layer numbered ``l``. Layers
    are matched by number, never by position.
    """
    layers = _matched_layers(placement, instance_layers, source)
    n_layers, n_experts = len(instance_layers), instance_layers[0].n_experts
    unplaced = [e.layer for e in layers if e.experts is None]
    if unplaced:
        raise InputError(f"layer {unplaced[0]}: no placement (the solver stopped at its time limit without one)",
                         field=f"layers[{_position(placement, unplaced[0])}].experts", source=source)
    for e, inst in zip(layers, instance_layers):
        if len(e.experts) != inst.n_experts:
            raise InputError(f"layer {e.layer}: places {len(e.experts)} experts but the instance has "
                             f"{inst.n_experts}", field=f"layers[{_position(placement, e.layer)}].experts",
                             source=source)
    baseline = placement.method in BASELINE_SCHEMES
    gateways = [e.gateway if e.gateway is not None else inst.gateway for e, inst in zip(layers, instance_layers)]
    deployment = Deployment(np.array(gateways), np.array([e.experts for e in layers]), name=placement.method)
    subnets = None
    if not baseline:
        for e, inst in zip(layers, instance_layers):
            if e.gateway is not None and e.gateway != inst.gateway:
                raise InputError(f"layer {e.layer}: gateway {e.gateway} is not the instance's gateway {inst.gateway}",
                                 field=f"layers[{_position(placement, e.layer)}].gateway", source=source)
        subnets = [np.append(inst.satellites, inst.gateway) for inst in instance_layers]
    check_deployment(deployment, n_sats=n_sats, n_layers=n_layers, n_experts=n_experts, subnets=subnets,
                     source=source)
    return deployment


def _position(placement, number: int) -> int:
    return next(i for i, entry in enumerate(placement.layers) if entry.layer == number)


def _matched_layers(placement, instance_layers, source) -> list:
    """The placement's entries in the order of the instance's layers, matched by layer number."""
    by_number = {entry.layer: entry for entry in placement.layers}
    wanted = [inst.layer for inst in instance_layers]
    extra = [number for number in by_number if number not in set(wanted)]
    if extra:
        raise InputError(f"layer {extra[0]} is not a layer of the instance (its layers: "
                         f"{', '.join(map(str, wanted))})", field=f"layers[{_position(placement, extra[0])}].layer",
                         source=source)
    missing = [number for number in wanted if number not in by_number]
    if missing:
        raise InputError(f"has {len(by_number)} layers but the instance has {len(wanted)}: no entry for its layer "
                         f"{missing[0]}", field="layers", source=source)
    return [by_number[number] for number in wanted]


def deployment_from_baseline(partition: RingPartition, n_experts: int, *, scheme: str, seed: int | np.random.Generator | None = None) -> Deployment:
    """A random baseline of the paper (RandPlace, RandIntra, RandIntra-CG) on a ring partition, seeded."""

    if scheme not in BASELINE_SCHEMES:
        raise ValueError(f"unknown baseline {scheme!r}; valid baselines: {', '.join(BASELINE_SCHEMES)}")
    layers = baseline_placement(partition, n_experts, method=scheme, seed=seed)
    return Deployment(np.array([p.gateway for p in layers]), np.stack([p.experts for p in layers]),
                      name=f"{scheme} (seed {seed})")


def deployment_from_assignments(instance_layers: Sequence[LayerSubproblem], assignments: Sequence[np.ndarray], *, name: str = "") -> Deployment:
    """Expert ``i`` of layer ``l`` on candidate ``assignments[l][i]`` of the instance layer ``l``."""
    experts = [np.asarray(layer.satellites)[np.asarray(a, dtype=np.int64)] for layer, a in zip(instance_layers, assignments)]
    return Deployment(np.array([layer.gateway for layer in instance_layers]), np.stack(experts), name=name)


def deployment_from_solver(layers: Sequence[LayerSubproblem], *, objective: str, method: str, name: str) -> Deployment:
    """Solve every layer subproblem with ``method`` under ``objective`` (seed 0) and return the deployment."""
    placement = solve_instance(Instance(scenario={"name": name}, layers=list(layers)), method, objective=objective,
                               rng=0)
    if placement.total_objective is None:
        raise SolverError(f"{method} found no placement for some layer of {name}")
    experts = np.array([entry.experts for entry in placement.layers])
    return Deployment(np.array([layer.gateway for layer in layers]), experts, name=name)
