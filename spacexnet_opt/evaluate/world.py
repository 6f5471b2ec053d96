"""Everything a deployment is evaluated on: snapshots, model, compute times, activation laws, subnets.

A :class:`World` is made from a scenario file (TOML) or from an instance file,
whose ``scenario.spec`` block holds the scenario it was built from (relative
paths inside it resolve against the instance file's directory, where
``spacexnet build`` puts it beside its scenario). The snapshots are rebuilt
from the scenario with its own link-failure seed, so they are the very
snapshots the instance's expected path latencies were averaged over.

>>> from spacexnet_opt.formats.scenario import parse_scenario
>>> head = 'format = "spacexnet-scenario"\\nversion = 1\\nname = "paper, 2 snapshots"\\n'
>>> spec = parse_scenario(head + '[constellation]\\npreset = "paper"\\n[snapshots]\\ncount = 2\\n'
...                       '[model]\\nprofile = "llama-moe-3.5b-2of8"\\n[statistics]\\nkind = "zipf"\\n')
>>> w = world_from_scenario(spec, source="paper.toml")
>>> w.n_sats, w.n_layers, w.n_experts, w.layers[0].n_candidates
(1056, 32, 8, 32)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..setting.setting import Setting, resolve_setting
from ..errors import InputError
from ..formats.instance import Instance, LayerSubproblem, load_instance
from ..formats.scenario import Scenario, load_scenario
from ..progress import Progress, no_progress
from .compute import ComputeModel, ComputeTimes
from .sets import CpsLaw, PairLaw, SetLaw, TraceLaw, set_law
from ..setting import route_candidates, setting_layers
from ..formats.schema import validate_document
from .legs import LegDelays

if TYPE_CHECKING:
    from ..constellation import IslSnapshots, Shell
    from ..constellation.paths import PathDelays
    from ..moe import ActivationStats, ModelProfile
    from ..partition import RingPartition
    from .deployment import Deployment
    from .legs import LegDelays

__all__ = ["World", "world_from_setting", "world_from_scenario", "world_from_instance", "world_from_file",
           "laws_from_stats"]


@dataclass(frozen=True, eq=False)
class World:
    """A setting, the layers deployed on it, and what the evaluation assumes.

    Attributes
    ----------
    setting : Setting
        The resolved scenario (shell, snapshots, profile, partition, ...).
    layers : list of LayerSubproblem
        The instance's per-layer subproblems (gateways, candidates, tau, activation).
    laws : list of set laws
        Activation-set law of each layer used for evaluation.
    compute : ComputeModel
    assumptions : dict
        What the evaluation assumed, for reports.
    paths : PathDelays or None
        Legs already routed on the snapshots (the layers' candidates, and any
        deployment routed with them); evaluation routes only what is missing.
    """

    setting: Setting
    layers: list[LayerSubproblem]
    laws: list[SetLaw]
    compute: ComputeModel
    assumptions: dict
    paths: PathDelays | None = None

    @property
    def name(self) -> str:
        return self.setting.name

    @property
    def shell(self) -> Shell:
        return self.setting.shell

    @property
    def snapshots(self) -> IslSnapshots:
        return self.setting.snapshots

    @property
    def profile(self) -> ModelProfile:
        return self.setting.profile

    @property
    def partition(self) -> RingPartition:
        return self.setting.partition

    @property
    def times(self) -> ComputeTimes:
        return self.compute.times(self.profile)

    @property
    def n_sats(self) -> int:
        return int(self.snapshots.n_sats)

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_experts(self) -> int:
        return self.layers[0].n_experts

    @property
    def activation(self) -> np.ndarray:
        """(L, E) activation probability of every expert of every layer."""
        return np.array([layer.activation for layer in self.layers], dtype=float)

    def with_laws(self, laws: list[SetLaw], note: str) -> World:
        """The same world evaluated under other activation laws (e.g. an out-of-sample workload)."""
        if len(laws) != self.n_layers:
            raise InputError(f"statistics have {len(laws)} MoE layers but the model has {self.n_layers}",
                             field="statistics")
        return replace(self, laws=list(laws), assumptions={**self.assumptions, "activation_law": note})

    def with_compute(self, compute: ComputeModel) -> World:
        return replace(self, compute=compute, assumptions={**self.assumptions, "compute": compute.record()})

    def charge_compute(self, deployment: Deployment, legs: LegDelays) -> LegDelays:
        """``legs`` with each placed expert's per-satellite compute deviation added to its path delays.

        With per-satellite speeds (``compute.speed_factor``) the layer time is
        ``t_gw(g_l) + max_{i in A} (D(s_i) + t_exp(s_i))``; :attr:`times` holds
        the times at the base speed, and this adds the rest
        (:meth:`ComputeModel.deviations`) so the analytic formula, the snapshot
        expectation and the Monte Carlo simulation all charge it exactly. The
        same ``legs`` when every satellite runs at the same speed.
        """

        if not self.compute.heterogeneous:
            return legs
        dev = self.compute.deviations(self.profile, deployment.gateways, deployment.experts)
        return LegDelays(legs.delay_s + dev[None], legs.disconnected)


def laws_from_stats(stats: ActivationStats, *, prefer: str = "auto") -> list[SetLaw]:
    """One set law per MoE layer of :class:`~spacexnet_opt.moe.ActivationStats`."""
    out: list[SetLaw] = []
    for l in range(stats.n_layers):
        if prefer in ("auto", "trace") and stats.trace is not None:
            tr = stats.trace[l]
            out.append(TraceLaw(tr.sets, tr.weights))
        elif prefer in ("auto", "pairs") and stats.k == 2 and stats.coactivation is not None:
            out.append(PairLaw(stats.coactivation[l]))
        else:
            out.append(CpsLaw(stats.p[l], stats.k))
    return out


def _compute_model(setting: Setting) -> ComputeModel:
    """The scenario's compute model; per-satellite speeds become factors over the base speed."""
    onboard = setting.onboard
    factor = onboard.gflops / onboard.reference_gflops if onboard.heterogeneous else None
    return ComputeModel(satellite_gflops=setting.spec.compute.satellite_gflops, speed_factor=factor,
                        include_lm_head=bool(setting.spec.model.charge_lm_head))


def _assumptions(setting: Setting, compute: ComputeModel, laws: list[SetLaw]) -> dict:
    snapshots = setting.snapshots
    return {
        "snapshots": int(snapshots.n_snapshots),
        "link_failure_seed": setting.links_seed,
        "isl": {k: v for k, v in vars(snapshots.config).items()},
        "compute": compute.record(),
        "activation_law": ", ".join(sorted({law.kind for law in laws})),
        "token_snapshot": "each token meets one uniformly drawn snapshot for its whole pass",
        "disconnection": "a leg without a path in a snapshot is charged its mean over connected snapshots",
    }


def world_from_setting(setting: Setting, *, compute: ComputeModel | None = None, gateway_rule: str | None = None,
                       paths: PathDelays | None = None, progress: Progress = no_progress) -> World:
    """The world of a setting: its layers under ``gateway_rule`` (default: the scenario's), laws from its statistics.

    ``paths`` holds the routed candidate legs of that rule (and possibly more,
    see :func:`~spacexnet_opt.setting.route_candidates`); routed here when not given.
    """

    progress("constellation", 0, 1)
    compute = compute or _compute_model(setting)
    _ = setting.snapshots  # built inside the "constellation" stage
    progress("constellation", 1, 1)
    if paths is None:
        paths = route_candidates(setting, (gateway_rule,), progress=progress)
    layers = setting_layers(setting, gateway_rule=gateway_rule, paths=paths).layers
    laws = laws_from_stats(setting.statistics)
    return World(setting, layers, laws, compute, _assumptions(setting, compute, laws), paths)


def world_from_scenario(spec: Scenario, *, source: str | os.PathLike, compute: ComputeModel | None = None,
                        link_seed: int | None = None, gateway_rule: str | None = None,
                        snapshots: IslSnapshots | None = None, progress: Progress = no_progress) -> World:
    """The world of a parsed scenario (``source``: the scenario file, for relative paths and messages).

    ``snapshots``: the scenario's snapshots when already built (:func:`~spacexnet_opt.setting.resolve_setting`).
    """
    setting = resolve_setting(spec, source, link_seed=link_seed, snapshots=snapshots)
    return world_from_setting(setting, compute=compute, gateway_rule=gateway_rule, progress=progress)


def world_from_instance(instance: Instance, *, source: str | os.PathLike, compute: ComputeModel | None = None,
                        link_seed: int | None = None) -> World:
    """The world of an instance: its own layers and laws, snapshots rebuilt from its scenario block.

    The statistics the instance was built from are not loaded: the layers carry
    their activation laws.
    """

    source = Path(source)
    block = instance.scenario.get("spec")
    if not isinstance(block, dict):
        raise InputError("has no scenario.spec block to rebuild the constellation from", field="scenario.spec",
                         source=source)
    spec = validate_document(Scenario, block, kind="spacexnet-scenario", version=1, source=source)
    scenario_file = source.parent / str(instance.scenario.get("scenario_file", source.name))
    setting = resolve_setting(spec, scenario_file, link_seed=link_seed)
    if compute is None:
        compute = _compute_model(setting)
        _check_speeds(instance.layers, compute, source)
    layers = sorted(instance.layers, key=lambda layer: layer.layer)  # the ring follows layer numbers, not file order
    laws = [set_law(layer) for layer in layers]
    return World(setting, layers, laws, compute, _assumptions(setting, compute, laws))


def _check_speeds(layers: list[LayerSubproblem], compute: ComputeModel, source: Path) -> None:
    """The per-candidate speeds an instance stores must be those its scenario draws again."""
    for layer in layers:
        if layer.gflops is None:
            continue
        if not compute.heterogeneous or not np.allclose(layer.gflops, compute.gflops(layer.satellites), rtol=1e-8):
            raise InputError(f"layer {layer.layer}: the stored candidate speeds differ from those the scenario "
                             "block draws again (was the instance edited, or built by another version?)",
                             field=f"layers[{layer.layer}].gflops", source=source)


def world_from_file(path: str | os.PathLike, **options) -> World:
    """A world from a scenario (``.toml``) or an instance (JSON) file."""
    path = Path(path)
    if path.suffix.lower() == ".toml":

        return world_from_scenario(load_scenario(path), source=path, **options)

    options.pop("gateway_rule", None)
    return world_from_instance(load_instance(path), source=path, **options)
