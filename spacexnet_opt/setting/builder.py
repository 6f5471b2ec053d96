"""Setting -> instance: one expert-placement subproblem per MoE layer.

:func:`build_instance` takes a resolved :class:`~spacexnet_opt.setting.setting.Setting`,
routes the candidate legs of its gateways over the snapshots once
(:func:`~spacexnet_opt.constellation.paths.route_paths`), assembles the layers
(:mod:`spacexnet_opt.setting.subproblems`) and records how
(:mod:`spacexnet_opt.setting.scenario_record`);
:func:`~spacexnet_opt.formats.instance.save_instance` writes the compact,
byte-reproducible instance file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..constellation.paths import Legs, PathDelays, route_paths
from ..errors import InputError
from ..formats.instance import Instance, LayerSubproblem
from ..partition import band_diameters
from ..progress import Progress, no_progress
from .scenario_record import compute_record, scenario_record
from .resolvers import scenario_errors
from .setting import Setting, setting_from_file
from .subproblems import candidate_legs, check_band_sizes, layer_subproblems

__all__ = ["SettingLayers", "route_candidates", "setting_layers", "build_instance", "build_from_file"]


class SettingLayers(NamedTuple):
    """The layers of a setting under one gateway rule."""

    band_gateways: np.ndarray
    layers: list[LayerSubproblem]
    dropped: int


def route_candidates(setting: Setting, rules: Sequence[str | None] = (None,), *, extra_legs: Sequence[Legs] = (),
                     progress: Progress = no_progress) -> PathDelays:
    """Route the setting's snapshots once for the candidate legs of every gateway rule in ``rules``.

    ``extra_legs`` adds further legs to
    the same pass (e.g. those of random baseline deployments to be evaluated).
    """
    legs = [candidate_legs(setting.partition, setting.gateways(rule))[0] for rule in rules]
    return route_paths(setting.snapshots, legs + list(extra_legs), progress=progress)


def setting_layers(setting: Setting, *, gateway_rule: str | None = None, paths: PathDelays | None = None,
                   progress: Progress = no_progress) -> SettingLayers:
    """The per-layer subproblems of ``setting`` under ``gateway_rule`` (default: the scenario's).

    ``paths`` holds the routed candidate legs (:func:`route_candidates`); routed here when not given.
    """
    stats = setting.statistics
    with scenario_errors(setting.source):
        check_band_sizes(setting.partition, stats.n_experts)
    band_gw = setting.gateways(gateway_rule)
    if paths is None:
        paths = route_candidates(setting, (gateway_rule,), progress=progress)
    with scenario_errors(setting.source):
        layers, dropped = layer_subproblems(
            setting.partition, band_gw, paths, np.asarray(stats.p, dtype=float), stats.k,
            coactivation=setting.coactivation, expert_gflop=setting.profile.expert_gflop_per_token(),
            onboard=setting.onboard, expert_memory_gb=setting.expert_memory_gb, traces=setting.traces,
        )
    return SettingLayers(band_gw, layers, dropped)


def build_instance(setting: Setting, *, progress: Progress | None = None) -> Instance:
    """Build the instance of ``setting`` (with its scenario's gateway rule).

    Parameters
    ----------
    setting : Setting
    progress : Progress, optional
        Called while building the snapshots, routing and measuring band diameters.

    Returns
    -------
    Instance
        Validated; write it with :func:`~spacexnet_opt.formats.instance.save_instance`.
    """
    spec = setting.spec
    if spec.partition.gateway == "median" and spec.partition.diameter_snapshots == 0:
        raise InputError("the median gateway rule needs partition.diameter_snapshots >= 1", field="partition.gateway",
                         source=setting.source)
    progress = progress or no_progress
    progress("constellation", 0, 1)
    with scenario_errors(setting.source):  # before the snapshots: layer_subproblems checks again
        check_band_sizes(setting.partition, setting.statistics.n_experts)
    _ = setting.snapshots  # built inside the "constellation" stage
    progress("constellation", 1, 1)
    band_gw, layers, dropped = setting_layers(setting, progress=progress)
    n_diam = min(spec.partition.diameter_snapshots, setting.snapshots.n_snapshots)
    diameters = None
    if n_diam:
        progress("band diameters", 0, 1)
        diameters = band_diameters(setting.partition, setting.member_delays, method=spec.partition.diameter_method)
        progress("band diameters", 1, 1)
    record = scenario_record(setting, band_gw, diameters, n_diam, dropped)
    record["compute"].update(compute_record(setting, layers, dropped))
    return Instance(scenario=record, layers=layers)


def build_from_file(path: str | os.PathLike, *, progress: Progress | None = None) -> Instance:
    """Load the scenario file ``path``, resolve it and build its instance."""
    return build_instance(setting_from_file(path), progress=progress)
