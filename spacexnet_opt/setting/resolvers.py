"""Scenario -> objects: the constellation, profile, statistics, ring and ISL settings a scenario names.

Every resolver takes the validated :class:`~spacexnet_opt.formats.scenario.Scenario`
and the path of its file (relative paths inside the scenario resolve against
it); an error from the underlying constructor is re-raised naming the
scenario file and the scenario field (:func:`scenario_errors`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..partition import RingPartition, ring_partition
from ..formats.scenario import Scenario, WalkerSpec, resolve_path
from ..constellation import IslConfig, WalkerShell, load_tle_shell, preset
from ..moe import get_profile, load_profile
from .. import moe
from .traces import exact_trace, merge_trace, sampled_trace
from .onboard import draw_onboard

if TYPE_CHECKING:
    from ..constellation import IslConfig, Shell
    from ..moe import ActivationStats, ModelProfile
    from .onboard import Onboard

__all__ = [
    "scenario_errors",
    "scenario_constellation",
    "walker_spec",
    "scenario_profile",
    "scenario_statistics",
    "scenario_coactivation",
    "scenario_ring",
    "scenario_isl_config",
    "scenario_traces",
    "scenario_onboard",
]


@contextmanager
def scenario_errors(source: str | os.PathLike, *, field: str | None = None,
                    prefix: str | None = None) -> Iterator[None]:
    """Re-raise an :class:`InputError` of the block as one naming the scenario file ``source``.

    Parameters
    ----------
    source : path
        The scenario file.
    field : str, optional
        Replaces the error's field.
    prefix : str, optional
        Prepended to the error's field (``prefix.field``).

    An error that already names a file (e.g. a line of a TLE file) passes
    through unchanged.

    Examples
    --------
    >>> try:
    ...     with scenario_errors("s.toml", prefix="partition"):
    ...         raise InputError("must be positive", field="fold")
    ... except InputError as exc:
    ...     print(exc)
    s.toml: partition.fold: must be positive
    """
    try:
        yield
    except InputError as exc:
        if exc.source is not None:
            raise
        name = field if field is not None else exc.field if prefix is None else f"{prefix}.{exc.field}"
        raise InputError(exc.message, field=name, source=source) from None


def scenario_constellation(spec: Scenario, source: Path) -> Shell:
    """The Walker or TLE shell a scenario describes (file paths resolved against ``source``)."""

    c = spec.constellation
    if c.preset is not None:
        with scenario_errors(source, field="constellation.preset"):
            return preset(c.preset)
    if c.walker is not None:
        with scenario_errors(source, prefix="constellation.walker"):
            return WalkerShell(spec.name, **c.walker.model_dump())
    with scenario_errors(source, prefix="constellation.tle"):
        return load_tle_shell(resolve_path(c.tle.file, source), name=spec.name, **c.tle.selection())



def walker_spec(spec: Scenario, source: str | os.PathLike) -> WalkerSpec:
    """The scenario's shell as a Walker table (a preset spelled out), for sweeps that change its size or altitude."""
    shell = scenario_constellation(spec, Path(source))
    if not hasattr(shell, "altitude_km"):
        raise InputError("sweeps need a Walker constellation (preset or walker), not a TLE shell",
                         field="constellation", source=source)
    return WalkerSpec(n_planes=shell.n_planes, sats_per_plane=shell.sats_per_plane, altitude_km=shell.altitude_km,
                      inclination_deg=shell.inclination_deg, phasing=shell.phasing, pattern=shell.pattern)

def scenario_profile(spec: Scenario, source: Path) -> ModelProfile:
    """The scenario's MoE model profile: a built-in name or a profile file."""

    if spec.model.profile is not None:
        with scenario_errors(source, field="model.profile"):
            return get_profile(spec.model.profile)
    return load_profile(resolve_path(spec.model.file, source))


def scenario_statistics(spec: Scenario, profile: ModelProfile, source: Path) -> ActivationStats:
    """The scenario's activation statistics: synthetic (seeded) or loaded from a file."""

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


def scenario_coactivation(spec: Scenario, stats: ActivationStats) -> np.ndarray | None:
    """The pair co-activation matrices (L, E, E) when the scenario asks for them, else None."""
    if not spec.statistics.coactivation:
        return None
    return np.asarray(stats.pair_coactivation(), dtype=float)


def scenario_ring(spec: Scenario, shell: Shell, n_layers: int, source: Path) -> RingPartition:
    """The ring partition of ``shell`` into ``n_layers`` subnets with the scenario's fold and alignment."""
    with scenario_errors(source, prefix="partition"):
        return ring_partition(shell, n_layers, fold=spec.partition.fold, align=spec.partition.align)


def scenario_isl_config(spec: Scenario, profile: ModelProfile) -> IslConfig:
    """The ISL settings of a scenario; the message size defaults to the profile's activation size."""

    given = spec.isl.config_overrides()
    given.setdefault("message_bits", 8 * profile.activation_bytes())
    return IslConfig(**given)


def scenario_traces(spec: Scenario, stats: ActivationStats) -> list | None:
    """Per-layer activated-set traces the scenario asks for (``statistics.trace``), or None."""

    mode = spec.statistics.trace_mode()
    if mode == "sample":
        return sampled_trace(stats.p, stats.k, spec.statistics.trace_tokens, rng=spec.seeds.get("trace"))
    if mode == "exact":
        return exact_trace(stats.p, stats.k)
    if mode == "file":
        return [merge_trace(tr.sets, tr.weights) for tr in stats.trace]
    return None


def scenario_onboard(spec: Scenario, shell: Shell, source: str | os.PathLike) -> Onboard:
    """The scenario's per-satellite speed and memory draw (seed ``seeds.compute``) for ``shell``."""

    return draw_onboard(spec.compute, shell.n_sats, seed=spec.seeds.get("compute"), source=source)
