"""One PNG per axis in the style of Fig. 7, drawn from the results database.

For an axis of a ``one-at-a-time`` grid the plot uses the points that vary
that axis; for a ``factorial`` grid every point, averaged over the other axes
(error bars: the spread over those points; with one point per value, the
spread over placement seeds, none for a scheme with one placement such as
Space-XNet); the title says which (:func:`error_bars`). An axis that sets several fields
(``33x32``) is placed at the product of its values (satellites). Axes over the workload alone are not drawn
this way (s/token does not depend on them); a load sweep's rows give ``serving_curve.png`` instead
(:func:`plot_serving`): each scheme's p99 TPOT against its tokens/s, one point per offered rate.

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
from .load import WORKLOAD, curves
from .points import Point, grid_points
from ..reproduce.sweeps import plot_sweep

__all__ = ["plot_axes", "plot_serving"]


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
        axis = next((a for a in grid.axes if a.name == column), None)
        if axis is not None and all(f.startswith(WORKLOAD) for f in axis.fields):
            continue
        if grid.design == "one-at-a-time":
            mine = {h for h, s in zip(hashes, steps) if s[column] is not None}
            use = [r for r in rows if r["point_hash"] in mine]
        else:
            use = [r for r in rows if r.get(column) is not None]
        order = [axis.label(i) for i in range(len(axis.values))] if axis else []
        table = _axis_rows(use, column, order)
        if not table:
            continue
        path = Path(out) / f"sweep_{re.sub(r'[^A-Za-z0-9_.-]+', '_', column)}.png"
        plot_sweep(table, column, path, error_bars=error_bars(table))
        written.append(path)
    return written


def plot_serving(database: str | os.PathLike, out: str | os.PathLike) -> Path | None:
    """Write ``out/serving_curve.png``: p99 TPOT (left) and p99 TTFT (right) against tokens/s, one line per
    curve of :func:`.load.curves` (a point per offered rate, labelled with it); None when no row has serving
    metrics."""
    from ..plotting import pyplot, save_figure

    db = ResultsDB(database, readonly=True)
    try:
        found = curves(db.rows("WHERE error IS NULL"))
    finally:
        db.close()
    if not found:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for curve in found:
        for ax, ys in zip(axes, (curve.tpot_p99_s, curve.ttft_p99_s)):
            ax.plot(curve.tokens_per_s, ys, "o-", ms=4, label=curve.label)
        for x, y, rate in zip(curve.tokens_per_s, curve.tpot_p99_s, curve.rate_per_s):
            axes[0].annotate(f"{rate:g}/s", (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    for ax, what in zip(axes, ("p99 TPOT [s per output token]", "p99 TTFT [s]")):
        ax.set_xlabel("throughput [output tokens/s]")
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
    axes[0].set_title("throughput-latency (labels: offered requests/s)", fontsize=9)
    axes[1].set_title("time to first token", fontsize=9)
    axes[0].legend(fontsize=7)
    path = Path(out) / "serving_curve.png"
    save_figure(fig, path)
    return path
