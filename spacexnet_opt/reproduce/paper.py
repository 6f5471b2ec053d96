"""The paper's experiment end to end: Table II analogue and the Fig. 7 sweeps.

:func:`reproduce_table` runs the schemes on a scenario (default
``instances/paper.toml``) and returns the ``table2.json`` document;
:func:`reproduce_sweeps` varies one parameter at a time -- altitude,
constellation size, link survival probability, angular-rate threshold -- and
writes a CSV and a PNG per sweep. Sweeps use the exact snapshot expectation
(what the Monte Carlo converges to) so they carry no sampling noise.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..evaluate import ComputeModel, world_from_scenario
from ..evaluate.world import solve_layers
from ..fileio import write_bytes_atomic, write_json_atomic, write_text_atomic
from .schemes import PAPER_SCHEMES, SCHEMES
from .table import run_schemes

__all__ = ["SWEEPS", "QUICK_SWEEPS", "default_scenario", "reproduce_table", "reproduce_sweeps", "sweep_spec"]

SWEEPS = {
    "altitude_km": [400.0, 550.0, 700.0, 850.0, 1000.0, 1200.0],
    "constellation_size": [(24, 32), (33, 32), (40, 40), (48, 48), (56, 56)],
    "link_survival": [0.80, 0.85, 0.90, 0.95, 1.0],
    "max_angular_rate": [0.06, 0.08, 0.10, 0.12, 0.15, 0.20],
}
QUICK_SWEEPS = {"altitude_km": [400.0, 1200.0], "constellation_size": [(24, 32), (40, 40)],
                "link_survival": [0.85, 1.0], "max_angular_rate": [0.08, 0.2]}
SWEEP_SCHEMES = PAPER_SCHEMES

Progress = Callable[[str, int, int], None]


def default_scenario(name: str = "paper") -> Path:
    """``instances/<name>.toml`` of the checkout (or of the working directory)."""
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        path = root / "instances" / f"{name}.toml"
        if path.is_file():
            return path
    return Path("instances") / f"{name}.toml"


def _walker(spec, source):
    from ..build import scenario_constellation
    from ..errors import InputError
    from ..scenario import WalkerSpec

    shell = scenario_constellation(spec, Path(source))
    if not hasattr(shell, "altitude_km"):
        raise InputError("sweeps need a Walker constellation (preset or walker), not a TLE shell",
                         field="constellation", source=source)
    return WalkerSpec(n_planes=shell.n_planes, sats_per_plane=shell.sats_per_plane, altitude_km=shell.altitude_km,
                      inclination_deg=shell.inclination_deg, phasing=shell.phasing, pattern=shell.pattern)


def sweep_spec(spec, source, parameter: str, value):
    """``spec`` with one sweep parameter set to ``value``."""
    if parameter in ("altitude_km", "constellation_size"):
        walker = _walker(spec, source)
        change = {"altitude_km": value} if parameter == "altitude_km" else {
            "n_planes": value[0], "sats_per_plane": value[1]}
        constellation = spec.constellation.model_copy(update={"preset": None, "tle": None,
                                                              "walker": walker.model_copy(update=change)})
        return spec.model_copy(update={"constellation": constellation})
    field = {"link_survival": "survival", "max_angular_rate": "max_angular_rate"}.get(parameter)
    if field is None:
        raise ValueError(f"unknown sweep {parameter!r}; valid sweeps: {', '.join(SWEEPS)}")
    return spec.model_copy(update={"isl": spec.isl.model_copy(update={field: value})})


def _with_snapshots(spec, snapshots: int | None):
    if snapshots is None:
        return spec
    return spec.model_copy(update={"snapshots": spec.snapshots.model_copy(update={"count": snapshots})})


def reproduce_table(spec, source, *, schemes: Sequence[str] = tuple(SCHEMES), seeds: int = 10,
                    tokens: int = 100_000, snapshots: int | None = None, compute: ComputeModel | None = None,
                    statistics=None, progress: Progress | None = None) -> dict:
    """Run ``schemes`` on the scenario ``spec`` and return the ``table2.json`` document.

    ``statistics`` (ActivationStats), if given, replaces the scenario's for
    evaluation only: placements are solved on the scenario's statistics and
    evaluated on these (out of sample).
    """
    say = progress or (lambda stage, done, total: None)
    start = time.perf_counter()
    spec = _with_snapshots(spec, snapshots)
    say("building the constellation and subproblems", 0, 1)
    world = world_from_scenario(spec, source=source, compute=compute)
    median = None
    if "Space-XNet-median" in schemes:
        say("median gateways", 0, 1)
        from .. import build

        stats = build.scenario_statistics(spec, world.profile, Path(source))
        median = solve_layers(spec, world.shell, world.snapshots, world.partition, stats, world.profile,
                              gateway_rule="median", source=source)
    if statistics is not None:
        from ..evaluate import laws_from_stats

        world = world.with_laws(laws_from_stats(statistics), f"out of sample: {statistics.source}")
    rows = run_schemes(world, schemes, seeds=seeds, tokens=tokens, median_layers=median, progress=progress)
    times = world.times
    assumptions = {
        **world.assumptions,
        "scenario": str(source),
        "constellation": spec.constellation.model_dump(exclude_none=True),
        "model": world.profile.name,
        "statistics": spec.statistics.model_dump(exclude_none=True),
        "gateway_s": times.gateway_s,
        "expert_s": times.expert_s,
        "compute_floor_s_per_token": world.n_layers * (times.gateway_s + times.expert_s) + times.per_token_s,
        "seeds": seeds,
        "tokens_per_scheme": tokens,
        "std_s": "standard deviation over placement seeds (0 for deterministic schemes)",
        "scheme_solvers": {name: list(SCHEMES[name][1:]) for name in schemes},
    }
    return {"schemes": rows, "assumptions": assumptions, "runtime_s": time.perf_counter() - start}


def _plot(rows: list[dict], parameter: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    values = sorted({r["value"] for r in rows}, key=lambda v: float(str(v).split("x")[0]) if "x" in str(v) else float(v))
    for scheme in dict.fromkeys(r["scheme"] for r in rows):
        mine = {r["value"]: r for r in rows if r["scheme"] == scheme}
        xs = [v for v in values if v in mine]
        pos = [values.index(v) for v in xs]
        ax.errorbar(pos, [mine[v]["mean_s_per_token"] for v in xs], yerr=[mine[v]["std_s"] for v in xs],
                    marker="o", capsize=3, label=scheme)
    ax.set_xticks(range(len(values)), [str(v) for v in values])
    ax.set_xlabel(parameter)
    ax.set_ylabel("latency (s / token)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def reproduce_sweeps(spec, source, out: str | os.PathLike, *, quick: bool = False, sweeps: dict | None = None,
                     seeds: int = 3,
                     snapshots: int | None = None, compute: ComputeModel | None = None,
                     progress: Progress | None = None) -> dict[str, list[dict]]:
    """Run the Fig. 7 sweeps (or ``sweeps``: {parameter: values}); write ``sweep_<parameter>.csv`` and ``.png``."""
    say = progress or (lambda stage, done, total: None)
    out = Path(out)
    sweeps = sweeps or (QUICK_SWEEPS if quick else SWEEPS)
    spec = _with_snapshots(spec, snapshots)
    results = {}
    for parameter, values in sweeps.items():
        rows = []
        for i, value in enumerate(values):
            label = f"{value[0]}x{value[1]}" if isinstance(value, tuple) else value
            say(f"sweep {parameter} = {label}", i, len(values))
            world = world_from_scenario(sweep_spec(spec, source, parameter, value), source=source, compute=compute)
            table = run_schemes(world, SWEEP_SCHEMES, seeds=seeds, tokens=0)
            rows += [{"parameter": parameter, "value": label, "scheme": scheme, **{
                k: table[scheme][k] for k in ("mean_s_per_token", "std_s", "analytic_s_per_token",
                                              "propagation_s_per_token", "compute_s_per_token")}}
                     for scheme in SWEEP_SCHEMES]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        write_text_atomic(out / f"sweep_{parameter}.csv", text.getvalue())
        _plot(rows, parameter, out / f"sweep_{parameter}.png")
        results[parameter] = rows
    return results


def write_table(doc: dict, out: str | os.PathLike) -> None:
    """Write ``table2.json`` (atomically) into ``out``."""
    write_json_atomic(Path(out) / "table2.json", doc)
