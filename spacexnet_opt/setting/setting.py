"""A scenario resolved once: the frozen :class:`Setting` shared by the builder, the evaluator and ``reproduce``.

:func:`resolve_setting` turns a validated scenario into the objects it names
(:mod:`.resolvers`): the shell and its ISL settings, the model profile, the
ring partition; the heavier parts -- snapshots, activation statistics, the
per-satellite compute draw, traces, the delays between band members -- are
resolved on first use and then kept, so each is made at most once per setting
(an evaluation that only needs the snapshots never loads the statistics).

The setting is also where the *deployment choices* live: how the shell is cut
into subnets (:attr:`Setting.partition`) and where each subnet's gateway sits
(:meth:`Setting.gateways`, one memoised answer per rule). A new choice
(subnet shapes, replicas, compute groups) becomes a field or method here,
resolved from the scenario in :func:`resolve_setting`; the builder
(:func:`spacexnet_opt.setting.setting_layers`) and the evaluator read it from
the setting and nowhere else.

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
>>> setting = resolve_setting(spec, "toy.toml")
>>> setting.n_layers, setting.n_experts, setting.snapshots.n_snapshots, setting.gateways("center")[:2].tolist()
(32, 8, 2, [128, 129])
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..formats.scenario import Scenario, load_scenario
from .onboard import Onboard, check_memory_floor, expert_memory_gb
from .resolvers import (
    scenario_coactivation,
    scenario_constellation,
    scenario_isl_config,
    scenario_onboard,
    scenario_profile,
    scenario_ring,
    scenario_statistics,
    scenario_traces,
)
from ..constellation import build_snapshots, expected_delays
from ..partition import choose_gateways

if TYPE_CHECKING:
    from ..constellation import IslConfig, IslSnapshots, Shell
    from ..moe import ActivationStats, ModelProfile
    from ..partition import RingPartition

__all__ = ["Setting", "resolve_setting", "setting_from_file", "member_delay_function"]


def member_delay_function(snapshots: IslSnapshots, n_snapshots: int) -> Callable[[np.ndarray], np.ndarray]:
    """``delays(sources)``: expected delays from ``sources`` to every satellite over
    ``n_snapshots`` evenly spread snapshots (memoised); used for median gateways and band diameters."""

    n = min(n_snapshots, snapshots.n_snapshots)
    idx = np.unique(np.linspace(0, snapshots.n_snapshots - 1, n).round().astype(np.int64))
    cache: dict[bytes, np.ndarray] = {}

    def member_delays(sources: np.ndarray) -> np.ndarray:
        key = np.asarray(sources, dtype=np.int64).tobytes()
        if key not in cache:
            cache[key] = expected_delays(snapshots, sources, snapshots_idx=idx).mean_s
        return cache[key]

    return member_delays


@dataclass(frozen=True, eq=False)
class Setting:
    """A scenario made concrete, resolved once (see the module docstring).

    Attributes
    ----------
    spec : Scenario
        The validated scenario.
    source : Path
        Its file: relative paths inside it resolve against it, errors name it.
    shell : WalkerShell or TleShell
    profile : ModelProfile
    isl : IslConfig
    partition : RingPartition
        One subnet (band) per layer group; ``profile.n_moe_layers`` layers.
    link_seed : int, optional
        Replaces the scenario's link-failure seed (``seeds.links``).
    """

    spec: Scenario
    source: Path
    shell: Shell
    profile: ModelProfile
    isl: IslConfig
    partition: RingPartition
    link_seed: int | None = None
    _gateways: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def n_layers(self) -> int:
        return self.partition.n_layers

    @property
    def n_experts(self) -> int:
        return self.profile.n_experts

    @property
    def links_seed(self) -> int | None:
        """The link-failure seed the snapshots are drawn with."""
        return self.spec.seeds.links if self.link_seed is None else self.link_seed

    @cached_property
    def snapshots(self) -> IslSnapshots:
        """The ISL snapshots over the scenario's duration (link failures drawn with :attr:`links_seed`)."""

        return build_snapshots(self.shell, n_snapshots=self.spec.snapshots.count,
                               duration_s=self.spec.snapshots.duration_s, config=self.isl, seed=self.links_seed)

    @cached_property
    def statistics(self) -> ActivationStats:
        """The activation statistics the layers are built on."""
        return scenario_statistics(self.spec, self.profile, self.source)

    @cached_property
    def coactivation(self) -> np.ndarray | None:
        """Pair co-activation (L, E, E) when the scenario asks for it."""
        return scenario_coactivation(self.spec, self.statistics)

    @cached_property
    def traces(self) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Per-layer activated-set traces when the scenario asks for them."""
        return scenario_traces(self.spec, self.statistics)

    @cached_property
    def onboard(self) -> Onboard:
        """Per-satellite speed and memory (seed ``seeds.compute``)."""
        return scenario_onboard(self.spec, self.shell, self.source)

    @property
    def expert_memory_gb(self) -> float | None:
        """Memory of one expert when the scenario models memory, else None."""
        c = self.spec.compute
        return expert_memory_gb(self.profile, c.bytes_per_param) if c.has_memory else None

    @cached_property
    def member_delays(self) -> Callable[[np.ndarray], np.ndarray]:
        """Expected delays between band members over ``partition.diameter_snapshots`` (at least one) snapshots."""
        return member_delay_function(self.snapshots, max(1, self.spec.partition.diameter_snapshots))

    def gateways(self, rule: str | None = None) -> np.ndarray:
        """The gateway of every band under ``rule`` (default: the scenario's), computed once per rule."""

        rule = rule or self.spec.partition.gateway
        if rule not in self._gateways:
            self._gateways[rule] = choose_gateways(self.partition, rule, delays=self.member_delays,
                                                   seed=self.spec.seeds.gateway)
        return self._gateways[rule]


def resolve_setting(spec: Scenario, source: str | os.PathLike, *, link_seed: int | None = None,
                    snapshots: IslSnapshots | None = None) -> Setting:
    """The :class:`Setting` of scenario ``spec`` read from ``source``; errors name the file and the field.

    ``snapshots``: the scenario's snapshots when already built (e.g. shared by
    scenarios that differ only in the model or the statistics); not checked.
    """
    source = Path(source)
    shell = scenario_constellation(spec, source)
    profile = scenario_profile(spec, source)
    partition = scenario_ring(spec, shell, profile.n_moe_layers, source)
    check_memory_floor(spec.compute, profile, source)
    setting = Setting(spec, source, shell, profile, scenario_isl_config(spec, profile), partition, link_seed)
    if snapshots is not None:
        setting.__dict__["snapshots"] = snapshots  # the cached_property's slot
    return setting


def setting_from_file(path: str | os.PathLike, **options) -> Setting:
    """Load the scenario file ``path`` and resolve it (``options`` as for :func:`resolve_setting`)."""
    return resolve_setting(load_scenario(path), path, **options)
