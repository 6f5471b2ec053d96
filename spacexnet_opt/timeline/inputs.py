"""The timeline's only window onto worlds and deployments.

Everything the timeline reads from the rest of the toolkit goes through these
functions: the world of a scenario, a deployment file on it, the world without
failed satellites, the layers' candidates and linear costs under some
activation statistics and gateways, the subnets, the size of an expert's and a
gateway's weights and the ISL rate, the seconds per token of a deployment and
its serving throughput.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from ..constellation import RouteTable, plus_grid_edges
from ..constellation.routing import connected_expectation
from ..errors import InputError
from ..evaluate import ComputeGroup, Deployment, evaluate_deployments, world_from_file
from ..evaluate.convert import deployment_from_file
from ..evaluate.deployments import check_in_world
from ..evaluate.memory import group_bytes, scenario_memory
from ..evaluate.world import laws_from_stats, world_from_scenario
from ..fileio import file_sha256
from ..formats.deployment import load_deployment as read
from ..formats.scenario import load_scenario
from ..formats.workload import load_workload
from ..moe import load_expert_load
from ..moe.stats import ActivationStats, water_fill
from ..progress import Progress, no_progress
from ..serve import serve
from ..serve.inputs import inputs_from
from ..setting.onboard import expert_memory_gb
from .migration import LayerCost

__all__ = ["Deployment", "ComputeGroup", "load_world", "load_deployment", "load_statistics", "drifted_statistics",
           "with_statistics", "with_speeds", "without_satellites", "layer_costs", "gateways", "subnets", "grid_edges",
           "expert_gb", "gateway_gb", "link_rate_bps", "s_per_token", "deployment_s_per_token", "Throughput"]


def load_world(path: str | os.PathLike, *, snapshots: int | None = None, progress: Progress = no_progress):
    """The world of a scenario (``.toml``) or instance file; ``snapshots`` overrides a scenario's count."""

    if snapshots is None or str(path).lower().endswith(".json"):
        return world_from_file(path)
    spec = load_scenario(path)
    spec = spec.model_copy(update={"snapshots": spec.snapshots.model_copy(update={"count": snapshots})})
    return world_from_scenario(spec, source=path, progress=progress)


def load_statistics(world, path: str | os.PathLike):
    """Activation statistics of an expert-load file, checked against the world's model profile."""

    return load_expert_load(path, profile=world.profile)


def drifted_statistics(world, p: np.ndarray, rng: np.random.Generator, sigma: float, label: str):
    """Statistics one parametric drift step from ``p`` (L, E): ``p * exp(sigma * N(0, 1))``, rows back to ``k``
    and capped at 1 (:func:`spacexnet_opt.moe.stats.water_fill`)."""

    k = world.profile.top_k
    drifted, _ = water_fill(p * np.exp(sigma * rng.standard_normal(p.shape)), k)
    return ActivationStats(drifted, k, tuple(range(len(p))), source=label)


def with_statistics(world, stats, note: str):
    """The same world evaluated under other activation statistics."""

    return world.with_laws(laws_from_stats(stats), note)


def load_deployment(world, path: str | os.PathLike, scenario: str | os.PathLike):
    """The deployment (:class:`~spacexnet_opt.evaluate.Deployment`) of file ``path``, checked to be made for the
    ``scenario`` file (same SHA-256) and to fit ``world``; InputError naming the file and field otherwise."""

    doc = read(path)
    if doc.scenario.sha256 != file_sha256(scenario):
        raise InputError(f"was made for {doc.scenario.path}, not for {scenario} (SHA-256 differs)",
                         field="scenario.sha256", source=path)
    try:
        plan = deployment_from_file(doc)
        check_in_world(plan, n_sats=world.n_sats, n_layers=world.n_layers, n_experts=world.n_experts, source=path)
    except InputError as exc:
        raise type(exc)(exc.message, field=exc.field, source=path) from None
    return plan


def without_satellites(world, cut):
    """The world whose ISL snapshots lose every link of the satellites ``cut``: they neither compute nor relay,
    and routes go around them (a pair they disconnect follows
    :func:`~spacexnet_opt.constellation.routing.connected_mean`). New snapshots, so a route table of their own;
    the setting's other memos (gateway rules) stay the intact shell's."""

    if not len(cut):
        return world
    snaps = world.snapshots
    dead = np.zeros(snaps.n_sats, dtype=bool)
    dead[list(cut)] = True
    down = dead[np.asarray(snaps.edges)].any(axis=1)
    setting = copy.copy(world.setting)
    setting.__dict__["snapshots"] = dataclasses.replace(snaps, delay_s=np.where(down, np.inf, snaps.delay_s))
    return dataclasses.replace(world, setting=setting, paths=None)


def _tau(world, gateways: np.ndarray) -> np.ndarray:
    """(L, N): ``E[D(g_l, s) + D(s, g_{l+1})]`` on ``world``'s snapshots, over the snapshots where both legs have a
    path (``inf``: never)."""

    unique, row = np.unique(gateways, return_inverse=True)
    delays = RouteTable.of(world.snapshots).delays(unique)                    # (T, G, N)
    after = np.roll(row, -1)
    return np.stack([connected_expectation(delays[:, row[l]] + delays[:, after[l]]) for l in range(len(gateways))])


def layer_costs(world, activation=None, gateways=None) -> list[LayerCost]:
    """Each layer's candidates and linear cost ``p_i (tau_s[c] + expert_gflop_i / gflops[c])``.

    ``activation`` (L, E) replaces the layers' own activation probabilities (drift). Given ``gateways`` (L,),
    ``tau_s`` is routed from them on the world's snapshots (moved gateways, a world :func:`without_satellites`);
    otherwise it is the instance's own. An unreachable candidate costs ``inf``.
    """
    tau_all = None if gateways is None else _tau(world, np.asarray(gateways, dtype=np.int64))
    out = []
    for l, layer in enumerate(world.layers):
        p = np.asarray(layer.activation if activation is None else activation[l], dtype=float)
        cand = np.asarray(layer.satellites, dtype=np.int64)
        tau = np.asarray(layer.tau_s if tau_all is None else tau_all[l, cand], dtype=float)[None, :]
        if layer.gflops is not None and layer.expert_gflop is not None:
            tau = tau + np.asarray(layer.expert_gflop, float)[:, None] / np.asarray(layer.gflops, float)[None, :]
        with np.errstate(invalid="ignore"):                      # 0 x inf where an idle expert meets a hole
            out.append(LayerCost(cand, np.where(np.isfinite(tau), p[:, None] * tau, np.inf)))
    return out


def with_speeds(world, speed: np.ndarray):
    """The world with every satellite's GFLOPS scaled by ``speed`` (N,) (a power throttle; floored at 1e-6)."""

    base = world.compute.speed_factor
    factor = np.maximum(speed if base is None else base * speed, 1e-6)
    return world.with_compute(dataclasses.replace(world.compute, speed_factor=factor))


def gateways(world) -> np.ndarray:
    """Each layer's gateway (L,)."""
    return np.array([layer.gateway for layer in world.layers], dtype=np.int64)


def subnets(world) -> list[np.ndarray]:
    """Each layer's subnet: the satellites of its band (L lists)."""
    band, layer_band = world.partition.band_of(), world.partition.layer_band
    return [np.flatnonzero(band == b) for b in layer_band]


def grid_edges(world) -> np.ndarray:
    """The shell's +Grid links (M, 2)."""

    return plus_grid_edges(world.shell)


def expert_gb(world) -> float:
    """GB of one routed expert's weights at the scenario's bytes per parameter (default bf16)."""

    return expert_memory_gb(world.profile, world.setting.spec.compute.bytes_per_param)


def gateway_gb(world) -> np.ndarray:
    """GB of weights (L,) a layer's gateway holds when it computes the layer alone: the layer's non-expert
    weights and router (layer 0 also the dense layers), at the scenario's bytes per parameter. Its KV cache is
    rebuilt, not moved."""

    bpp = world.setting.spec.compute.bytes_per_param or 2.0
    return np.array([group_bytes(world.profile, ComputeGroup([0], [1.0]), 0, n_sats=1, first=l == 0,
                                 bytes_per_param=bpp, include_dense=world.compute.include_dense).weights.sum() / 1e9
                     for l in range(world.n_layers)])


def link_rate_bps(world) -> float:
    """The ISL rate of the world's snapshots."""
    return float(world.snapshots.config.link_rate_bps)


def s_per_token(world, experts: Sequence[np.ndarray], names: Sequence[str]) -> list[float]:
    """Exact snapshot expectation of seconds per token of each placement (L, E) on the world's gateways."""
    return [deployment_s_per_token(world, Deployment(gateways(world), e, name=n)) for e, n in zip(experts, names)]


def deployment_s_per_token(world, plan) -> float:
    """Exact snapshot expectation of seconds per token of a :class:`~spacexnet_opt.evaluate.Deployment` (its
    replicas and compute groups too)."""

    return float(evaluate_deployments(world, [plan], tokens=0)[0].snapshot.total_s)


class Throughput:
    """Serving throughput (tokens/s) of deployments at one workload file (:func:`spacexnet_opt.serve.serve`)."""

    def __init__(self, path: str | os.PathLike, world, scenario: str | os.PathLike):

        self.path, self.workload = path, load_workload(path)
        self.memory, self.bytes_per_param = scenario_memory(scenario, world.shell)

    def tokens_per_s(self, world, plan) -> float:
        """Tokens/s delivered serving the workload's requests on ``plan`` in ``world`` (its failures, speeds)."""

        inputs = inputs_from(plan, world, memory_gb=self.memory, bytes_per_param=self.bytes_per_param)
        result = serve(inputs, self.workload, source=self.path)
        return float(result.metrics["throughput"]["tokens_per_s"])
