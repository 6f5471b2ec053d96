"""The timeline's only window onto worlds and deployments (issue 18 will change what is behind it).

Everything the timeline reads from the rest of the toolkit goes through these
functions (it reads no deployment file yet: it starts from its own placement):
the world of a scenario, the layers' candidates and linear costs under some
activation statistics, the shell's grid, the size of an expert's
weights and the ISL rate, and the seconds per token of a deployment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..progress import Progress, no_progress
from .migration import LayerCost

__all__ = ["load_world", "load_statistics", "drifted_statistics", "with_statistics", "with_speeds", "layer_costs",
           "gateways",
           "grid_edges", "expert_gb", "link_rate_bps", "s_per_token"]


def load_world(path: str | os.PathLike, *, snapshots: int | None = None, progress: Progress = no_progress):
    """The world of a scenario (``.toml``) or instance file; ``snapshots`` overrides a scenario's count."""
    from ..evaluate import world_from_file
    from ..evaluate.world import world_from_scenario
    from ..formats.scenario import load_scenario

    if snapshots is None or str(path).lower().endswith(".json"):
        return world_from_file(path)
    spec = load_scenario(path)
    spec = spec.model_copy(update={"snapshots": spec.snapshots.model_copy(update={"count": snapshots})})
    return world_from_scenario(spec, source=path, progress=progress)


def load_statistics(world, path: str | os.PathLike):
    """Activation statistics of an expert-load file, checked against the world's model profile."""
    from ..moe import load_expert_load

    return load_expert_load(path, profile=world.profile)


def drifted_statistics(world, p: np.ndarray, rng: np.random.Generator, sigma: float, label: str):
    """Statistics one parametric drift step from ``p`` (L, E): ``p * exp(sigma * N(0, 1))``, rows back to ``k``
    and capped at 1 (:func:`spacexnet_opt.moe.stats.water_fill`)."""
    from ..moe.stats import ActivationStats, water_fill

    k = world.profile.top_k
    drifted, _ = water_fill(p * np.exp(sigma * rng.standard_normal(p.shape)), k)
    return ActivationStats(drifted, k, tuple(range(len(p))), source=label)


def with_statistics(world, stats, note: str):
    """The same world evaluated under other activation statistics."""
    from ..evaluate.world import laws_from_stats

    return world.with_laws(laws_from_stats(stats), note)


def layer_costs(world, activation=None) -> list[LayerCost]:
    """Each layer's candidates and linear cost ``p_i (tau_s[c] + expert_gflop_i / gflops[c])``.

    ``activation`` (L, E) replaces the layers' own activation probabilities (drift).
    """
    out = []
    for l, layer in enumerate(world.layers):
        p = np.asarray(layer.activation if activation is None else activation[l], dtype=float)
        tau = np.asarray(layer.tau_s, dtype=float)[None, :]
        if layer.gflops is not None and layer.expert_gflop is not None:
            tau = tau + np.asarray(layer.expert_gflop, float)[:, None] / np.asarray(layer.gflops, float)[None, :]
        out.append(LayerCost(np.asarray(layer.satellites, dtype=np.int64), p[:, None] * tau))
    return out


def with_speeds(world, speed: np.ndarray):
    """The world with every satellite's GFLOPS scaled by ``speed`` (N,) (a power throttle; floored at 1e-6)."""
    import dataclasses

    base = world.compute.speed_factor
    factor = np.maximum(speed if base is None else base * speed, 1e-6)
    return world.with_compute(dataclasses.replace(world.compute, speed_factor=factor))


def gateways(world) -> np.ndarray:
    """Each layer's gateway (L,)."""
    return np.array([layer.gateway for layer in world.layers], dtype=np.int64)


def grid_edges(world) -> np.ndarray:
    """The shell's +Grid links (M, 2)."""
    from ..constellation import plus_grid_edges

    return plus_grid_edges(world.shell)


def expert_gb(world) -> float:
    """GB of one routed expert's weights at the scenario's bytes per parameter (default bf16)."""
    from ..setting.onboard import expert_memory_gb

    return expert_memory_gb(world.profile, world.setting.spec.compute.bytes_per_param)


def link_rate_bps(world) -> float:
    """The ISL rate of the world's snapshots."""
    return float(world.snapshots.config.link_rate_bps)


def s_per_token(world, experts: Sequence[np.ndarray], names: Sequence[str]) -> list[float]:
    """Exact snapshot expectation of seconds per token of each placement (L, E) on the world's gateways."""
    from ..evaluate import Deployment, evaluate_many

    deployments = [Deployment(gateways(world), e, name=n) for e, n in zip(experts, names)]
    return [ev.snapshot.total_s for ev in evaluate_many(world, deployments, tokens=0)]
