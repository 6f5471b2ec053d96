"""A deployment: the gateway and the expert satellites of every MoE layer.

Built from an instance and a placement file (``spacexnet solve``), from a
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

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from ..formats.instance import LayerSubproblem
    from ..formats.placement import Placement
    from ..partition import RingPartition

__all__ = ["Deployment", "BASELINE_SCHEMES", "check_deployment", "deployment_from_placement",
           "deployment_from_baseline", "deployment_from_assignments"]

BASELINE_SCHEMES = ("RandPlace", "RandIntra", "RandIntra-CG")
"""Placement methods evaluated against the scenario rather than the instance's candidate lists."""


@dataclass(frozen=True, eq=False)
class Deployment:
    """Gateways (L,) and expert satellites (L, E): ``experts[l, i]`` hosts expert i of layer l."""

    gateways: np.ndarray
    experts: np.ndarray
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "gateways", np.asarray(self.gateways, dtype=np.int64).ravel())
        object.__setattr__(self, "experts", np.atleast_2d(np.asarray(self.experts, dtype=np.int64)))
        if len(self.gateways) != len(self.experts):
            raise InputError(f"{len(self.gateways)} gateways for {len(self.experts)} layers of experts",
                             field="gateways")

    @property
    def n_layers(self) -> int:
        return len(self.gateways)

    @property
    def n_experts(self) -> int:
        return self.experts.shape[1]

    @property
    def next_gateways(self) -> np.ndarray:
        """Gateway of the next layer on the ring, per layer."""
        return np.roll(self.gateways, -1)


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
    from ..partition import baseline_placement

    if scheme not in BASELINE_SCHEMES:
        raise ValueError(f"unknown baseline {scheme!r}; valid baselines: {', '.join(BASELINE_SCHEMES)}")
    layers = baseline_placement(partition, n_experts, method=scheme, seed=seed)
    return Deployment(np.array([p.gateway for p in layers]), np.stack([p.experts for p in layers]),
                      name=f"{scheme} (seed {seed})")


def deployment_from_assignments(instance_layers: Sequence[LayerSubproblem], assignments: Sequence[np.ndarray], *, name: str = "") -> Deployment:
    """Expert ``i`` of layer ``l`` on candidate ``assignments[l][i]`` of the instance layer ``l``."""
    experts = [np.asarray(layer.satellites)[np.asarray(a, dtype=np.int64)] for layer, a in zip(instance_layers, assignments)]
    return Deployment(np.array([layer.gateway for layer in instance_layers]), np.stack(experts), name=name)
