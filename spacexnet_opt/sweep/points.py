"""The points of a grid: each a validated scenario, run settings, its parameters and a content hash.

A field path is checked against the scenario schema before any value is set,
so a typo is an error naming the axis, not a silently ignored key. Axes over
``constellation.walker.*`` on a scenario that names a preset first turn the
preset into its Walker parameters.

>>> from spacexnet_opt.sweep.grid import parse_grid
>>> from spacexnet_opt.reproduce.paper import default_scenario
>>> grid = parse_grid(f'''
... format = "spacexnet-grid"
... version = 1
... name = "t"
... scenario = "{default_scenario().name}"
... design = "one-at-a-time"
... [axes]
... "isl.survival" = [0.9, 0.95]
... "constellation.walker.altitude_km" = [550.0, 700.0]
... ''', source=default_scenario())
>>> points = grid_points(grid)
>>> [p.params for p in points]  # doctest: +NORMALIZE_WHITESPACE
[{'isl.survival': 0.9, 'constellation.walker.altitude_km': 550.0},
 {'isl.survival': 0.95, 'constellation.walker.altitude_km': 550.0},
 {'isl.survival': 0.95, 'constellation.walker.altitude_km': 550.0},
 {'isl.survival': 0.95, 'constellation.walker.altitude_km': 700.0}]
>>> points[1].hash == points[2].hash, len(distinct(points))
(True, 3)
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError, ResourceError
from ..formats.scenario import Scenario, load_scenario
from ..formats.schema import validate_document
from .grid import Grid, RunSettings, check_schemes
from ..optimize.levers import Levers
from .levers import LEVER_SCHEMES, OPTIMIZE, lever_schemes
from .load import WORKLOAD, base_workload, resolve_workload, workload_field
from ..formats.workload import Workload
from ..setting.resolvers import walker_spec

__all__ = ["Point", "MAX_POINTS", "check_size", "grid_points", "distinct", "shell_key"]

RUN = "run."
MAX_POINTS = 100_000
"""Most points in a grid (repeats included); more is refused before any point is built."""
CHECK_S_PER_POINT = 0.001
"""Time to build and check one point (1.3 ms measured on a small scenario under load), for the refusal's estimate."""
RUN_S_PER_POINT = 0.1
"""Least time to run one point (a 4 x 10 shell, 5 snapshots), for the refusal's estimate."""


@dataclass(frozen=True)
class Point:
    """One grid point: ``params`` (column -> value), the scenario and run settings it resolves to.

    ``schemes``: the rows it records (the grid's, then ``Space-XNet-opt(-tp)``
    when it sets ``optimize.`` levers); ``levers``: their options, or None;
    ``workload``: the workload served on every scheme's deployment (a load sweep), or None, its files
    relative to ``workload_source``.
    """

    index: int
    params: dict
    spec: Scenario
    run: RunSettings
    hash: str
    schemes: tuple = ()
    levers: tuple | None = None
    workload: Workload | None = None
    workload_source: str | None = None


def _model_of(annotation) -> type[BaseModel] | None:
    """The pydantic model inside ``annotation`` (``WalkerSpec | None`` -> WalkerSpec), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _check_path(path: str) -> None:
    """Raise ValueError unless ``path`` names a field of the scenario (or of the run settings)."""
    prefix = next((p for p in (RUN, OPTIMIZE, WORKLOAD) if path.startswith(p)), "")
    model: type[BaseModel] | None = {RUN: RunSettings, OPTIMIZE: Levers, WORKLOAD: Workload}.get(prefix, Scenario)
    parts = (workload_field(path) if prefix == WORKLOAD else path[len(prefix):]).split(".")
    for depth, part in enumerate(parts):
        if model is None:  # inside a free-form table (statistics.params)
            return
        if part not in model.model_fields or part in ("format", "version"):
            where = ".".join(parts[:depth]) or prefix.rstrip(".") or "the scenario"
            raise ValueError(f"unknown field {part!r} in {where}; valid: {', '.join(model.model_fields)}")
        annotation = model.model_fields[part].annotation
        model = _model_of(annotation)
        if model is None and depth < len(parts) - 1 and typing.get_origin(annotation) is not dict:
            raise ValueError(f"{'.'.join(parts[:depth + 1])} has no fields")


def _walker_document(data: dict, source: Path) -> dict:
    """``data`` (a scenario document) with a preset constellation replaced by its Walker parameters."""

    walker = walker_spec(Scenario.model_validate(data), source)
    return {**data, "constellation": {"walker": walker.model_dump()}}


def _get(data: dict, path: str):
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _set(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    data[last] = value


def _named_fields(grid: Grid) -> list[tuple[str, str]]:
    """Every field the grid sets, with where it is set (for errors)."""
    return [*((f, f"set.{f}") for f in grid.set),
            *((f, f"axes.{a.name}") for a in grid.axes for f in a.fields),
            *((f, f"points[{i}].{f}") for i, point in enumerate(grid.points) for f in point)]


def _base(grid: Grid) -> dict:
    """The base scenario as a document (a preset turned into Walker parameters when an axis needs it)."""
    if not grid.base_path().is_file():
        raise InputError(f"{grid.base_path()}: {'not a file' if grid.base_path().exists() else 'file not found'} "
                         "(a path relative to the grid file, or the name of a scenario in instances/)",
                         field="scenario", source=grid.source)
    spec = load_scenario(grid.base_path())
    data = spec.model_dump(mode="json", exclude_none=True)
    if any(f.startswith("constellation.walker.") for f, _ in _named_fields(grid)) and spec.constellation.walker is None:
        data = _walker_document(data, grid.base_path())
    return data


def _settings(model: type[BaseModel], values: dict, prefix: str, where: str, grid: Grid):
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = f"{prefix}{error['loc'][0]}" if error["loc"] else prefix.rstrip(".")
        raise InputError(f"{field}: {error['msg'].removeprefix('Value error, ')}", field=where,
                         source=grid.source) from None


def _resolve(grid: Grid, base: dict, assignment: dict, where: str,
             workload: dict | None) -> tuple[Scenario, RunSettings, Any, Workload | None]:
    data = json.loads(json.dumps(base))
    load: dict = json.loads(json.dumps(workload or {}))  # workload. fields need a workload (_check_workload)
    run, levers = grid.run.model_dump(), {}
    for path, value in (grid.set | assignment).items():
        if path.startswith(RUN):
            run[path[len(RUN):]] = value
        elif path.startswith(WORKLOAD):
            _set(load, workload_field(path), value)
        elif path.startswith(OPTIMIZE):
            levers[path[len(OPTIMIZE):]] = value
        else:
            _set(data, path, value)
    settings = _settings(RunSettings, run, RUN, where, grid)
    optimize = _settings(Levers, levers, OPTIMIZE, where, grid) if _has_levers(grid) else None
    try:
        spec = validate_document(Scenario, data, kind="spacexnet-scenario", version=1, source=grid.source)
    except InputError as exc:
        raise InputError(f"{exc.field}: {exc.message}", field=where, source=grid.source) from None
    return spec, settings, optimize, None if workload is None else resolve_workload(load, where, grid)


def _has_levers(grid: Grid) -> bool:
    return any(f.startswith(OPTIMIZE) for f, _ in _named_fields(grid))


def _check_lever_schemes(grid: Grid) -> None:
    """With ``optimize.`` fields the levers' rows are ``Space-XNet-opt(-tp)``: the schemes must not name them."""
    for i, name in enumerate(grid.schemes):
        if name in LEVER_SCHEMES and _has_levers(grid):
            raise InputError(f"{name} is the row of the optimize. levers this grid sets; drop it from schemes",
                             field=f"schemes[{i}]", source=grid.source)


def _check_workload(grid: Grid) -> None:
    """``workload.`` fields need the grid's ``workload`` to set them in."""
    if grid.workload is None:
        field = next((where for f, where in _named_fields(grid) if f.startswith(WORKLOAD)), None)
        if field is not None:
            raise InputError("workload fields need a base workload: workload = \"FILE.toml\" or a [workload] table",
                             field=field, source=grid.source)


def _param(base: dict, grid: Grid, path: str, workload: dict | None = None):
    if path.startswith(WORKLOAD):
        return _get(workload or {}, workload_field(path))
    if path.startswith(OPTIMIZE):
        return getattr(Levers(), path[len(OPTIMIZE):])
    return getattr(grid.run, path[len(RUN):]) if path.startswith(RUN) else _get(base, path)


def _assignments(grid: Grid, base: dict, workload: dict | None) -> list[tuple[dict, dict, str]]:
    """Each point's ``(field assignment, params, where)``; ``where`` names it in errors."""
    axes = {a.name: a for a in grid.axes}
    out = []
    for index, steps in enumerate(grid.steps()):
        if grid.design == "points":
            point = grid.points[index]
            params = {c: point.get(c, _param(base, grid, c, workload)) for c in grid.columns()}
            out.append((dict(point), params, f"points[{index}]"))
            continue
        assignment, params, where = {}, {}, f"point {index}"
        for name, step in steps.items():
            axis = axes[name]
            if step is None:
                values = [_param(base, grid, f, workload) for f in axis.fields]
                params[name] = "x".join(map(str, values)) if len(values) > 1 else values[0]
            else:
                assignment |= axis.assignment(step)
                params[name] = axis.label(step)
                where = f"axes.{name}[{step}]"
        out.append((assignment, params, where))
    return out


def check_size(grid: Grid, *, max_points: int = MAX_POINTS) -> int:
    """The number of points of ``grid`` (arithmetic, :meth:`Grid.size`), refused over ``max_points``.

    Raises
    ------
    ResourceError
        Over the limit: the point count and how long checking and running them would take.
    """
    size = grid.size()
    if size > max_points:
        where = "points" if grid.design == "points" else "axes"
        raise ResourceError(
            f"{size:,} points, over the limit of {max_points:,} (--max-points): checking them alone would take "
            f"about {_duration(size * CHECK_S_PER_POINT)} and running them at least "
            f"{_duration(size * RUN_S_PER_POINT)} on one core ({RUN_S_PER_POINT:g} s per point on the smallest "
            "shells; the paper's takes about 5 s)", field=where, source=grid.source)
    return size


def _duration(seconds: float) -> str:
    """``seconds`` in the largest fitting unit: ``'42 s'``, ``'3.5 min'``, ``'2.8 h'``, ``'4.1 days'``."""
    for unit, length in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * length:
            return f"{seconds / length:.1f} {unit}"
    return f"{seconds:.0f} s"


def grid_points(grid: Grid, *, max_points: int = MAX_POINTS, progress: Callable[[int, int], None] | None = None
                ) -> list[Point]:
    """Every point of ``grid`` in grid order (repeats kept), each validated.

    The point count is checked first (:func:`check_size`); ``progress(checked, total)`` is called
    as the points are checked (every 1 % of them).

    Raises
    ------
    InputError
        An unknown field, an unknown scheme, or a value the scenario schema refuses.
    ResourceError
        More than ``max_points`` points.
    """
    total = check_size(grid, max_points=max_points)
    check_schemes(grid)
    _check_lever_schemes(grid)
    _check_workload(grid)
    for field, where in _named_fields(grid):
        try:
            _check_path(field)
        except ValueError as exc:
            raise InputError(str(exc), field=where, source=grid.source) from None
    base = _base(grid)
    workload, workload_source = base_workload(grid)
    points = []
    every = max(1, total // 100)
    for index, (assignment, params, where) in enumerate(_assignments(grid, base, workload)):
        if progress is not None and index % every == 0:
            progress(index, total)
        spec, run, levers, load = _resolve(grid, base, assignment, where, workload)
        content = {"scenario": spec.model_dump(mode="json"), "run": run.model_dump()}
        if levers is not None:
            content["optimize"] = levers.model_dump()
        if load is not None:
            content["workload"] = load.model_dump(mode="json")
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:20]
        schemes = tuple(grid.schemes) + (lever_schemes(levers) if levers is not None else ())
        options = tuple(levers.model_dump().items()) if levers is not None else None
        points.append(Point(index, params, spec, run, digest, schemes, options, load, workload_source))
    if progress is not None:
        progress(total, total)
    return points


def distinct(points: list[Point]) -> list[Point]:
    """``points`` without repeats (same hash), first occurrence kept."""
    first: dict[str, Point] = {}
    for point in points:
        first.setdefault(point.hash, point)
    return list(first.values())


def shell_key(point: Point) -> str:
    """What a point's ISL snapshots depend on: constellation, links, snapshots, link seed, model."""
    spec = point.spec
    doc = {k: spec.model_dump(mode="json")[k] for k in ("constellation", "isl", "snapshots", "model")}
    doc["link_seed"] = spec.seeds.links
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]
