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
    profile = "llama-moe-3.5b-2-8"

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
... profile = "llama-moe-3.5b-2-8"
... [statistics]
... kind = "zipf"
... ''', source="t.toml")
>>> spec.snapshots.count, spec.partition.gateway
(200, 'center')
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from .errors import FileFormatError
from .fileio import read_text
from .schema import StrictModel, validate_document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
    "ComputeSpec",
    "Scenario",
    "parse_scenario",
    "load_scenario",
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
    altitude_km: float = Field(gt=0)
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
    inclination_tol_deg: float | None = Field(default=None, gt=0)
    altitude_km: tuple[float, float] | None = None
    plane_gap_deg: float | None = Field(default=None, gt=0)
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
    """Link model overrides; unset fields keep the constellation module's defaults."""

    min_clearance_km: float | None = Field(default=None, ge=0)
    max_range_km: float | None = Field(default=None, gt=0)
    max_angular_rate: float | None = Field(default=None, gt=0)
    survival: float | None = Field(default=None, ge=0, le=1)
    message_bits: float | None = Field(default=None, ge=0)
    link_rate_bps: float | None = Field(default=None, gt=0)


class SnapshotSpec(StrictModel):
    """Topology snapshots, spread over ``duration_s`` (default: one orbital period)."""

    count: int = Field(default=200, ge=1)
    duration_s: float | None = Field(default=None, gt=0)


class ModelSpec(StrictModel):
    """A built-in profile name or a profile file (relative to the scenario file)."""

    profile: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ModelSpec":
        if (self.profile is None) == (self.file is None):
            raise ValueError("give exactly one of profile, file")
        return self


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

    @model_validator(mode="after")
    def _file_iff_loaded(self) -> "StatisticsSpec":
        if self.kind in ("load", "trace") and self.file is None:
            raise ValueError(f"kind = {self.kind!r} needs file")
        if self.kind not in ("load", "trace") and self.file is not None:
            raise ValueError(f"file is only read for kind = 'load' or 'trace', not {self.kind!r}")
        return self


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


class ComputeSpec(StrictModel):
    """Onboard compute, carried into the instance for the evaluator (paper: 7.28 GFLOPS)."""

    satellite_gflops: float = Field(default=7.28, gt=0)


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


def parse_scenario(text: str, *, source: str | os.PathLike = "<scenario>") -> Scenario:
    """Parse and validate scenario TOML ``text``; errors name ``source`` and the field."""
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise FileFormatError(f"invalid TOML: {message}", source=source, line=int(found[1]) if found else None) from None
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


def resolve_path(relative: str, scenario_path: str | os.PathLike) -> Path:
    """A path written inside a scenario file, resolved against that file's directory.

    >>> resolve_path("../data/x.json", "instances/paper.toml").as_posix()
    'instances/../data/x.json'
    """
    return Path(scenario_path).parent / Path(relative)
