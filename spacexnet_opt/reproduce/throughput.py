"""The throughput table of ``reproduce paper`` / ``reproduce deepseek-v3 --throughput``: every scheme under load.

For every scheme's deployment (and the throughput fleet of :func:`~spacexnet_opt.optimize.serving.optimize_throughput`):

- ``zero_load_tpot_s``: lone requests of the workload's lengths (the serving simulator);
- ``bound_tokens_per_s``: the capacity LP (:mod:`spacexnet_opt.optimize.throughput`);
- ``tokens_per_s_at_2x``: output tokens/s offered at the largest arrival rate measured with pooled p99 TPOT at
  most twice the scheme's own zero-load TPOT; ``tokens_per_s_at_slo``: the same at the workload's fixed
  ``slo.tpot_s`` (0 when the zero-load TPOT already misses it);
- ``delivered_tokens_per_s_at_slo``: the tokens that run delivered over its whole length (drain included), and
  ``at_bound``: whether the search stopped at the LP bound (then the run could not show where the SLO is lost);
- what each scheme uses (satellites, rings, compute groups), so that a ratio names what one scheme has that
  the other lacks, and the constellation's compute limit.

Every run is a short horizon (``requests`` of the workload) and a bisection of ``iterations`` steps: the
figures are measured, within the bisection's bracket.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..fileio import write_json_atomic, write_text_atomic
from ..optimize.serving import (check_deployments, fleet_bound, fleet_compute_limit, optimize_throughput,
                                serving_models)
from ..progress import Progress, no_progress
from ..serve.fleet import with_count
from ..serve.requests import draw_requests

__all__ = ["throughput_table", "write_throughput", "COLUMNS", "FLEET"]

FLEET = "throughput-fleet"
"""Row name of the throughput-optimised fleet."""

COLUMNS = ("scheme", "satellites", "rings", "compute_groups", "zero_load_tpot_s", "bound_tokens_per_s",
           "tokens_per_s_at_2x", "tokens_per_s_at_slo", "delivered_tokens_per_s_at_slo", "at_bound",
           "ratio_at_slo", "has_beyond_space_xnet")


def _uses(plans) -> tuple[int, int, int]:
    sats = np.unique(np.concatenate([p.satellites for p in plans]))
    groups = sum(sum(g.size > 1 for g in p.groups or ()) for p in plans)
    return len(sats), len(plans), int(groups)


def _row(name, plans, split, world, workload, requests, *, iterations: int) -> dict:
    models = serving_models(plans, world)
    bound = fleet_bound(plans, world, prompt=requests.prompt, output=requests.output,
                        hosts=[np.asarray(m.host) for m in models])
    search = {"start_rate": 0.25 * bound.requests_per_s, "max_rate": bound.requests_per_s, "iterations": iterations}
    relative = check_deployments(models, split, workload, times_zero_load=2.0, **search)
    try:
        fixed = check_deployments(models, split, workload, zero=relative["zero_load_tpot_s"], **search)
    except InputError:
        fixed = {"offered_tokens_per_s": 0.0, "tokens_per_s": 0.0, "max_rate_per_s": 0.0}
    sats, rings, groups = _uses(plans)
    return {"scheme": name, "satellites": sats, "rings": rings, "compute_groups": groups,
            "zero_load_tpot_s": relative["zero_load_tpot_s"], "bound_tokens_per_s": bound.tokens_per_s,
            "tokens_per_s_at_2x": relative["offered_tokens_per_s"], "tokens_per_s_at_slo": fixed["offered_tokens_per_s"],
            "delivered_tokens_per_s_at_slo": fixed["tokens_per_s"],
            "at_bound": bool(fixed["max_rate_per_s"] >= bound.requests_per_s * (1 - 1e-12))}


def throughput_table(world, plans: dict, workload, *, requests: int = 150, iterations: int = 3,
                     planes_per_ring: int | None = None, progress: Progress = no_progress) -> dict:
    """The throughput document of ``plans`` ({scheme: Deployment}) plus the fleet on ``world`` under
    ``workload`` (its first ``requests`` requests per run)."""
    if workload.slo.tpot_s is None:
        raise InputError("the workload sets no slo.tpot_s for the fixed-SLO column", field="slo.tpot_s")
    short = with_count(workload, requests)
    drawn = draw_requests(short)
    fleet = optimize_throughput(world, prompt=drawn.prompt, output=drawn.output,
                                planes_per_ring=planes_per_ring).fleet
    entries = [(name, [plan], np.ones(1)) for name, plan in plans.items()] + [(FLEET, list(fleet.rings), fleet.split)]
    rows = []
    for i, (name, rings, split) in enumerate(entries):
        progress("throughput", i, len(entries))
        rows.append(_row(name, rings, split, world, short, drawn, iterations=iterations))
    progress("throughput", len(entries), len(entries))
    base = next((r for r in rows if r["scheme"] == "Space-XNet"), None)
    for r in rows:
        r["ratio_at_slo"] = (r["tokens_per_s_at_slo"] / base["tokens_per_s_at_slo"]
                             if base and base["tokens_per_s_at_slo"] > 0 else None)
        r["has_beyond_space_xnet"] = "" if base is None else (
            f"{r['satellites'] - base['satellites']:+d} satellites, {r['rings']} rings, "
            f"{r['compute_groups'] - base['compute_groups']:+d} compute groups")
    any_plan = next(iter(plans.values()), fleet.rings[0])
    return {"rows": rows, "workload": workload.name, "requests_per_run": requests, "bisection_steps": iterations,
            "tpot_slo_s": workload.slo.tpot_s,
            "compute_limit_tokens_per_s": fleet_compute_limit(world, any_plan, prompt=drawn.prompt,
                                                              output=drawn.output)}


def write_throughput(doc: dict, out: str | os.PathLike) -> list[Path]:
    """Write ``throughput.json`` and ``throughput.csv`` (atomically) into ``out``."""
    out = Path(out)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(doc["rows"])
    write_json_atomic(out / "throughput.json", doc)
    write_text_atomic(out / "throughput.csv", buf.getvalue())
    return [out / "throughput.json", out / "throughput.csv"]
