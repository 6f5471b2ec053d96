"""Scenario -> instance: one expert-placement subproblem per MoE layer.

:func:`build_instance` resolves the scenario's parts
(:mod:`spacexnet_opt.build.scenario_parts`), routes over the snapshots, assembles the
layers (:mod:`spacexnet_opt.build.subproblems`) and records how
(:mod:`spacexnet_opt.build.instance_record`); :func:`write_instance` writes the
compact, byte-reproducible instance file. The resolvers and the layer assembly
are re-exported here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..fileio import write_text_atomic
from ..formats.instance import Instance
from .instance_record import compute_record, scenario_record
from .onboard import expert_memory_gb
from ..partition import band_diameters, choose_gateways
from ..formats.scenario import Scenario, load_scenario
from .scenario_parts import (
    scenario_coactivation,
    scenario_constellation,
    scenario_errors,
    scenario_isl_config,
    scenario_onboard,
    scenario_partition,
    scenario_profile,
    scenario_ring,
    scenario_statistics,
    scenario_traces,
)
from .subproblems import (
    DISCONNECTION_RULE,
    SIGNIFICANT_DIGITS,
    check_band_sizes,
    expected_path_latency,
    layer_subproblems,
)

__all__ = [
    "SIGNIFICANT_DIGITS",
    "DISCONNECTION_RULE",
    "Progress",
    "expected_path_latency",
    "layer_subproblems",
    "build_instance",
    "scenario_layers",
    "member_delay_function",
    "build_from_file",
    "scenario_partition",
    "scenario_constellation",
    "scenario_profile",
    "scenario_statistics",
    "scenario_ring",
    "scenario_isl_config",
    "scenario_traces",
    "check_band_sizes",
    "dumps_instance",
    "write_instance",
]

# progress(stage, done, total); the CLI draws it with rich.
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def member_delay_function(snaps, n_snapshots: int) -> Callable[[np.ndarray], np.ndarray]:
    """``delays(sources)``: expected delays from ``sources`` to every satellite over
    ``n_snapshots`` evenly spread snapshots (memoised); used for median gateways and band diameters."""
    from ..constellation import expected_delays

    n = min(n_snapshots, snaps.n_snapshots)
    idx = np.unique(np.linspace(0, snaps.n_snapshots - 1, n).round().astype(np.int64))
    cache: dict[bytes, np.ndarray] = {}

    def member_delays(sources: np.ndarray) -> np.ndarray:
        key = np.asarray(sources, dtype=np.int64).tobytes()
        if key not in cache:
            cache[key] = expected_delays(snaps, sources, snapshots_idx=idx).mean_s
        return cache[key]

    return member_delays


def scenario_layers(spec: Scenario, shell, snaps, partition, stats, profile, *, source, gateway_rule: str | None = None,
                    member_delays=None, onboard=None, routing_progress: Callable[[int], None] | None = None):
    """Gateways and per-layer subproblems of a scenario on given snapshots (what ``spacexnet build`` writes).

    Parameters
    ----------
    spec, shell, snaps, partition, stats, profile
        The scenario and the objects resolved from it.
    source : path
        The scenario file, named in errors.
    gateway_rule : str, optional
        Replaces the scenario's gateway rule.
    member_delays : callable, optional
        ``delays(sources)`` for the median rule (default: over the scenario's
        ``diameter_snapshots``, at least one).
    onboard : Onboard, optional
        The scenario's per-satellite draw (drawn here when not given).
    routing_progress : callable, optional
        Called with the number of snapshots routed so far.

    Returns
    -------
    tuple
        ``(band_gateways, layers, dropped, onboard, expert_memory_gb)``.
    """
    from ..constellation import iter_shortest_delays

    if member_delays is None:
        member_delays = member_delay_function(snaps, max(1, spec.partition.diameter_snapshots))
    band_gw = choose_gateways(partition, gateway_rule or spec.partition.gateway, delays=member_delays,
                              seed=spec.seeds.gateway)

    def routed():
        for t, dist in enumerate(iter_shortest_delays(snaps, np.unique(band_gw))):
            yield dist
            if routing_progress is not None:
                routing_progress(t + 1)

    if onboard is None:
        onboard = scenario_onboard(spec, shell, source)
    need_gb = expert_memory_gb(profile, spec.compute.bytes_per_param) if spec.compute.has_memory else None
    with scenario_errors(source):
        layers, dropped = layer_subproblems(
            partition, band_gw, routed(), np.asarray(stats.p, dtype=float), stats.k,
            coactivation=scenario_coactivation(spec, stats), expert_gflop=profile.expert_gflop_per_token(),
            onboard=onboard, expert_memory_gb=need_gb, traces=scenario_traces(spec, stats),
        )
    return band_gw, layers, dropped, onboard, need_gb


def build_instance(spec: Scenario, *, source: str | os.PathLike, progress: Progress | None = None) -> Instance:
    """Build the instance of scenario ``spec`` read from ``source`` (relative paths resolve against it).

    Parameters
    ----------
    spec : Scenario
    source : path
        The scenario file (only its directory and name are used).
    progress : callable, optional
        ``progress(stage, done, total)``, called while routing.

    Returns
    -------
    Instance
        Validated; write it with :func:`write_instance`.
    """
    from ..constellation import build_snapshots

    source = Path(source)
    if spec.partition.gateway == "median" and spec.partition.diameter_snapshots == 0:
        raise InputError("the median gateway rule needs partition.diameter_snapshots >= 1", field="partition.gateway",
                         source=source)
    progress = progress or _no_progress
    progress("constellation", 0, 1)
    shell = scenario_constellation(spec, source)
    profile = scenario_profile(spec, source)
    stats = scenario_statistics(spec, profile, source)
    partition = scenario_ring(spec, shell, stats.n_layers, source)
    with scenario_errors(source):  # before the snapshots: layer_subproblems checks again
        check_band_sizes(partition, stats.n_experts)
    config = scenario_isl_config(spec, profile)
    snaps = build_snapshots(shell, n_snapshots=spec.snapshots.count, duration_s=spec.snapshots.duration_s,
                            config=config, seed=spec.seeds.links)
    progress("constellation", 1, 1)
    member_delays = member_delay_function(snaps, spec.partition.diameter_snapshots)
    band_gw, layers, dropped, onboard, need_gb = scenario_layers(
        spec, shell, snaps, partition, stats, profile, source=source, member_delays=member_delays,
        routing_progress=lambda done: progress("routing", done, snaps.n_snapshots))
    n_diam = min(spec.partition.diameter_snapshots, snaps.n_snapshots)
    diameters = None
    if n_diam:
        progress("band diameters", 0, 1)
        diameters = band_diameters(partition, member_delays, method=spec.partition.diameter_method)
        progress("band diameters", 1, 1)
    record = scenario_record(spec, source, shell, profile, stats, config, snaps, partition, band_gw, diameters, n_diam,
                             dropped)
    record["compute"].update(compute_record(spec, partition, layers, onboard, need_gb, dropped))
    return Instance(scenario=record, layers=layers)


def build_from_file(path: str | os.PathLike, *, progress: Progress | None = None) -> Instance:
    """Load the scenario file ``path`` and build its instance."""
    return build_instance(load_scenario(path), source=path, progress=progress)


def dumps_instance(instance: Instance) -> str:
    """Compact, deterministic JSON text of an instance: header and scenario, then one line per layer."""
    doc = instance.model_dump(mode="json", exclude_none=True)
    compact = dict(separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    head = {k: v for k, v in doc.items() if k != "layers"}
    lines = [json.dumps(layer, **compact) for layer in doc["layers"]]
    return json.dumps(head, **compact)[:-1] + ',"layers":[\n' + ",\n".join(lines) + "\n]}\n"


def write_instance(instance: Instance, path: str | os.PathLike) -> None:
    """Write ``instance`` atomically in the compact format of :func:`dumps_instance`."""
    write_text_atomic(path, dumps_instance(instance))
