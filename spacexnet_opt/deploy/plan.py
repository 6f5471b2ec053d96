"""A deployment in memory: gateways and the satellites of every expert's copies, per layer.

:class:`Plan` is what the optimiser produces and what the deployment file
stores. ``hosts[l, i, c]`` is the satellite of copy ``c`` of expert ``i`` in
layer ``l`` (``-1`` pads experts with fewer copies); copy 0 is the primary.
Without replication a plan is exactly an :class:`~spacexnet_opt.evaluate.Deployment`.

>>> import numpy as np
>>> plan = Plan(np.array([0, 5]), np.array([[[1, -1], [2, 9]], [[6, -1], [7, -1]]]), name="toy")
>>> plan.replicated, plan.n_replicas, plan.copies(0, 1)
(True, 1, [2, 9])
>>> plan.primary().experts.tolist()
[[1, 2], [6, 7]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..evaluate.deployment import Deployment

__all__ = ["Plan", "plan_from_deployment", "plan_from_lists"]


@dataclass(frozen=True, eq=False)
class Plan:
    """Gateways (L,) and expert copies (L, E, C), ``-1`` where an expert has fewer than C copies."""

    gateways: np.ndarray
    hosts: np.ndarray
    name: str = ""
    capacity: int = 1

    def __post_init__(self):
        gateways = np.asarray(self.gateways, dtype=np.int64).ravel()
        hosts = np.asarray(self.hosts, dtype=np.int64)
        if hosts.ndim == 2:
            hosts = hosts[:, :, None]
        if hosts.ndim != 3 or len(hosts) != len(gateways):
            raise InputError(f"needs hosts of shape (L, E, C) for {len(gateways)} layers, got {hosts.shape}",
                             field="experts")
        if (hosts[:, :, 0] < 0).any():
            raise InputError("every expert needs at least one satellite", field="experts")
        object.__setattr__(self, "gateways", gateways)
        object.__setattr__(self, "hosts", hosts)

    @property
    def n_layers(self) -> int:
        return len(self.gateways)

    @property
    def n_experts(self) -> int:
        return self.hosts.shape[1]

    @property
    def next_gateways(self) -> np.ndarray:
        return np.roll(self.gateways, -1)

    @property
    def n_replicas(self) -> int:
        """Copies beyond the first, over all layers."""
        return int((self.hosts[:, :, 1:] >= 0).sum())

    @property
    def replicated(self) -> bool:
        return self.n_replicas > 0

    def shares(self) -> bool:
        """True when two expert copies of one layer sit on one satellite (capacity above one)."""
        for layer in self.hosts:
            used = layer[layer >= 0]
            if len(np.unique(used)) < len(used):
                return True
        return False

    def copies(self, layer: int, expert: int) -> list[int]:
        row = self.hosts[layer, expert]
        return [int(s) for s in row[row >= 0]]

    def primary(self) -> Deployment:
        """The deployment of the primary copies (the whole plan when nothing is replicated)."""
        return Deployment(self.gateways, self.hosts[:, :, 0], name=self.name)

    def with_hosts(self, hosts, *, name: str | None = None) -> "Plan":
        return Plan(self.gateways, hosts, name=self.name if name is None else name, capacity=self.capacity)


def plan_from_deployment(deployment: Deployment, *, capacity: int = 1) -> Plan:
    """The plan of an :class:`~spacexnet_opt.evaluate.Deployment` (one copy per expert)."""
    return Plan(deployment.gateways, deployment.experts[:, :, None], name=deployment.name, capacity=capacity)


def plan_from_lists(gateways, experts, *, name: str = "", capacity: int = 1) -> Plan:
    """A plan from per-layer lists of per-expert copy lists (the file layout)."""
    width = max(len(copies) for layer in experts for copies in layer)
    hosts = np.full((len(experts), len(experts[0]), width), -1, dtype=np.int64)
    for l, layer in enumerate(experts):
        for i, copies in enumerate(layer):
            hosts[l, i, :len(copies)] = copies
    return Plan(np.asarray(gateways), hosts, name=name, capacity=capacity)
