"""Scenario files (TOML): everything ``spacexnet build`` needs to make an instance.

A scenario names a constellation, the inter-satellite link model, the
snapshots, a MoE model profile, where the activation statistics come from, the
partition options and the seeds. ``docs/scenarios.md`` is the reference; the
smallest file is::

    format = "spacexnet-scenario"
    version = 1
    name = "paper"

    [constellation]
    preset = "paper"

    [model]
    profile = "llama-moe-3.5b-2of8"

    [statistics]
    kind = "zipf"

Unknown keys and wrong types raise one :class:`~spacexnet_opt.errors.FileFormatError`
naming the file and the field. Relative file paths inside a scenario are
resolved against the scenario file's directory.

>>> spec = parse_scenario('''
... format = "spacexnet-scenario"
... version = 1
... name = "t"
... [constellation]
... preset = "paper"
... [model]
... profile = "llama-moe-3.5b-2of8"
... [statistics]
... kind = "zipf"
... ''', source="t.toml")
>>> spec.snapshots.count, spec.partition.gateway
(200, 'center')
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import InputError
from ..budget import check_snapshots
from ..fileio import parse_toml, read_text, write_text_atomic
from .schema import SHARE_TOLERANCE, NonNegativeValue, PositiveValue, StrictModel, validate_document
from ..moe.profile_files import PROFILE_FILE_TYPES
from ..moe.profiles import PROFILES, get_profile
from ..constellation.presets import PRESETS
from ..constellation.sun import julian_date


__all__ = [
    "SCENARIO_FORMAT",
    "SCENARIO_VERSION",
    "WalkerSpec",
    "TleSpec",
    "ConstellationSpec",
    "IslSpec",
    "SnapshotSpec",
    "ModelSpec",
    "StatisticsSpec",
    "PartitionSpec",
    "SeedSpec",
    "PerSatellite",
    "ComputeSpec",
    "FailureEvent",
    "PowerSpec",
    "TimelineSpec",
    "Scenario",
    "parse_scenario",
    "load_scenario",
    "dumps_scenario",
    "save_scenario",
    "resolve_path",
]

SCENARIO_FORMAT = "spacexnet-scenario"
SCENARIO_VERSION = 1

Scalar = float | int | str | bool
Param = Scalar | list[Scalar] | list[list[Scalar]]


class WalkerSpec(StrictModel):
    """A Walker shell by its parameters (ids: plane * S + slot)."""

    n_planes: int = Field(ge=1)
    sats_per_plane: int = Field(ge=1)
    altitude_km: PositiveValue
    inclination_deg: float = Field(ge=0, le=180)
    phasing: int = Field(default=0, ge=0)
    pattern: Literal["star", "delta"] = "delta"


class TleSpec(StrictModel):
    """A real shell from a TLE file (path relative to the scenario file) and its selection.

    Unset fields keep the defaults of :func:`spacexnet_opt.constellation.load_tle_shell`
    (53° ± 0.1°, 540-560 km: Starlink's first shell).
    """

    file: str
    inclination_deg: float | None = Field(default=None, ge=0, le=180)
    inclination_tol_deg: PositiveValue | None = None
    altitude_km: tuple[float, float] | None = None
    plane_gap_deg: PositiveValue | None = None
    sats_per_plane: int | None = Field(default=None, ge=1)
    min_plane_fraction: float | None = Field(default=None, gt=0, le=1)
    pattern: Literal["star", "delta"] | None = None

    def selection(self) -> dict[str, Any]:
        """Keyword arguments for ``load_tle_shell`` (the fields that are set)."""
        return self.model_dump(exclude_none=True, exclude={"file"})


class ConstellationSpec(StrictModel):
    """Exactly one of ``preset``, ``walker`` or ``tle``."""

    preset: str | None = None
    walker: WalkerSpec | None = None
    tle: TleSpec | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ConstellationSpec":
        given = [k for k in ("preset", "walker", "tle") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of preset, walker, tle (got {', '.join(given) or 'none'})")
        return self


class IslSpec(StrictModel):
    """Link model overrides; unset fields keep the constellation module's defaults.

    ``max_angular_rate``: rad/s, or ``0`` / ``"off"`` to switch the angular-rate
    check off (unset keeps the default 0.12 rad/s).
    """

    min_clearance_km: NonNegativeValue | None = None
    max_range_km: PositiveValue | None = None
    max_angular_rate: float | Literal["off"] | None = None
    survival: float | None = Field(default=None, ge=0, le=1)
    message_bits: NonNegativeValue | None = None
    link_rate_bps: PositiveValue | None = None
    hop_processing_s: NonNegativeValue | None = None

    @model_validator(mode="after")
    def _rate_non_negative(self) -> "IslSpec":
        if isinstance(self.max_angular_rate, float) and not self.max_angular_rate >= 0:
            raise ValueError(f"max_angular_rate must be >= 0 (0 or 'off': no check), got {self.max_angular_rate}")
        return self

    def config_overrides(self) -> dict[str, Any]:
        """Keyword arguments for ``IslConfig``: the fields that are set; ``0``/``"off"`` become ``None``."""
        given = self.model_dump(exclude_none=True)
        if given.get("max_angular_rate") in ("off", 0):
            given["max_angular_rate"] = None
        return given


class SnapshotSpec(StrictModel):
    """Topology snapshots, spread over ``duration_s`` (default: one orbital period)."""

    count: int = Field(default=200, ge=1)
    duration_s: PositiveValue | None = None


class ModelSpec(StrictModel):
    """A built-in profile name, or a profile file relative to the scenario file.

    ``file`` is a ``.toml``/``.json`` profile or a Hugging Face ``config.json``
    (see ``docs/moe.md``). A file name given as ``profile``, or a built-in name
    given as ``file``, is refused with a hint to the other key.

    ``charge_lm_head`` (unset or false: the paper's formula) charges the LM head
    (output projection to the vocabulary) in every token's compute and its
    weights and the embedding table in memory, at the first layer's gateway,
    where the last layer's experts send the hidden state to close the ring.
    """

    profile: str | None = None
    file: str | None = None
    charge_lm_head: bool | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ModelSpec":
        if (self.profile is None) == (self.file is None):
            raise ValueError("give exactly one of profile, file")
        return self

    @field_validator("profile")
    @classmethod
    def _builtin(cls, name: str) -> str:
        if Path(name).suffix in PROFILE_FILE_TYPES:
            raise ValueError(f"{name!r} is a profile file, not a built-in profile: write file = {json.dumps(name)}")
        try:
            get_profile(name)
        except InputError as exc:
            raise ValueError(f"{exc.message}; a profile file (.toml, .json or a Hugging Face config.json) "
                             "goes in file = \"...\"") from None
        return name

    @field_validator("file")
    @classmethod
    def _profile_file(cls, file: str) -> str:
        if Path(file).suffix in PROFILE_FILE_TYPES:
            return file
        if file.lower() in PROFILES:
            raise ValueError(f"{file!r} is a built-in profile, not a file: write profile = {json.dumps(file)}")
        raise ValueError(f"{file!r} is not a .toml or .json profile file (nor a Hugging Face config.json); "
                         f"a built-in profile goes in profile = \"...\" (valid names: {', '.join(PROFILES)})")


class StatisticsSpec(StrictModel):
    """Activation statistics: a synthetic generator with parameters, or a file to load.

    ``kind`` is ``zipf``, ``dirichlet`` or ``correlated`` (synthetic, seeded by
    ``seeds.statistics``) or ``load`` (an expert-load file such as SGLang's
    ``{"logical_count": ...}`` JSON or a ``.npy`` array) or ``trace`` (a token
    trace file). ``params`` go to the generator or loader as keyword arguments.
    """

    kind: Literal["zipf", "dirichlet", "correlated", "load", "trace"]
    file: str | None = None
    params: dict[str, Param] = Field(default_factory=dict)
    coactivation: bool = True
    trace: Literal["sample", "exact", "file"] | None = None
    trace_tokens: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _file_iff_loaded(self) -> "StatisticsSpec":
        if self.kind in ("load", "trace") and self.file is None:
            raise ValueError(f"kind = {self.kind!r} needs file")
        if self.kind not in ("load", "trace") and self.file is not None:
            raise ValueError(f"file is only read for kind = 'load' or 'trace', not {self.kind!r}")
        if self.trace_mode() == "sample" and self.trace_tokens is None:
            raise ValueError("trace = 'sample' needs trace_tokens")
        if self.trace_tokens is not None and self.trace_mode() != "sample":
            raise ValueError(f"trace_tokens is only read for trace = 'sample', not {self.trace!r}")
        if self.trace == "file" and self.kind != "trace":
            raise ValueError(f"trace = 'file' needs kind = 'trace' (a token trace file), not {self.kind!r}")
        return self

    def trace_mode(self) -> str | None:
        """How the instance's per-layer traces are made: sample, exact, file, or None (no trace)."""
        if self.trace is None and self.trace_tokens is not None:
            return "sample"
        return self.trace


class PartitionSpec(StrictModel):
    """Ring partition options.

    ``gateway``: center | median | random. ``fold``: layers per band (1, an
    integer, or "auto"). ``align``: slot (the paper's cut) | phase.
    ``diameter_snapshots``: evenly spaced snapshots over which band diameters
    (and the median gateway's delays) are measured; 0 skips the diameter report.
    ``diameter_method``: exact (route from every member) | sweep (double-sweep
    lower bound from 2 sources per band, for large shells).
    """

    gateway: Literal["center", "median", "random"] = "center"
    fold: int | Literal["auto"] = 1
    align: Literal["slot", "phase"] = "slot"
    diameter_snapshots: int = Field(default=4, ge=0)
    diameter_method: Literal["exact", "sweep"] = "exact"

    @model_validator(mode="after")
    def _fold_positive(self) -> "PartitionSpec":
        if self.fold != "auto" and self.fold < 1:
            raise ValueError(f"fold must be a positive integer or 'auto', got {self.fold}")
        return self


class SeedSpec(StrictModel):
    """Seeds of every random choice, so a build can be repeated exactly."""

    links: int = Field(default=0, ge=0)
    statistics: int = Field(default=0, ge=0)
    gateway: int = Field(default=0, ge=0)
    compute: int | None = Field(default=None, ge=0)
    trace: int | None = Field(default=None, ge=0)

    def get(self, name: str) -> int:
        """The seed ``name``; the optional ``compute`` and ``trace`` seeds default to 0."""
        value = getattr(self, name)
        return 0 if value is None else value


class PerSatellite(StrictModel):
    """How a per-satellite quantity is drawn (at most one way; none: every satellite equal).

    ``choices`` with optional ``shares`` (default equal): exactly
    ``round(share * N)`` satellites (largest remainder) get each choice, at
    seeded random positions. ``spread``: the base value times a seeded uniform
    factor in ``[1 - spread, 1 + spread]``. ``file``: one value per satellite
    id (text, one number per line or whitespace-separated, or ``.npy``),
    relative to the scenario file.
    """

    choices: list[float] | None = Field(default=None, min_length=1)
    shares: list[float] | None = None
    spread: float | None = Field(default=None, ge=0, lt=1)
    file: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "PerSatellite":
        given = [k for k in ("choices", "spread", "file") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of choices, spread, file (got {', '.join(given)})")
        if self.choices is not None and any(not c > 0 for c in self.choices):
            raise ValueError("choices must be positive")
        if self.shares is not None:
            if self.choices is None:
                raise ValueError("shares needs choices")
            if len(self.shares) != len(self.choices) or any(not s >= 0 for s in self.shares):
                raise ValueError(f"shares must be {len(self.choices)} non-negative numbers, one per choice")
            if abs(math.fsum(self.shares) - 1.0) > SHARE_TOLERANCE:
                raise ValueError(f"shares must sum to 1 (within {SHARE_TOLERANCE:g}), got {math.fsum(self.shares):.9g}")
        return self

    def is_set(self) -> bool:
        return any(getattr(self, k) is not None for k in ("choices", "spread", "file"))


class ComputeSpec(StrictModel):
    """Onboard compute (paper: 7.28 GFLOPS on every satellite).

    ``satellite_gflops`` is the base (and reference) speed; ``[compute.gflops]``
    makes speeds differ per satellite (:class:`PerSatellite`, seeded by
    ``seeds.compute``). ``memory_gb`` gives every satellite the same memory,
    ``[compute.memory]`` draws it per satellite; a candidate whose memory cannot
    hold its experts is not a candidate (see ``docs/scenarios.md``).
    ``bytes_per_param`` sizes an expert's weights (2: bf16).
    """

    satellite_gflops: PositiveValue = 7.28
    gflops: PerSatellite | None = None
    memory_gb: PositiveValue | None = None
    memory: PerSatellite | None = None
    bytes_per_param: PositiveValue | None = None

    @model_validator(mode="after")
    def _memory_base(self) -> "ComputeSpec":
        if self.memory is not None and self.memory.spread is not None and self.memory_gb is None:
            raise ValueError("memory.spread needs memory_gb as its base value")
        if self.memory is not None and not self.memory.is_set():
            raise ValueError("[compute.memory] needs one of choices, spread, file")
        if self.gflops is not None and not self.gflops.is_set():
            raise ValueError("[compute.gflops] needs one of choices, spread, file")
        return self

    @property
    def heterogeneous(self) -> bool:
        """True when speeds are drawn per satellite."""
        return self.gflops is not None

    @property
    def has_memory(self) -> bool:
        return self.memory_gb is not None or self.memory is not None


class FailureEvent(StrictModel):
    """A scripted failure: ``satellite`` dies ``at_h`` hours in; repaired ``repair_h`` hours later (unset: never)."""

    satellite: int = Field(ge=0, le=2**31 - 1)
    at_h: NonNegativeValue
    repair_h: PositiveValue | None = None


class PowerSpec(StrictModel):
    """Per-satellite power budget (:class:`spacexnet_opt.timeline.power.PowerModel`; defaults and sources there)."""

    array_w: PositiveValue = 60.0
    battery_wh: PositiveValue = 100.0
    compute_w: PositiveValue = 25.0
    idle_w: NonNegativeValue = 10.0
    soc_floor: float = Field(default=0.3, ge=0, le=1)
    initial_soc: float = Field(default=1.0, ge=0, le=1)
    throttle: Literal["floor", "shadow"] = "floor"
    shadow_speed: float = Field(default=0.5, ge=0, le=1)


TIMELINE_POLICIES = ("never", "periodic", "event", "threshold")


class TimelineSpec(StrictModel):
    """A deployment over hours or days (``spacexnet timeline``; ``docs/timeline.md`` is the reference).

    ``epoch``: UTC start (ISO 8601), dating the Sun. One of ``duration_h`` or
    ``duration_days``. Eclipse and batteries are integrated every ``step_s``;
    seconds per token is sampled every ``sample_h``. Failures: scripted
    ``[[timeline.failures]]`` and/or ``failure_rate_per_year`` per satellite
    (seeded by ``seed``, repaired after ``repair_h`` when set). Drift: the
    expert-load files of ``drift`` take over in turn, or ``drift_steps``
    parametric steps multiply every ``p`` by ``exp(drift_sigma * N(0, 1))``
    (seeded; rows rescaled to ``k``, capped at 1), every ``drift_every_h``
    (default: spread evenly). ``policies`` are compared on the same events.
    ``energy_aware``: start with experts and gateways only on satellites that never throttle.
    ``workload``: a workload file (relative to the scenario) whose serving throughput is sampled too.
    """

    epoch: str = "2026-03-20T00:00:00Z"
    duration_h: PositiveValue | None = None
    duration_days: PositiveValue | None = None
    step_s: PositiveValue = 60.0
    sample_h: PositiveValue = 1.0
    eclipse: bool = True
    power: PowerSpec = Field(default_factory=PowerSpec)
    energy_aware: bool = False
    failures: list[FailureEvent] = Field(default_factory=list)
    failure_rate_per_year: NonNegativeValue = 0.0
    repair_h: PositiveValue | None = None
    drift: list[str] = Field(default_factory=list)
    drift_steps: int = Field(default=0, ge=0)
    drift_sigma: NonNegativeValue = 0.1
    drift_every_h: PositiveValue | None = None
    policies: list[Literal["never", "periodic", "event", "threshold"]] = Field(
        default_factory=lambda: list(TIMELINE_POLICIES), min_length=1)
    period_h: PositiveValue = 6.0
    threshold: NonNegativeValue = 0.01
    lambda_s_per_gb_hop: NonNegativeValue = 1e-4
    fixed_hops: NonNegativeValue = 1.0
    seed: int = Field(default=0, ge=0)
    workload: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "TimelineSpec":

        julian_date(self.epoch)
        if (self.duration_h is None) == (self.duration_days is None):
            raise ValueError("give exactly one of duration_h, duration_days")
        end = self.hours
        for j, event in enumerate(self.failures):
            if event.at_h > end:
                raise InputError(f"{event.at_h:g} h is after the end of the timeline ({end:g} h)",
                                 field=f"failures[{j}].at_h")
        if self.drift and self.drift_steps:
            raise InputError("give drift files or parametric drift_steps, not both", field="drift_steps")
        if self.drift_every_h is not None and self.drift_every_h * self.n_drift > end:
            raise InputError(f"{self.n_drift} drift steps every {self.drift_every_h:g} h run past the end of the "
                             f"timeline ({end:g} h)", field="drift_every_h")
        if self.power.initial_soc < self.power.soc_floor:
            raise InputError(f"{self.power.initial_soc:g} is below soc_floor ({self.power.soc_floor:g})",
                             field="power.initial_soc")
        return self

    @property
    def n_drift(self) -> int:
        """Drift steps: one per file, or the parametric ``drift_steps``."""
        return len(self.drift) or self.drift_steps

    @property
    def hours(self) -> float:
        """Duration in hours."""
        return self.duration_h if self.duration_h is not None else 24.0 * self.duration_days


class Scenario(StrictModel):
    """A whole scenario file."""

    format: Literal["spacexnet-scenario"] = SCENARIO_FORMAT
    version: Literal[1] = SCENARIO_VERSION
    name: str
    description: str = ""
    constellation: ConstellationSpec
    isl: IslSpec = Field(default_factory=IslSpec)
    snapshots: SnapshotSpec = Field(default_factory=SnapshotSpec)
    model: ModelSpec
    statistics: StatisticsSpec
    partition: PartitionSpec = Field(default_factory=PartitionSpec)
    seeds: SeedSpec = Field(default_factory=SeedSpec)
    compute: ComputeSpec = Field(default_factory=ComputeSpec)
    timeline: TimelineSpec | None = None

    def referenced_files(self, scenario_path: str | os.PathLike) -> list[Path]:
        """The files this scenario reads (TLE, profile, statistics, per-satellite values), resolved.

        >>> spec = Scenario.model_validate({"name": "t", "constellation": {"preset": "paper"},
        ...     "model": {"profile": "mixtral-8x7b"}, "statistics": {"kind": "load", "file": "load.json"}})
        >>> [p.as_posix() for p in spec.referenced_files("instances/s.toml")]
        ['instances/load.json']
        """
        parts = [self.constellation.tle, self.model, self.statistics, self.compute.gflops, self.compute.memory]
        drift = [] if self.timeline is None else self.timeline.drift
        return ([resolve_path(part.file, scenario_path) for part in parts if part is not None and part.file]
                + [resolve_path(file, scenario_path) for file in drift])

    @model_validator(mode="after")
    def _within_budget(self) -> "Scenario":
        """Refuse a Walker or preset shell whose snapshots exceed the resource ceilings (a TLE shell is
        checked once loaded); see :mod:`spacexnet_opt.budget`."""
        shell = self.constellation
        if shell.walker is not None:
            n_sats = shell.walker.n_planes * shell.walker.sats_per_plane
        else:

            n_sats = PRESETS[shell.preset].n_sats if shell.preset in PRESETS else None
        if n_sats is not None:
            check_snapshots(n_sats, self.snapshots.count, field="snapshots.count")
        return self


def parse_scenario(text: str, *, source: str | os.PathLike = "<scenario>") -> Scenario:
    """Parse and validate scenario TOML ``text``; errors name ``source`` and the field."""
    data: Any = parse_toml(text, source=source)
    return validate_document(Scenario, data, kind=SCENARIO_FORMAT, version=SCENARIO_VERSION, source=source)


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario file.

    Raises
    ------
    InputError
        The file does not exist or is not text.
    FileFormatError
        Bad TOML, another format or version, an unknown key or a wrong type, naming the field.
    """
    return parse_scenario(read_text(path), source=Path(path))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_table(name: str, table: dict[str, Any], *, header: str | None = None) -> list[str]:
    """``[name]`` with its plain keys, then its sub-tables (every nested dict is a sub-table, every list of
    dicts an array of tables ``[[name.key]]``)."""
    lines = [header or f"[{name}]"] if name else []
    lines += [f"{_toml_key(key)} = {_toml_value(v)}" for key, v in table.items()
              if not isinstance(v, dict) and not _is_table_array(v)]
    for key, v in table.items():
        child = f"{name}.{_toml_key(key)}" if name else _toml_key(key)
        if isinstance(v, dict):
            lines += ["", *_toml_table(child, v)]
        elif _is_table_array(v):
            for item in v:
                lines += ["", *_toml_table(child, item, header=f"[[{child}]]")]
    return lines


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def dumps_scenario(spec: Scenario) -> str:
    """The TOML text of a scenario (unset optional fields omitted); :func:`parse_scenario` reads it back equal.

    >>> spec = Scenario(name="t", constellation={"preset": "paper"}, model={"profile": "llama-moe-3.5b-2of8"},
    ...                 statistics={"kind": "zipf", "params": {"exponent": 1.2}})
    >>> text = dumps_scenario(spec)
    >>> print(text.split("\\n[isl]")[0])
    format = "spacexnet-scenario"
    version = 1
    name = "t"
    description = ""
    <BLANKLINE>
    [constellation]
    preset = "paper"
    <BLANKLINE>
    >>> parse_scenario(text) == spec
    True
    """
    return "\n".join(_toml_table("", spec.model_dump(exclude_none=True))) + "\n"


def save_scenario(spec: Scenario, path: str | os.PathLike) -> None:
    """Write a scenario file atomically (:func:`dumps_scenario`)."""
    write_text_atomic(path, dumps_scenario(spec))


def resolve_path(relative: str, scenario_path: str | os.PathLike) -> Path:
    """A path written inside a scenario file, resolved against that file's directory.

    >>> resolve_path("../data/x.json", "instances/paper.toml").as_posix()
    'instances/../data/x.json'
    """
    return Path(scenario_path).parent / Path(relative)
