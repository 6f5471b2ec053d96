"""What a worker runs: the ISL snapshots of a shell, and one point's schemes on them.

Both are plain functions of picklable arguments, so Dask ships them to any
worker. :func:`run_point` never raises: a point that fails returns its error
text, so the sweep records it and goes on.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from ..evaluate import ComputeModel
from ..setting import resolve_setting
from .db import METRICS
from .load import serve_deployments
from ..reproduce.table import run_schemes, scheme_world

__all__ = ["shell_snapshots", "run_point"]

def shell_snapshots(spec, source: str):
    """The ISL snapshots of ``spec``'s shell (the part of a setting shared by every point on that shell)."""

    return resolve_setting(spec, Path(source)).snapshots


def _rows(world, table: dict) -> dict[str, dict]:
    snaps = world.snapshots
    links = {"satellites": world.n_sats, "feasible_link_fraction": float(snaps.feasible.mean()),
             "links_up_fraction": float((snaps.delay_s < float("inf")).mean())}
    out = {}
    for scheme, row in table.items():
        ci = row.get("ci95_s") or [None, None]
        out[scheme] = {**{k: row.get(k) for k in METRICS}, "ci95_low_s": ci[0], "ci95_high_s": ci[1], **links}
    return out


def run_point(spec, source: str, schemes: list[str], run, snapshots=None, levers=None, workload=None,
              workload_source: str | None = None) -> dict:
    """Evaluate ``schemes`` at one point; ``{"rows": {scheme: metrics}, "runtime_s"}`` or ``{"error"}``.

    ``snapshots`` are the shell's (from :func:`shell_snapshots`); None builds them here. ``levers``: the
    ``optimize`` options of the ``Space-XNet-opt(-tp)`` rows (items of a dict; None: the best levers).
    ``workload``: served on each scheme's (first) deployment, its files relative to ``workload_source``,
    adding the serving metrics to the rows (:func:`.load.serve_deployments`).
    """

    start = time.perf_counter()
    try:
        setting = resolve_setting(spec, Path(source), snapshots=snapshots)
        compute = None if run.context_len is None else ComputeModel(satellite_gflops=spec.compute.satellite_gflops,
                                                                     context_len=run.context_len,
                                                                     include_lm_head=bool(spec.model.charge_lm_head))
        world, layers = scheme_world(setting, schemes, seeds=run.seeds, compute=compute)
        deployments: dict | None = None if workload is None else {}
        table = run_schemes(world, schemes, seeds=run.seeds, tokens=run.tokens, layers=layers, method=run.method,
                            levers=None if levers is None else dict(levers), keep=deployments)
        rows = _rows(world, table)
        if workload is not None:
            for scheme, serving in serve_deployments(world, deployments, workload, str(workload_source)).items():
                rows[scheme].update(serving)
        return {"rows": rows, "runtime_s": time.perf_counter() - start}
    except Exception as exc:  # a failing point is data: recorded, and the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return {"error": f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})",
                "runtime_s": time.perf_counter() - start}
