"""Everything a deployment is evaluated on: snapshots, model, compute times, activation laws, subnets.

A :class:`World` is made from a scenario file (TOML) or from an instance file,
whose ``scenario.spec`` block holds the scenario it was built from (relative
paths inside it resolve against the instance file's directory, where
``spacexnet build`` puts it beside its scenario). The snapshots are rebuilt
from the scenario with its own link-failure seed, so they are the very
snapshots the instance's expected path latencies were averaged over.

>>> from spacexnet_opt.formats.scenario import parse_scenario
>>> spec = parse_scenario('''
... format = "spacexnet-scenario"
... version = 1
... name = "toy"
... [constellation.walker]
... n_planes = 9
... sats_per_plane = 32
... altitude_km = 550.0
... inclination_deg = 87.0
... pattern = "star"
... [snapshots]
... count = 2
... [model]
... profile = "llama-moe-3.5b-2of8"
... [statistics]
... kind = "zipf"
... ''')
>>> w = world_from_scenario(spec, source="toy.toml")
>>> w.n_sats, w.n_layers, w.n_experts, w.layers[0].n_candidates
(288, 32, 8, 8)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..build.scenario_parts import scenario_onboard
from .compute import ComputeModel, ComputeTimes
from .sets import CpsLaw, PairLaw, TraceLaw, set_law

__all__ = ["World", "world_from_scenario", "world_from_instance", "world_from_file", "laws_from_stats",
           "solve_layers"]


@dataclass(frozen=True, eq=False)
class World:
    """A scenario made concrete.

    Attributes
    ----------
    name : str
    shell : WalkerShell or TleShell
    snapshots : IslSnapshots
    profile : ModelProfile
    partition : RingPartition
    layers : list of LayerSubproblem
        The instance's per-layer subproblems (gateways, candidates, tau, activation).
    laws : list of set laws
        Activation-set law of each layer used for evaluation.
    compute : ComputeModel
    assumptions : dict
        What the evaluation assumed, for reports.
    stats : ActivationStats or None
        The statistics the layers were solved on (a scenario world; None for an instance world).
    """

    name: str
    shell: object
    snapshots: object
    profile: object
    partition: object
    layers: list
    laws: list
    compute: ComputeModel
    assumptions: dict
    stats: object = None

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

    def with_laws(self, laws, note: str) -> "World":
        """The same world evaluated under other activation laws (e.g. an out-of-sample workload)."""
        if len(laws) != self.n_layers:
            raise InputError(f"statistics have {len(laws)} MoE layers but the model has {self.n_layers}",
                             field="statistics")
        return replace(self, laws=list(laws), assumptions={**self.assumptions, "activation_law": note})

    def with_compute(self, compute: ComputeModel) -> "World":
        return replace(self, compute=compute, assumptions={**self.assumptions, "compute": compute.record()})

    def charge_compute(self, deployment, legs):
        """``legs`` with each placed expert's per-satellite compute deviation added to its path delays.

        With per-satellite speeds (``compute.speed_factor``) the layer time is
        ``t_gw(g_l) + max_{i in A} (D(s_i) + t_exp(s_i))``; :attr:`times` holds
        the times at the base speed, and this adds the rest
        (:meth:`ComputeModel.deviations`) so the analytic formula, the snapshot
        expectation and the Monte Carlo simulation all charge it exactly. The
        same ``legs`` when every satellite runs at the same speed.
        """
        from .legs import LegDelays

        if not self.compute.heterogeneous:
            return legs
        dev = self.compute.deviations(self.profile, deployment.gateways, deployment.experts)
        return LegDelays(legs.delay_s + dev[None], legs.disconnected)


def laws_from_stats(stats, *, prefer: str = "auto") -> list:
    """One set law per MoE layer of :class:`~spacexnet_opt.moe.ActivationStats`."""
    out = []
    for l in range(stats.n_layers):
        if prefer in ("auto", "trace") and stats.trace is not None:
            tr = stats.trace[l]
            out.append(TraceLaw(tr.sets, tr.weights))
        elif prefer in ("auto", "pairs") and stats.k == 2 and stats.coactivation is not None:
            out.append(PairLaw(stats.coactivation[l]))
        else:
            out.append(CpsLaw(stats.p[l], stats.k))
    return out


def _parts(spec, source: Path):
    """Shell, profile, statistics, partition and ISL config of a scenario (the builder's own steps)."""
    from .. import build

    shell = build.scenario_constellation(spec, source)
    profile = build.scenario_profile(spec, source)
    stats = build.scenario_statistics(spec, profile, source)
    partition = build.scenario_ring(spec, shell, stats.n_layers, source)
    return shell, profile, stats, partition, build.scenario_isl_config(spec, profile)


def _snapshots(spec, shell, config, link_seed):
    from ..constellation import build_snapshots

    seed = spec.seeds.links if link_seed is None else link_seed
    return build_snapshots(shell, n_snapshots=spec.snapshots.count, duration_s=spec.snapshots.duration_s,
                           config=config, seed=seed)


def _compute_model(spec, onboard) -> ComputeModel:
    """The scenario's compute model; per-satellite speeds become factors over the base speed."""
    factor = onboard.gflops / onboard.reference_gflops if onboard.heterogeneous else None
    return ComputeModel(satellite_gflops=spec.compute.satellite_gflops, speed_factor=factor)


def solve_layers(spec, shell, snapshots, partition, stats, profile, *, gateway_rule: str | None = None, source=None,
                 onboard=None):
    """The per-layer subproblems of a scenario (what ``spacexnet build`` writes), on given snapshots.

    ``gateway_rule`` replaces the scenario's; ``onboard`` is the scenario's draw
    (:func:`~spacexnet_opt.build.onboard.draw_onboard`), drawn here when not given.
    """
    from ..build import check_band_sizes, scenario_layers

    check_band_sizes(partition, stats.n_experts)
    return scenario_layers(spec, shell, snapshots, partition, stats, profile, source=source,
                           gateway_rule=gateway_rule, onboard=onboard)[1]


def _assumptions(spec, snapshots, compute, laws, link_seed) -> dict:
    return {
        "snapshots": int(snapshots.n_snapshots),
        "link_failure_seed": spec.seeds.links if link_seed is None else link_seed,
        "isl": {k: v for k, v in vars(snapshots.config).items()},
        "compute": compute.record(),
        "activation_law": ", ".join(sorted({law.kind for law in laws})),
        "token_snapshot": "each token meets one uniformly drawn snapshot for its whole pass",
        "disconnection": "a leg without a path in a snapshot is charged its mean over connected snapshots",
    }


def world_from_scenario(spec, *, source, compute: ComputeModel | None = None, link_seed: int | None = None,
                        gateway_rule: str | None = None, progress: Callable[[str], None] | None = None) -> World:
    """Build the world of a parsed scenario (``source``: the scenario file, for relative paths and messages)."""
    source = Path(source)
    say = progress or (lambda stage: None)
    say("constellation")
    shell, profile, stats, partition, config = _parts(spec, source)
    snaps = _snapshots(spec, shell, config, link_seed)
    onboard = scenario_onboard(spec, shell, source)
    compute = compute or _compute_model(spec, onboard)
    say("subproblems")
    layers = solve_layers(spec, shell, snaps, partition, stats, profile, gateway_rule=gateway_rule, source=source,
                          onboard=onboard)
    laws = laws_from_stats(stats)
    return World(spec.name, shell, snaps, profile, partition, layers, laws, compute,
                 _assumptions(spec, snaps, compute, laws, link_seed), stats)


def world_from_instance(instance, *, source, compute: ComputeModel | None = None,
                        link_seed: int | None = None) -> World:
    """The world of an instance: its own layers and laws, snapshots rebuilt from its scenario block."""
    from ..formats.scenario import Scenario
    from ..formats.schema import validate_document

    source = Path(source)
    block = instance.scenario.get("spec")
    if not isinstance(block, dict):
        raise InputError("has no scenario.spec block to rebuild the constellation from", field="scenario.spec",
                         source=source)
    spec = validate_document(Scenario, block, kind="spacexnet-scenario", version=1, source=source)
    scenario_file = source.parent / str(instance.scenario.get("scenario_file", source.name))
    shell, profile, _, partition, config = _parts(spec, scenario_file)
    snaps = _snapshots(spec, shell, config, link_seed)
    if compute is None:
        compute = _compute_model(spec, scenario_onboard(spec, shell, scenario_file))
        _check_speeds(instance.layers, compute, source)
    layers = sorted(instance.layers, key=lambda layer: layer.layer)  # the ring follows layer numbers, not file order
    laws = [set_law(layer) for layer in layers]
    return World(spec.name, shell, snaps, profile, partition, layers, laws, compute,
                 _assumptions(spec, snaps, compute, laws, link_seed))


def _check_speeds(layers, compute: ComputeModel, source) -> None:
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
        from ..formats.scenario import load_scenario

        return world_from_scenario(load_scenario(path), source=path, **options)
    from ..formats.instance import load_instance

    options.pop("gateway_rule", None)
    return world_from_instance(load_instance(path), source=path, **options)
