"""Grid files (TOML): a base scenario, axes over its fields, and how to combine them into points.

A grid names a base scenario (relative to the grid file) and axes. An axis
sets one scenario field (its dotted path, ``isl.survival``) or several fields
at once (``fields`` with one list of values per point). ``design`` combines
the axes: ``factorial`` (every combination), ``one-at-a-time`` (each axis
varied alone, the others at the base scenario's value: the Fig. 7 sweeps) or
``points`` (the ``[[points]]`` tables, each a set of fields). Fields under
``run.`` are not scenario fields but how a point is evaluated (``run.seeds``
placements per random scheme, ``run.tokens`` Monte Carlo tokens,
``run.method`` the solver of the solved schemes); fields under ``optimize.``
are the levers of ``spacexnet optimize`` (:mod:`.levers`); fields under ``workload.`` are those of the
grid's serving workload (``workload``: a file or an inline table), whose arrival rate makes a load sweep
(:mod:`.load`). ``docs/sweeps.md`` is the reference.

Every point is made into a validated :class:`~spacexnet_opt.formats.scenario.Scenario`
when the grid is loaded, so an unknown field, an empty axis or an impossible
value is one :class:`~spacexnet_opt.errors.InputError` before any task runs.

>>> grid = parse_grid('''
... format = "spacexnet-grid"
... version = 1
... name = "t"
... scenario = "paper.toml"
... [axes]
... "isl.survival" = [0.9, 1.0]
... "run.seeds" = [2, 3]
... ''', source="instances/t.toml")
>>> grid.columns(), len(grid.axes)
(['isl.survival', 'run.seeds'], 2)
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import FileFormatError, InputError
from ..fileio import MAX_NESTING, check_nesting, read_text
from ..formats.schema import StrictModel, validate_document
from ..reproduce.schemes import SCHEMES
from ..solve import METHODS
from ..reproduce.paper import default_scenario

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["GRID_FORMAT", "GRID_VERSION", "grid_scenario_path", "Axis", "Grid", "RunSettings", "parse_grid", "load_grid"]

GRID_FORMAT = "spacexnet-grid"
GRID_VERSION = 1
MAX_SEEDS = 1000
"""Most placements per random scheme (``run.seeds``) at one point."""
MAX_TOKENS = 10_000_000
MAX_CONTEXT = 10_000_000
"""Longest context a grid's ``run.context_len`` may charge."""
"""Most Monte Carlo tokens per scheme (``run.tokens``) at one point."""


def grid_scenario_path(scenario: str, grid_source: str | os.PathLike) -> Path:
    """The scenario (or workload) file a grid at ``grid_source`` names: ``scenario`` relative to the grid
    file's directory.

    A bare name (no directory part, ``"paper.toml"`` or ``"paper"``) that is not next to the
    grid file (as given, or with ``.toml`` added) is the shipped scenario of that name,
    ``instances/<name>.toml``, found as ``spacexnet reproduce`` finds its default scenario (the
    checkout's, else the working directory's); so a grid copied out of ``instances/`` still runs.
    """
    path = Path(grid_source).parent / scenario
    if path.exists() or Path(scenario).name != scenario:
        return path
    name = scenario.removesuffix(".toml")
    for candidate in (path.with_name(f"{name}.toml"), default_scenario(name)):
        if candidate.is_file():
            return candidate
    return path


class RunSettings(StrictModel):
    """How a point is evaluated (the ``run.`` fields).

    ``seeds``: placements per random scheme; ``tokens``: Monte Carlo tokens per
    scheme (0: the exact snapshot expectation, no sampling noise, as in Fig. 7);
    ``method``: solver method of the solved schemes (None: each scheme's own);
    ``context_len``: tokens of context the compute is charged at (None: the scenario's default, 4,096).
    """

    seeds: int = Field(default=3, ge=1, le=MAX_SEEDS)
    tokens: int = Field(default=0, ge=0, le=MAX_TOKENS)
    method: str | None = None
    context_len: int | None = Field(default=None, ge=0, le=MAX_CONTEXT)

    @field_validator("method")
    @classmethod
    def _known_method(cls, method: str | None) -> str | None:
        if method is not None and method not in METHODS:
            raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(sorted(METHODS))}")
        return method


class Axis(StrictModel):
    """One axis: a name (the database column), the fields it sets and one value per step.

    With one field, each value is that field's value; with several, each value
    is a list holding one value per field (set together).
    """

    name: str
    fields: list[str] = Field(min_length=1)
    values: list[Any] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_value_per_field(self) -> "Axis":
        if len(self.fields) > 1:
            for i, value in enumerate(self.values):
                if not isinstance(value, list) or len(value) != len(self.fields):
                    raise ValueError(f"values[{i}] must list {len(self.fields)} values, one per field")
        return self

    def assignment(self, index: int) -> dict[str, Any]:
        """``{field: value}`` of step ``index``."""
        value = self.values[index]
        return dict(zip(self.fields, value if len(self.fields) > 1 else [value]))

    def label(self, index: int):
        """The database value of step ``index`` (several fields: ``"33x32"``)."""
        value = self.values[index]
        return "x".join(str(v) for v in value) if len(self.fields) > 1 else value


class _AxisTable(StrictModel):
    field: str | None = None
    fields: list[str] | None = None
    values: list[Any]


class Grid(StrictModel):
    """A whole grid file (``scenario`` is resolved against the grid file's directory by :meth:`base_path`)."""

    format: Literal["spacexnet-grid"] = GRID_FORMAT
    version: Literal[1] = GRID_VERSION
    name: str
    description: str = ""
    scenario: str
    workload: str | dict[str, Any] | None = None
    design: Literal["factorial", "one-at-a-time", "points"] = "factorial"
    schemes: list[str] = Field(default_factory=lambda: ["RandPlace", "RandIntra", "RandIntra-CG", "Space-XNet"],
                               min_length=1)
    run: RunSettings = Field(default_factory=RunSettings)
    set: dict[str, Any] = Field(default_factory=dict)
    axes: list[Axis] = Field(default_factory=list)
    points: list[dict[str, Any]] = Field(default_factory=list)
    source: str = "<grid>"

    @model_validator(mode="before")
    @classmethod
    def _axes_from_tables(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("axes"), dict):
            data = {**data, "axes": [_axis(name, spec) for name, spec in data["axes"].items()]}
        return data

    @model_validator(mode="after")
    def _design_matches(self) -> "Grid":
        if self.design == "points" and not self.points:
            raise ValueError("design = 'points' needs [[points]] tables")
        if self.design != "points" and self.points:
            raise ValueError(f"[[points]] is only read for design = 'points', not {self.design!r}")
        if self.design == "points" and self.axes:
            raise ValueError("design = 'points' takes no [axes]")
        return self

    def base_path(self) -> Path:
        """The base scenario file (:func:`grid_scenario_path`)."""
        return grid_scenario_path(self.scenario, self.source)

    def workload_path(self) -> Path:
        """The workload file (``workload`` a path, resolved as :meth:`base_path`)."""
        return grid_scenario_path(str(self.workload), self.source)

    def size(self) -> int:
        """The number of points (repeats included), by arithmetic: no point is built.

        >>> grid = Grid(name="t", scenario="s.toml", axes={"a": [1, 2, 3], "b": [1, 2]})
        >>> grid.size(), grid.model_copy(update={"design": "one-at-a-time"}).size()
        (6, 5)
        """
        lengths = [len(a.values) for a in self.axes]
        if self.design == "factorial":
            return math.prod(lengths)
        return sum(lengths) if self.design == "one-at-a-time" else len(self.points)

    def columns(self) -> list[str]:
        """Database columns of the point parameters: axis names, or the fields the points set."""
        if self.design == "points":
            return list(dict.fromkeys(k for point in self.points for k in point))
        return [axis.name for axis in self.axes]

    def steps(self) -> list[dict[str, int]]:
        """Each point as ``{axis name: step index}`` (None: the base value), in grid order."""
        if self.design == "factorial":
            return [dict(zip((a.name for a in self.axes), combo))
                    for combo in itertools.product(*(range(len(a.values)) for a in self.axes))]
        if self.design == "one-at-a-time":
            return [{a.name: (i if a is axis else None) for a in self.axes}
                    for axis in self.axes for i in range(len(axis.values))]
        return [{"#": i} for i in range(len(self.points))]


def _axis(name: str, spec: Any) -> dict:
    """An ``[axes]`` entry (a list of values, or a table with field/fields and values) as an :class:`Axis`."""
    if isinstance(spec, list):
        return {"name": name, "fields": [name], "values": spec}
    if isinstance(spec, dict):
        table = _AxisTable.model_validate(spec)
        if (table.field is None) == (table.fields is None):
            raise ValueError(f"axis {name!r}: give exactly one of field, fields")
        return {"name": name, "fields": table.fields or [table.field], "values": table.values}
    raise ValueError(f"axis {name!r}: expected a list of values or a table with field and values")


def _depth(data: Any) -> int:
    """How deep ``data`` nests (dicts and lists), counted without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_grid(text: str, *, source: str | os.PathLike = "<grid>") -> Grid:
    """Parse and validate grid TOML ``text`` (the points are checked by :func:`~.points.grid_points`)."""
    check_nesting(text, source=source, toml=True)
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"invalid TOML: {exc}", source=source) from None
    if _depth(data) > MAX_NESTING:  # dotted keys (a.b.c = 1) nest tables without brackets
        raise FileFormatError(f"nesting deeper than {MAX_NESTING} levels", source=source)
    if not isinstance(data, dict):
        return validate_document(Grid, data, kind=GRID_FORMAT, version=GRID_VERSION, source=source)
    data["source"] = str(source)
    names = list(data["axes"]) if isinstance(data.get("axes"), dict) else []
    try:
        return validate_document(Grid, data, kind=GRID_FORMAT, version=GRID_VERSION, source=source)
    except FileFormatError as exc:
        found = re.match(r"axes\[(\d+)\](.*)", exc.field or "")
        if not found or int(found[1]) >= len(names):
            raise
        raise FileFormatError(exc.message, field=f"axes.{names[int(found[1])]}{found[2]}", source=source) from None


def load_grid(path: str | os.PathLike) -> Grid:
    """Read and validate a grid file.

    Raises
    ------
    InputError
        The file does not exist; bad TOML, an unknown key, an empty axis.
    """
    return parse_grid(read_text(path), source=Path(path))


def check_schemes(grid: Grid) -> None:
    """Every scheme of ``grid`` is known."""

    for i, name in enumerate(grid.schemes):
        if name not in SCHEMES:
            raise InputError(f"unknown scheme {name!r}; valid schemes: {', '.join(SCHEMES)}",
                             field=f"schemes[{i}]", source=grid.source)
