"""Scenario -> instance: one expert-placement subproblem per MoE layer.

Steps: make the constellation, the model profile and the activation
statistics; cut the shell into a ring of bands (:mod:`spacexnet_opt.partition`);
choose a gateway per band; route from the gateways over every snapshot; then,
for layer ``l`` with gateway ``g_l`` and next gateway ``g_{l+1}``, every band
member ``s`` other than ``g_l`` is a candidate with expected path latency

    tau_s(s) = E[ D(g_l, s) + D(s, g_{l+1}) ]

Disconnection rule: the mean runs over the snapshots in which both legs have a
path; ``disconnect_prob[s]`` is the fraction of snapshots in which either leg
has none. Candidates never connected in any snapshot are dropped (counted in
``scenario.report.dropped_candidates``). Floats are rounded to 9 significant
digits so rebuilt files are byte-identical.

>>> from spacexnet_opt.partition import GridShape, ring_partition
>>> part = ring_partition(GridShape(2, 4), 2)
>>> d = np.abs(np.subtract.outer(np.arange(8.0), np.arange(8.0)))
>>> layers, dropped = layer_subproblems(part, np.array([0, 2]), [d[[0, 2]]], np.array([[1.0], [1.0]]), 1)
>>> layers[0].satellites, layers[0].tau_s
([1, 4, 5], [2.0, 6.0, 8.0])
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .errors import InputError
from .fileio import write_text_atomic
from .instance import Instance, LayerSubproblem, Trace
from .onboard import Onboard, draw_onboard, expert_memory_gb
from .partition import RingPartition, band_diameters, choose_gateways, ring_partition
from .scenario import Scenario, load_scenario, resolve_path

__all__ = [
    "SIGNIFICANT_DIGITS",
    "DISCONNECTION_RULE",
    "Progress",
    "expected_path_latency",
    "layer_subproblems",
    "build_instance",
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

SIGNIFICANT_DIGITS = 9
DISCONNECTION_RULE = (
    "tau_s = mean of D(g_l, s) + D(s, g_next) over the snapshots in which both legs have a path; "
    "disconnect_prob = fraction of snapshots in which either leg has none; "
    "candidates never connected are dropped"
)
# progress(stage, done, total); the CLI draws it with rich.
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def _round(values, digits: int = SIGNIFICANT_DIGITS):
    """Round floats (any nesting of arrays) to ``digits`` significant digits, as nested lists."""
    arr = np.asarray(values, dtype=float)
    return np.vectorize(lambda x: float(f"{x:.{digits}g}"), otypes=[float])(arr).tolist() if arr.size else arr.tolist()


def expected_path_latency(delays: Iterable[np.ndarray], first: np.ndarray, second: np.ndarray, targets: np.ndarray):
    """Mean of ``D[first, targets] + D[second, targets]`` over snapshots where both are finite.

    Parameters
    ----------
    delays : iterable of arrays (n_src, N)
        Shortest-path delays from the sources, one array per snapshot.
    first, second : int arrays (n,)
        Source row of each leg, per target.
    targets : int array (n,)
        Satellite ids.

    Returns
    -------
    mean_s, disconnect_prob : arrays (n,)
        ``mean_s`` is ``inf`` where the pair is never connected.

    Examples
    --------
    >>> snaps = [np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.0, np.inf], [3.0, 0.0]])]
    >>> expected_path_latency(snaps, np.array([0]), np.array([1]), np.array([1]))
    (array([1.]), array([0.5]))
    """
    total = np.zeros(len(targets))
    connected = np.zeros(len(targets), dtype=np.int64)
    n = 0
    for dist in delays:
        path = dist[first, targets] + dist[second, targets]
        ok = np.isfinite(path)
        total += np.where(ok, path, 0.0)
        connected += ok
        n += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(connected > 0, total / np.maximum(connected, 1), np.inf)
    return mean, 1.0 - connected / max(n, 1)


def check_band_sizes(partition: RingPartition, n_experts: int) -> None:
    """Raise InputError naming the layer and both sizes when a band has fewer candidates than experts."""
    for layer, band in enumerate(partition.layer_band):
        n_cand = len(partition.members(band)) - 1
        if n_cand < n_experts:
            raise InputError(
                f"layer {layer}: subnet (band {band}) has {n_cand} candidate satellites besides its gateway "
                f"but the layer has {n_experts} experts",
                field="constellation",
            )


def layer_subproblems(
    partition: RingPartition,
    band_gateways: np.ndarray,
    delays: Iterable[np.ndarray],
    activation: np.ndarray,
    k: int,
    *,
    coactivation: np.ndarray | None = None,
    expert_gflop: float | None = None,
    onboard: Onboard | None = None,
    expert_memory_gb: float | None = None,
    traces: list | None = None,
) -> tuple[list[LayerSubproblem], int]:
    """Assemble the per-layer subproblems from a partition, its gateways and routed delays.

    Parameters
    ----------
    partition : RingPartition
    band_gateways : int array (B,)
        Gateway id of each band.
    delays : iterable of arrays (G, N)
        Per snapshot, delays from ``np.unique(band_gateways)`` (in that sorted order).
    activation : array (L, E)
        Activation probability of each expert, rows summing to ``k``.
    k : int
    coactivation : array (L, E, E), optional
    expert_gflop : float, optional
        GFLOP of one expert per token (the same for every expert).
    onboard : Onboard, optional
        Per-satellite speed and memory (:func:`spacexnet_opt.onboard.draw_onboard`).
        With heterogeneous speeds every layer gets per-candidate ``gflops`` and
        the cost ``cost[i][c] = activation[i] * (tau_s[c] + expert_gflop / gflops[c])``
        (computed from the rounded stored values); with a memory model it gets
        ``memory_gb`` and loses the candidates that cannot hold their experts.
    expert_memory_gb : float, optional
        Memory of one expert. A satellite of a band shared by f layers may host
        one expert of each, so it must hold ``f * expert_memory_gb``.
    traces : list of (sets, weights), optional
        One activated-set trace per layer (:mod:`spacexnet_opt.traces`).

    Returns
    -------
    layers : list of LayerSubproblem
    dropped : int
        Candidates dropped because they were never connected (memory
        exclusions are not counted here).

    Raises
    ------
    InputError
        A layer with fewer candidates than experts (naming both sizes), or a
        gateway disconnected from all its candidates.
    """
    activation = np.asarray(activation, dtype=float)
    n_layers, n_experts = activation.shape
    check_band_sizes(partition, n_experts)
    sources, rows = np.unique(band_gateways, return_inverse=True)
    layer_gw = band_gateways[partition.layer_band]
    next_gw = np.roll(layer_gw, -1)
    cand, first, second, owner = [], [], [], []
    for layer, band in enumerate(partition.layer_band):
        members = partition.members(band)
        members = members[members != layer_gw[layer]]
        cand.append(members)
        first.append(np.full(len(members), rows[band]))
        second.append(np.full(len(members), rows[partition.next_band(layer)]))
        owner.append(np.full(len(members), layer))
    targets, owner = np.concatenate(cand), np.concatenate(owner)
    tau, disc = expected_path_latency(delays, np.concatenate(first), np.concatenate(second), targets)
    fits = np.ones(len(targets), dtype=bool)
    if onboard is not None and onboard.memory_gb is not None and expert_memory_gb is not None:
        need = np.bincount(partition.layer_band, minlength=partition.n_bands) * expert_memory_gb
        fits = onboard.memory_gb[targets] >= need[partition.layer_band[owner]]
    if onboard is not None and onboard.heterogeneous and expert_gflop is None:
        raise ValueError("heterogeneous satellite speeds need expert_gflop for the cost matrix")
    layers, dropped = [], 0
    for layer in range(n_layers):
        mine = owner == layer
        connected = mine & np.isfinite(tau)
        ok = connected & fits
        n_ok = int(ok.sum())
        dropped += int(mine.sum()) - int(connected.sum())
        if not connected.any():
            raise InputError(
                f"layer {layer}: gateway {layer_gw[layer]} (with next gateway {next_gw[layer]}) is disconnected "
                f"from all {int(mine.sum())} candidates in every snapshot",
                field="constellation",
            )
        if n_ok < n_experts:
            short = int((connected & ~fits).sum())
            why = (f"only {n_ok} candidate satellites are ever connected to the gateways"
                   + (f" and have the memory for their experts ({short} too small)" if short else ""))
            raise InputError(f"layer {layer}: {why} but the layer has {n_experts} experts",
                             field="compute.memory" if short else "constellation")
        layers.append(LayerSubproblem(
            layer=layer,
            gateway=int(layer_gw[layer]),
            next_gateway=int(next_gw[layer]),
            k=int(k),
            satellites=targets[ok].tolist(),
            tau_s=_round(tau[ok]),
            activation=_round(activation[layer]),
            coactivation=None if coactivation is None else _round(coactivation[layer]),
            disconnect_prob=_round(disc[ok]),
            expert_gflop=None if expert_gflop is None else _round(np.full(n_experts, expert_gflop)),
            **_onboard_fields(onboard, targets[ok], activation[layer], tau[ok], expert_gflop),
            trace=None if traces is None else Trace(sets=traces[layer][0].tolist(), weights=_round(traces[layer][1])),
        ))
    return layers, dropped


def _onboard_fields(onboard: Onboard | None, satellites, activation, tau, expert_gflop) -> dict[str, Any]:
    """Per-candidate ``gflops``/``cost`` (heterogeneous speeds) and ``memory_gb`` (memory model) of one layer."""
    fields: dict[str, Any] = {}
    if onboard is None:
        return fields
    if onboard.heterogeneous:
        gflops = _round(onboard.gflops[satellites])
        # from the rounded stored values, so a reader recomputes the same matrix
        p, t, g = np.array(_round(activation)), np.array(_round(tau)), float(_round(expert_gflop))
        fields["gflops"] = gflops
        fields["cost"] = _round(np.outer(p, t + g / np.array(gflops)))
    if onboard.memory_gb is not None:
        fields["memory_gb"] = _round(onboard.memory_gb[satellites])
    return fields


# --------------------------------------------------------------------------- scenario -> parts


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None


def scenario_constellation(spec: Scenario, source: Path):
    """The Walker or TLE shell a scenario describes (file paths resolved against ``source``)."""
    from .constellation import WalkerShell, preset

    c = spec.constellation
    if c.preset is not None:
        try:
            return preset(c.preset)
        except InputError as exc:
            raise InputError(exc.message, field="constellation.preset", source=source) from None
    if c.walker is not None:
        try:
            return WalkerShell(spec.name, **c.walker.model_dump())
        except InputError as exc:
            raise InputError(exc.message, field=f"constellation.walker.{exc.field}", source=source) from None
    from .constellation import load_tle_shell

    try:
        return load_tle_shell(resolve_path(c.tle.file, source), name=spec.name, **c.tle.selection())
    except InputError as exc:
        if exc.source is not None:
            raise
        raise InputError(exc.message, field=f"constellation.tle.{exc.field}", source=source) from None


def _shell_record(shell) -> dict[str, Any]:
    keys = ("name", "n_planes", "sats_per_plane", "n_sats", "altitude_km", "inclination_deg", "phasing", "pattern")
    record = {k: getattr(shell, k) for k in keys if hasattr(shell, k)}
    record.update({k: _round(v) for k, v in record.items() if isinstance(v, float)})
    record["period_s"] = _round(shell.period_s)
    if hasattr(shell, "report"):
        record["tle_report"] = shell.report.lines()
    return record


def scenario_profile(spec: Scenario, source: Path):
    """The scenario's MoE model profile: a built-in name or a profile file."""
    from .moe import get_profile, load_profile

    try:
        if spec.model.profile is not None:
            return get_profile(spec.model.profile)
    except InputError as exc:
        raise InputError(exc.message, field="model.profile", source=source) from None
    return load_profile(resolve_path(spec.model.file, source))


def scenario_statistics(spec: Scenario, profile, source: Path):
    """The scenario's activation statistics: synthetic (seeded) or loaded from a file."""
    from . import moe

    st = spec.statistics
    kwargs = dict(st.params)
    try:
        if st.kind == "load":
            return moe.load_expert_load(resolve_path(st.file, source), profile=profile, **kwargs)
        if st.kind == "trace":
            return moe.load_trace(resolve_path(st.file, source), profile=profile, **kwargs)
        generator = {"zipf": moe.synthetic_zipf, "dirichlet": moe.synthetic_dirichlet, "correlated": moe.synthetic_correlated}
        shape = (profile.n_moe_layers, profile.n_experts, profile.top_k)
        return generator[st.kind](*shape, seed=spec.seeds.statistics, **kwargs)
    except TypeError as exc:
        raise InputError(str(exc), field="statistics.params", source=source) from None


def _coactivation(stats, spec: Scenario) -> np.ndarray | None:
    if not spec.statistics.coactivation:
        return None
    return np.asarray(stats.pair_coactivation(), dtype=float)


def scenario_ring(spec: Scenario, shell, n_layers: int, source: Path) -> RingPartition:
    """The ring partition of ``shell`` into ``n_layers`` subnets with the scenario's fold and alignment."""
    try:
        return ring_partition(shell, n_layers, fold=spec.partition.fold, align=spec.partition.align)
    except InputError as exc:
        raise InputError(exc.message, field=f"partition.{exc.field}", source=source) from None


def scenario_partition(path: str | os.PathLike):
    """The shell and ring partition of a scenario file (no statistics, no routing)."""
    spec = load_scenario(path)
    shell = scenario_constellation(spec, Path(path))
    return shell, scenario_ring(spec, shell, scenario_profile(spec, Path(path)).n_moe_layers, Path(path))


def scenario_isl_config(spec: Scenario, profile):
    """The ISL settings of a scenario; the message size defaults to the profile's activation size."""
    from .constellation import IslConfig

    given = spec.isl.config_overrides()
    given.setdefault("message_bits", 8 * profile.activation_bytes())
    return IslConfig(**given)


# --------------------------------------------------------------------------- the build


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
    from .constellation import build_snapshots, expected_delays, iter_shortest_delays

    source = Path(source)
    progress = progress or _no_progress
    progress("constellation", 0, 1)
    shell = scenario_constellation(spec, source)
    profile = scenario_profile(spec, source)
    stats = scenario_statistics(spec, profile, source)
    activation = np.asarray(stats.p, dtype=float)
    n_layers, n_experts = activation.shape
    partition = scenario_ring(spec, shell, n_layers, source)
    try:
        check_band_sizes(partition, n_experts)
    except InputError as exc:
        raise InputError(exc.message, field=exc.field, source=source) from None
    config = scenario_isl_config(spec, profile)
    snaps = build_snapshots(shell, n_snapshots=spec.snapshots.count, duration_s=spec.snapshots.duration_s,
                            config=config, seed=spec.seeds.links)
    progress("constellation", 1, 1)
    n_diam = min(spec.partition.diameter_snapshots, snaps.n_snapshots)
    diam_idx = np.unique(np.linspace(0, snaps.n_snapshots - 1, n_diam).round().astype(np.int64))

    cache: dict[bytes, np.ndarray] = {}

    def member_delays(sources: np.ndarray) -> np.ndarray:
        key = np.asarray(sources, dtype=np.int64).tobytes()
        if key not in cache:
            cache[key] = expected_delays(snaps, sources, snapshots_idx=diam_idx).mean_s
        return cache[key]

    if spec.partition.gateway == "median" and n_diam == 0:
        raise InputError("the median gateway rule needs partition.diameter_snapshots >= 1", field="partition.gateway",
                         source=source)
    band_gw = choose_gateways(partition, spec.partition.gateway, delays=member_delays, seed=spec.seeds.gateway)
    sources = np.unique(band_gw)

    def routed():
        for t, dist in enumerate(iter_shortest_delays(snaps, sources)):
            yield dist
            progress("routing", t + 1, snaps.n_snapshots)

    onboard = draw_onboard(spec.compute, shell.n_sats, seed=spec.seeds.get("compute"), source=source)
    need_gb = expert_memory_gb(profile, spec.compute.bytes_per_param) if spec.compute.has_memory else None
    try:
        layers, dropped = layer_subproblems(
            partition, band_gw, routed(), activation, stats.k,
            coactivation=_coactivation(stats, spec), expert_gflop=profile.expert_gflop_per_token(),
            onboard=onboard, expert_memory_gb=need_gb, traces=scenario_traces(spec, stats),
        )
    except InputError as exc:
        raise InputError(exc.message, field=exc.field, source=source) from None
    diameters = None
    if n_diam:
        progress("band diameters", 0, 1)
        diameters = band_diameters(partition, member_delays, method=spec.partition.diameter_method)
        progress("band diameters", 1, 1)
    record = _scenario_record(spec, source, shell, profile, stats, config, snaps, partition, band_gw, diameters, n_diam,
                              dropped)
    record["compute"].update(_compute_record(spec, partition, layers, onboard, need_gb, dropped))
    return Instance(scenario=record, layers=layers)


def scenario_traces(spec: Scenario, stats) -> list | None:
    """Per-layer activated-set traces the scenario asks for (``statistics.trace``), or None."""
    from .traces import exact_trace, merge_sets, sampled_trace

    mode = spec.statistics.trace_mode()
    if mode == "sample":
        return sampled_trace(stats.p, stats.k, spec.statistics.trace_tokens, rng=spec.seeds.get("trace"))
    if mode == "exact":
        return exact_trace(stats.p, stats.k)
    if mode == "file":
        return [merge_sets(tr.sets, tr.weights) for tr in stats.trace]
    return None


def _compute_record(spec, partition, layers, onboard, need_gb, dropped) -> dict[str, Any]:
    """What the per-satellite compute model did (nothing for the homogeneous default)."""
    out: dict[str, Any] = {}
    if onboard.heterogeneous:
        values, counts = np.unique(onboard.gflops, return_counts=True)
        out["gflops_summary"] = ({"values": _round(values), "counts": counts.tolist()} if len(values) <= 16 else
                                 {"min": _round(values[0]), "max": _round(values[-1]),
                                  "mean": _round(onboard.gflops.mean())})
        out["cost_rule"] = "cost[i][c] = activation[i] * (tau_s[c] + expert_gflop[i] / gflops[c])"
    if need_gb is not None:
        offered = sum(len(partition.members(b)) - 1 for b in partition.layer_band)
        folded = int(np.bincount(partition.layer_band).max())
        out["expert_memory_gb"] = _round(need_gb)
        out["memory_rule"] = (f"a candidate must hold one expert of every layer sharing its band "
                              f"(up to {folded} x expert_memory_gb); smaller satellites are not candidates")
        out["memory_excluded_candidates"] = offered - dropped - sum(l.n_candidates for l in layers)
    return out


def _scenario_record(spec, source, shell, profile, stats, config, snaps, partition, band_gw, diameters, n_diam, dropped):
    files = {}
    c = spec.compute
    for rel in (spec.statistics.file, spec.model.file, spec.constellation.tle.file if spec.constellation.tle else None,
                c.gflops.file if c.gflops else None, c.memory.file if c.memory else None):
        if rel is not None:
            files[rel] = _sha256(resolve_path(rel, source))
    return {
        "name": spec.name,
        "description": spec.description,
        "tool": {"name": "spacexnet-opt", "version": __version__},
        "scenario_file": source.name,
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "files_sha256": files,
        "constellation": _shell_record(shell),
        "isl": {k: (_round(v) if isinstance(v, float) else v) for k, v in dataclasses.asdict(config).items()},
        "snapshots": {"count": snaps.n_snapshots, "duration_s": _round(spec.snapshots.duration_s or shell.period_s)},
        "model": {"profile": profile.name, "n_moe_layers": profile.n_moe_layers, "n_experts": profile.n_experts,
                  "k": int(stats.k), "expert_gflop": _round(profile.expert_gflop_per_token()),
                  "gateway_gflop": _round(profile.gateway_gflop_per_token())},
        "statistics": _statistics_record(spec, stats, files),
        "compute": spec.compute.model_dump(exclude_none=True),
        "partition": {
            "n_bands": partition.n_bands,
            "band_slots": [list(b) for b in partition.band_slots],
            "plane_shift": partition.plane_shift.tolist(),
            "layer_band": partition.layer_band.tolist(),
            "band_gateways": band_gw.tolist(),
            "band_diameter_s": None if diameters is None else [
                _round(d) if np.isfinite(d) else None for d in diameters],
            "diameter_snapshots": n_diam,
            "diameter_method": spec.partition.diameter_method,
        },
        "routing": {"rule": DISCONNECTION_RULE, "dropped_candidates": dropped},
    }


def _statistics_record(spec: Scenario, stats, files: dict[str, str]) -> dict[str, Any]:
    """Where the statistics come from: a generator call, or the file as written in the scenario (+ sha256)."""
    st = spec.statistics
    record: dict[str, Any] = {"source": str(stats.source)}
    if st.file is not None:
        record = {"source": st.file, "relative_to": "scenario_file", "sha256": files[st.file]}
    mode = st.trace_mode()
    if mode is not None:
        record["trace"] = {"mode": mode, **({"tokens": st.trace_tokens, "seed": spec.seeds.get("trace")}
                                            if mode == "sample" else {})}
    return record


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
