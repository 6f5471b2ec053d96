"""The Fig. 7 sweeps: one parameter varied at a time, the paper's four schemes at every point, run on the sweep
engine (:func:`sweep_grid` makes the grid; the points land in ``results.sqlite`` beside the CSV and PNG files).

Sweeps use the exact snapshot expectation (what the Monte Carlo converges to),
so a point carries no sampling noise; the error bars are the spread over the
random schemes' placement seeds. Each sweep writes ``sweep_<parameter>.csv``
(one row per value and scheme, with the link statistics of that point) and
``sweep_<parameter>.png`` (total latency, and propagation on a log axis).

The angular-rate values span the range where the threshold binds on the
paper's shell: intra-plane links turn at the orbital rate (2 pi / 95.65 min =
0.0011 rad/s at 550 km), the fastest inter-plane link over one period at about
0.021 rad/s, so every threshold above that keeps every link (0.12 rad/s, the
paper's value, included) and one below 0.0011 rad/s cuts every intra-plane link.

>>> SWEEPS["max_angular_rate"][0], SWEEPS["max_angular_rate"][-1]
(0.0011, 0.12)
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..evaluate import ComputeModel
from ..fileio import write_text_atomic
from ..formats.scenario import Scenario
from ..formats.schema import validate_document
from ..progress import Progress, no_progress
from .schemes import PAPER_SCHEMES
from ..setting.resolvers import walker_spec

if TYPE_CHECKING:
    from ..sweep.grid import Grid
from ..errors import InputError
from ..plotting import pyplot, save_figure

__all__ = ["SWEEPS", "QUICK_SWEEPS", "SWEEP_AXES", "sweep_grid", "reproduce_sweeps", "plot_sweep"]

SWEEPS = {
    "altitude_km": [400.0, 550.0, 700.0, 850.0, 1000.0, 1200.0],
    "constellation_size": [(24, 32), (33, 32), (40, 40), (48, 48), (56, 56)],
    "link_survival": [0.80, 0.85, 0.90, 0.95, 1.0],
    "max_angular_rate": [0.0011, 0.0015, 0.0021, 0.003, 0.005, 0.01, 0.02, 0.12],
}
QUICK_SWEEPS = {"altitude_km": [400.0, 1200.0], "constellation_size": [(24, 32), (40, 40)],
                "link_survival": [0.85, 1.0], "max_angular_rate": [0.0015, 0.12]}
# parameter -> (axis label, log x axis, the paper's setting)
SWEEP_AXES = {
    "altitude_km": ("altitude (km)", False, 550.0),
    "constellation_size": ("satellites (planes x satellites per plane)", False, 33 * 32),
    "link_survival": ("link survival probability", False, 0.95),
    "max_angular_rate": ("angular-rate threshold (rad/s, log scale)", True, 0.12),
}

# extra reference lines: 0.12 deg/s, in case the paper's threshold was meant in degrees
SWEEP_MARKS = {"max_angular_rate": [(0.12 * math.pi / 180, "0.12 deg/s = 0.0021 rad/s", "--")]}

def _x(parameter: str, value) -> float:
    return float(value[0] * value[1]) if parameter == "constellation_size" else float(value)


def _tick(value) -> str:
    try:
        return f"{float(value):g}"
    except ValueError:
        return str(value).replace("x", "×")


def plot_sweep(rows: list[dict], parameter: str, path: str | os.PathLike, *,
               error_bars: str = "±1 std over placement seeds") -> None:
    """Write the PNG of one sweep: total s/token (left) and propagation s/token on a log axis (right).

    Error bars are the rows' ``std_s``; ``error_bars`` says what that spread is (in the title).
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter


    plt = pyplot()

    label, log_x, paper = SWEEP_AXES.get(parameter, (parameter, False, None))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for scheme in dict.fromkeys(r["scheme"] for r in rows):
        mine = [r for r in rows if r["scheme"] == scheme]
        xs = [float(r["x"]) for r in mine]
        std = [float(r["std_s"]) for r in mine]
        for ax, key in zip(axes, ("mean_s_per_token", "propagation_s_per_token")):
            ax.errorbar(xs, [float(r[key]) for r in mine], yerr=std, marker="o", ms=4, capsize=3, label=scheme)
    ticks = list(dict.fromkeys((float(r["x"]), _tick(r["value"])) for r in rows))
    plain = FuncFormatter(lambda y, _: f"{y:g}")
    for ax, title in zip(axes, ("end-to-end latency", "propagation part (log scale)")):
        if log_x:
            ax.set_xscale("log")
        ax.set_xticks([x for x, _ in ticks], [t for _, t in ticks], fontsize=7,
                      rotation=45 if len(ticks) > 6 or parameter == "constellation_size" else 0)
        ax.minorticks_off()
        if paper is not None:
            ax.axvline(paper, color="grey", ls=":", lw=1, label="paper's setting")
        for x, name, style in SWEEP_MARKS.get(parameter, []):
            ax.axvline(x, color="grey", ls=style, lw=1, label=name)
        ax.set_xlabel(label)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("latency (s / token)")
    axes[0].set_ylim(bottom=0)
    axes[1].set_yscale("log")
    axes[1].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    axes[1].yaxis.set_major_formatter(plain)
    axes[1].yaxis.set_minor_formatter(NullFormatter())
    axes[1].set_ylabel("propagation (s / token)")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 6), fontsize=8, frameon=False)
    fig.suptitle(f"sweep of {parameter}; error bars: {error_bars}", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    save_figure(fig, Path(path))


# each Fig. 7 parameter as the grid axis that varies it
SWEEP_FIELDS = {"altitude_km": ["constellation.walker.altitude_km"],
                "constellation_size": ["constellation.walker.n_planes", "constellation.walker.sats_per_plane"],
                "link_survival": ["isl.survival"], "max_angular_rate": ["isl.max_angular_rate"]}
CSV_METRICS = ("satellites", "feasible_link_fraction", "links_up_fraction", "mean_s_per_token", "std_s",
               "analytic_s_per_token", "propagation_s_per_token", "compute_s_per_token")


def sweep_grid(source: str | os.PathLike, sweeps: dict, *, seeds: int, snapshots: int | None = None,
               compute: ComputeModel | None = None, name: str = "fig7") -> Grid:
    """The Fig. 7 sweeps of the scenario at ``source`` as a one-at-a-time grid of the sweep engine.

    >>> grid = sweep_grid("instances/paper.toml", QUICK_SWEEPS, seeds=2, snapshots=50)
    >>> [axis.name for axis in grid.axes], grid.run.seeds
    (['altitude_km', 'constellation_size', 'link_survival', 'max_angular_rate'], 2)
    """
    from ..sweep.grid import Grid   # the experiments layer's grid format (sweep imports reproduce's tables)

    axes = {}
    for parameter, values in sweeps.items():
        if parameter not in SWEEP_FIELDS:
            raise ValueError(f"unknown sweep {parameter!r}; valid sweeps: {', '.join(SWEEPS)}")
        fields = SWEEP_FIELDS[parameter]
        axes[parameter] = ({"field": fields[0], "values": list(values)} if len(fields) == 1 else
                           {"fields": fields, "values": [list(v) for v in values]})
    fixed = {} if snapshots is None else {"snapshots.count": snapshots}
    run = {"seeds": seeds, "tokens": 0}
    if compute is not None:
        fixed["compute.satellite_gflops"] = compute.satellite_gflops
        run["context_len"] = compute.context_len
    doc = {"format": "spacexnet-grid", "version": 1, "name": name, "scenario": str(Path(source).resolve()),
           "design": "one-at-a-time", "schemes": list(PAPER_SCHEMES), "run": run, "set": fixed, "axes": axes}
    return validate_document(Grid, doc, kind="spacexnet-grid", version=1, source=Path(source))


def reproduce_sweeps(spec: Scenario, source: str | os.PathLike, out: str | os.PathLike, *, quick: bool = False,
                     sweeps: dict | None = None, seeds: int = 3, snapshots: int | None = None,
                     compute: ComputeModel | None = None, progress: Progress = no_progress) -> dict[str, list[dict]]:
    """Run the Fig. 7 sweeps (or ``sweeps``: {parameter: values}) on the sweep engine, in this process, into
    ``out/results.sqlite``; write ``sweep_<parameter>.csv`` and ``.png``.

    ``spec`` is the scenario at ``source`` (its shell must be a Walker shell or preset). Returns
    ``{parameter: rows}``, the rows the CSV holds: one per value and scheme, a value shared by two sweeps (the
    base scenario) in each.
    """
    # the sweep engine runs reproduce's tables (sweep.task imports reproduce.table): imported here, when needed
    from ..sweep.db import ResultsDB
    from ..sweep.engine import run_sweep
    from ..sweep.points import distinct, grid_points

    walker_spec(spec, source)   # a TLE shell has no altitude or size to sweep: refused before any work
    out = Path(out)
    sweeps = sweeps or (QUICK_SWEEPS if quick else SWEEPS)
    grid = sweep_grid(source, sweeps, seeds=seeds, snapshots=snapshots, compute=compute,
                      name="fig7-quick" if quick else "fig7")
    points = grid_points(grid)
    summary = run_sweep(grid, out, workers=0, points=distinct(points),
                        progress=lambda done, failed, total: progress("sweeps", done, total))
    by_hash: dict[str, dict[str, dict]] = {}
    for row in ResultsDB(summary.database, grid.columns()).rows():
        if row["error"] is not None:
            raise InputError(f"a sweep point failed: {row['error']}", field="sweeps", source=source)
        by_hash.setdefault(row["point_hash"], {})[row["scheme"]] = row
    results, start = {}, 0
    for parameter, values in sweeps.items():   # one-at-a-time: each axis's points in turn, in grid order
        rows, mine, start = [], points[start:start + len(values)], start + len(values)
        for point in mine:
            value = point.params[parameter]   # a multi-field axis is labelled "24x32" in the grid's rows
            value = tuple(int(n) for n in value.split("x")) if parameter == "constellation_size" else value
            label = f"{value[0]}x{value[1]}" if isinstance(value, tuple) else value
            rows += [{"parameter": parameter, "value": label, "x": _x(parameter, value), "scheme": scheme,
                      **{k: by_hash[point.hash][scheme][k] for k in CSV_METRICS}} for scheme in PAPER_SCHEMES]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        write_text_atomic(out / f"sweep_{parameter}.csv", text.getvalue())
        plot_sweep(rows, parameter, out / f"sweep_{parameter}.png")
        results[parameter] = rows
    return results
