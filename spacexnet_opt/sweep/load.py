"""The ``workload.`` fields of a grid: load sweeps, the serving simulator run at every point.

A grid that names a workload (``workload = "workload-poisson.toml"``, a path
relative to the grid file or the name of a shipped one in ``instances/``, or an
inline ``[workload]`` table) serves it (:func:`spacexnet_opt.serve.serve`) on
every scheme's deployment at every point, and records TTFT, TPOT, throughput,
SLO attainment and the busiest satellite's utilisation beside the s/token
columns (:data:`~.db.SERVING_METRICS`). Fields under ``workload.`` are the
workload file's fields by their dotted path (``workload.arrivals.rate``,
``workload.batching.max_batch``) or by a short name (:data:`ALIASES`), so the
arrival rate is an axis like any other and each scheme's rows over it are its
throughput-latency curve (:func:`curves`). A random scheme serves its first
placement (seed 0).

>>> workload_field("workload.rate"), workload_field("workload.prompt.kind")
('arrivals.rate', 'prompt.kind')
>>> rows = [{"scheme": "S", "point_index": i, "a": a, "rate_per_s": r, "tokens_per_s": 10 * r,
...          "tpot_p99_s": 1 + r, "tpot_mean_s": 1.0, "ttft_p99_s": 2.0, "slo_attainment": None}
...         for i, (a, r) in enumerate([(1, 0.2), (1, 0.1), (2, 0.1)])]
>>> [(c.label, c.rate_per_s) for c in curves(rows)]
[('S a=1', (0.1, 0.2)), ('S a=2', (0.1,))]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..fileio import parse_toml, read_text
from ..formats.workload import WORKLOAD_FORMAT, WORKLOAD_VERSION, Workload
from ..formats.schema import validate_document
from ..serve.api import serve
from ..serve.inputs import inputs_from
from .db import KEY_COLUMNS, SERVING_METRICS, TAIL_COLUMNS

__all__ = ["WORKLOAD", "ALIASES", "Curve", "workload_field", "base_workload", "resolve_workload",
           "serve_deployments", "curves"]

WORKLOAD = "workload."
ALIASES = {"rate": "arrivals.rate", "cv": "arrivals.cv", "prompt": "prompt.value", "output": "output.value",
           "max_batch": "batching.max_batch", "window_s": "batching.window_s", "count": "requests.count",
           "duration_s": "requests.duration_s"}
"""Short names of the workload fields a load sweep varies most (``workload.rate`` = ``workload.arrivals.rate``)."""
RATE_FIELD = "arrivals.rate"


def workload_field(path: str) -> str:
    """The workload document's dotted field that grid field ``path`` (``workload.…``) sets."""
    field = path[len(WORKLOAD):]
    return ALIASES.get(field, field)


def base_workload(grid) -> tuple[dict, str] | tuple[None, None]:
    """The grid's workload as a document and the file its relative paths resolve against; ``(None, None)``
    when the grid names none.

    Raises
    ------
    InputError
        The workload file is missing or not TOML.
    """
    if grid.workload is None:
        return None, None
    if isinstance(grid.workload, dict):
        return {"format": WORKLOAD_FORMAT, "version": WORKLOAD_VERSION, **grid.workload}, str(grid.source)
    path = grid.workload_path()
    if not path.is_file():
        raise InputError(f"{path}: {'not a file' if path.exists() else 'file not found'} (a path relative to the "
                         "grid file, or the name of a workload in instances/)", field="workload", source=grid.source)
    return parse_toml(read_text(path), source=path), str(path)


def resolve_workload(data: dict, where: str, grid) -> Workload:
    """``data`` validated as a workload; a refusal names the point (``where``) and the workload field."""
    try:
        return validate_document(Workload, data, kind=WORKLOAD_FORMAT, version=WORKLOAD_VERSION, source=grid.source)
    except InputError as exc:
        raise type(exc)(f"workload.{exc.field}: {exc.message}", field=where, source=grid.source) from None


def _serving_row(result) -> dict:
    """The :data:`~.db.SERVING_METRICS` of one :class:`~spacexnet_opt.serve.ServeResult`."""
    m = result.metrics
    busiest = result.satellites[0] if result.satellites else {"satellite": None, "utilisation": 0.0}
    return {"rate_per_s": result.rate, "ttft_mean_s": m["ttft_s"]["mean"], "ttft_p99_s": m["ttft_s"]["p99"],
            "tpot_mean_s": m["tpot_s"]["mean"], "tpot_p99_s": m["tpot_s"]["p99"],
            "tokens_per_s": m["throughput"]["tokens_per_s"], "requests_per_s": m["throughput"]["requests_per_s"],
            "slo_attainment": m.get("slo", {}).get("attainment"), "completed": m["requests"]["completed"],
            "max_utilisation": busiest["utilisation"], "busiest_satellite": busiest["satellite"]}


def serve_deployments(world, deployments: dict, workload: Workload, source: str) -> dict[str, dict]:
    """Serve ``workload`` (its files relative to ``source``) on every ``{scheme: Deployment}`` of ``world``:
    ``{scheme: serving metrics}``, under the scenario's satellite memory."""
    compute = world.setting.spec.compute
    memory = world.setting.onboard.memory_gb if compute.has_memory else None
    bpp = float(compute.bytes_per_param or 2.0)
    return {name: _serving_row(serve(inputs_from(plan, world, memory_gb=memory, bytes_per_param=bpp), workload,
                                     source=source))
            for name, plan in deployments.items()}


@dataclass(frozen=True)
class Curve:
    """One throughput-latency curve: a label (the scheme, and the other parameters that differ) and, by
    offered rate, the measured tokens/s, TPOT (p99, mean), TTFT p99 and SLO attainment."""

    label: str
    rate_per_s: tuple
    tokens_per_s: tuple
    tpot_p99_s: tuple
    tpot_mean_s: tuple
    ttft_p99_s: tuple
    slo_attainment: tuple


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def curves(rows: list[dict], *, name: str = "scheme") -> list[Curve]:
    """The curves of ``rows`` (results rows, or ``spacexnet serve`` runs flattened alike) with serving metrics:
    one per ``rows[name]`` and combination of the parameters that vary but are not the rate itself (a
    column equal to ``rate_per_s`` on every row that has it), points in order of the offered rate."""
    rows = [r for r in rows if r.get("tokens_per_s") is not None]
    skip = {name, *KEY_COLUMNS, *TAIL_COLUMNS, *SERVING_METRICS}
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in skip]
    vary = [c for c in columns if len({repr(r.get(c)) for r in rows}) > 1
            and any(r.get(c) is not None and r.get(c) != r["rate_per_s"] for r in rows)]
    groups: dict[str, list[dict]] = {}
    for r in rows:
        label = " ".join([str(r[name]), *(f"{c}={r[c]}" for c in vary if r.get(c) is not None)])
        groups.setdefault(label, []).append(r)
    out = []
    for label, mine in groups.items():
        mine.sort(key=lambda r: _number(r["rate_per_s"]))
        out.append(Curve(label, *(tuple(_number(r.get(k)) for r in mine) for k in (
            "rate_per_s", "tokens_per_s", "tpot_p99_s", "tpot_mean_s", "ttft_p99_s", "slo_attainment"))))
    return out
