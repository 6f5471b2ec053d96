"""One PNG per axis in the style of Fig. 7, drawn from the results database.

For an axis of a ``one-at-a-time`` grid the plot uses the points that vary
that axis; for a ``factorial`` grid every point, averaged over the other axes
(error bars: the spread over those points; with one point per value, the
spread over placement seeds, none for a scheme with one placement such as
Space-XNet); the title says which (:func:`error_bars`). An axis that sets several fields
(``33x32``) is placed at the product of its values (satellites).

>>> _x("33x32", 0), _x(0.95, 0), _x("sorted", 2)
(1056.0, 0.95, 2.0)
>>> rows = [{"v": v, "scheme": "S", "mean_s_per_token": m, "std_s": 0.1, "propagation_s_per_token": 0.5}
...         for v, m in ((0.12, 1.0), (0.01, 2.0), (0.12, 3.0))]
>>> [(r["value"], r["mean_s_per_token"], r["std_s"]) for r in _axis_rows(rows, "v", [0.01, 0.12])]
[(0.01, 2.0, 0.1), (0.12, 2.0, 1.4142135623730951)]
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

from .db import ResultsDB
from .grid import Grid
from .points import Point, grid_points
from ..reproduce.sweeps import plot_sweep

__all__ = ["plot_axes"]


def _x(value, index: int) -> float:
    """Where a parameter value sits on the x axis: itself, the product of ``AxB``, or its index."""
    if isinstance(value, bool) or value is None:
        return float(index)
    if isinstance(value, (int, float)):
        return float(value)
    parts = str(value).split("x")
    try:
        return float(math.prod(float(p) for p in parts))
    except ValueError:
        return float(index)


def _axis_rows(rows: list[dict], column: str, order: list) -> list[dict]:
    """Rows of the ``plot_sweep`` form: one per (value, scheme), averaged over the other parameters.

    Values come in ``order`` (the axis's own), then any other value in row order.
    """
    values = list(dict.fromkeys([*order, *(r[column] for r in rows)]))
    out = []
    for index, value in enumerate(values):
        for scheme in dict.fromkeys(r["scheme"] for r in rows):
            mine = [r for r in rows if r[column] == value and r["scheme"] == scheme
                    and r["mean_s_per_token"] is not None]
            if not mine:
                continue
            means = np.array([r["mean_s_per_token"] for r in mine])
            std = float(means.std(ddof=1)) if len(mine) > 1 else float(mine[0]["std_s"] or 0.0)
            out.append({"value": value, "x": _x(value, index), "scheme": scheme, "std_s": std, "points": len(mine),
                        "mean_s_per_token": float(means.mean()),
                        "propagation_s_per_token": float(np.mean([r["propagation_s_per_token"] for r in mine]))})
    return out


def error_bars(table: list[dict]) -> str:
    """What the error bars of ``table`` (rows of :func:`_axis_rows`) show, for the plot's title.

    >>> error_bars([{"scheme": "A", "points": 1, "std_s": 0.2}, {"scheme": "B", "points": 1, "std_s": 0.0}])
    '±1 std over placement seeds (none for B: one placement)'
    >>> error_bars([{"scheme": "A", "points": 4, "std_s": 0.2}, {"scheme": "B", "points": 4, "std_s": 0.1}])
    "±1 std over the other axes' 4 points at each value"
    """
    counts = {r["points"] for r in table}
    if counts == {1}:
        flat = [s for s in dict.fromkeys(r["scheme"] for r in table)
                if not any(r["std_s"] for r in table if r["scheme"] == s)]
        return "±1 std over placement seeds" + (f" (none for {', '.join(flat)}: one placement)" if flat else "")
    if 1 not in counts:
        return f"±1 std over the other axes' {counts.pop()} points at each value" if len(counts) == 1 else \
            "±1 std over the other axes' points at each value"
    return "±1 std over the other axes' points (over placement seeds where a value has one point)"


def plot_axes(grid: Grid, database: str | os.PathLike, out: str | os.PathLike, *,
              points: list[Point] | None = None) -> list[Path]:
    """Write ``sweep_<axis>.png`` into ``out`` for every axis of ``grid``; returns the paths written.

    ``points``: ``grid_points(grid)`` when already computed (only their hashes are used).
    """

    db = ResultsDB(database, readonly=True)
    try:
        rows = db.rows("WHERE error IS NULL")
    finally:
        db.close()
    steps = grid.steps()
    hashes = [p.hash for p in (grid_points(grid) if points is None else points)]
    written = []
    for column in grid.columns():
        if grid.design == "one-at-a-time":
            mine = {h for h, s in zip(hashes, steps) if s[column] is not None}
            use = [r for r in rows if r["point_hash"] in mine]
        else:
            use = [r for r in rows if r.get(column) is not None]
        axis = next((a for a in grid.axes if a.name == column), None)
        order = [axis.label(i) for i in range(len(axis.values))] if axis else []
        table = _axis_rows(use, column, order)
        if not table:
            continue
        path = Path(out) / f"sweep_{re.sub(r'[^A-Za-z0-9_.-]+', '_', column)}.png"
        plot_sweep(table, column, path, error_bars=error_bars(table))
        written.append(path)
    return written
