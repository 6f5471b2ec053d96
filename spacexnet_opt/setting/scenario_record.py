"""The ``scenario`` record of an instance file: what was built, from what, and by which rules.

Floats are rounded like the layers (:func:`spacexnet_opt.setting.subproblems.round_significant`)
and every input file is named with its sha256, so a rebuilt file is byte-identical.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..fileio import file_sha256
from ..formats.instance import LayerSubproblem
from ..formats.scenario import Scenario, resolve_path
from .setting import Setting
from .subproblems import CANDIDATE_DISCONNECTION_RULE
from .subproblems import round_significant as _round

if TYPE_CHECKING:
    from ..constellation import Shell
    from ..moe import ActivationStats

__all__ = ["scenario_record", "compute_record"]


def _shell_record(shell: Shell) -> dict[str, Any]:
    keys = ("name", "n_planes", "sats_per_plane", "n_sats", "altitude_km", "inclination_deg", "phasing", "pattern")
    record = {k: getattr(shell, k) for k in keys if hasattr(shell, k)}
    record.update({k: _round(v) for k, v in record.items() if isinstance(v, float)})
    record["period_s"] = _round(shell.period_s)
    if hasattr(shell, "report"):
        record["tle_report"] = shell.report.lines()
    return record


def compute_record(setting: Setting, layers: list[LayerSubproblem], dropped: int) -> dict[str, Any]:
    """What the per-satellite compute model did (nothing for the homogeneous default)."""
    partition, onboard, need_gb = setting.partition, setting.onboard, setting.expert_memory_gb
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


def scenario_record(setting: Setting, band_gw: np.ndarray, diameters: np.ndarray | None, n_diam: int,
                    dropped: int) -> dict[str, Any]:
    """The scenario record of a built instance (the inputs of :func:`spacexnet_opt.setting.build_instance`)."""
    spec, source, shell, profile = setting.spec, setting.source, setting.shell, setting.profile
    stats, config, snaps, partition = setting.statistics, setting.isl, setting.snapshots, setting.partition
    files = {}
    c = spec.compute
    for rel in (spec.statistics.file, spec.model.file, spec.constellation.tle.file if spec.constellation.tle else None,
                c.gflops.file if c.gflops else None, c.memory.file if c.memory else None):
        if rel is not None:
            files[rel] = file_sha256(resolve_path(rel, source))
    return {
        "name": spec.name,
        "description": spec.description,
        "tool": {"name": "spacexnet-opt", "version": __version__},
        "scenario_file": source.name,
        "spec": spec.model_dump(mode="json", exclude_none=True),
        "files_sha256": files,
        "constellation": _shell_record(shell),
        "isl": {k: (_round(v) if isinstance(v, float) else v) for k, v in dataclasses.asdict(config).items()
                if k != "hop_processing_s" or v},   # the paper's model (no processing) records as before
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
        "routing": {"rule": CANDIDATE_DISCONNECTION_RULE, "dropped_candidates": dropped},
    }


def _statistics_record(spec: Scenario, stats: ActivationStats, files: dict[str, str]) -> dict[str, Any]:
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

