"""Serve a workload on a deployment: :func:`serve` (in memory) and :func:`serve_file` (the CLI's entry).

>>> import numpy as np
>>> from spacexnet_opt.serve.model import ServeModel
>>> from spacexnet_opt.serve.requests import RequestSet
>>> from spacexnet_opt.evaluate.sets import TraceLaw
>>> m = ServeModel(1, 1, [0], [1.0, 1.0], float("inf"), 1, 0.0, 1.0, [(2.0, 0.0)], [None], [[[0.5]]], [[[0.5]]],
...                [[[1]]], [TraceLaw([[0]])], None, np.zeros(2), np.zeros(2), None)
>>> one = RequestSet(np.array([0.0]), np.array([1]), np.array([3]), np.array([-1]))
>>> res = serve_model(m, one)
>>> res.metrics["ttft_s"]["mean"], res.metrics["tpot_s"]["mean"]   # 2 s gateway + 0.5 + 1 s expert + 0.5 each token
(4.0, 4.0)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..formats.workload import Workload, check_events
from ..progress import Progress, no_progress
from .model import ServeModel, build_model
from .requests import RequestSet, draw_requests

__all__ = ["ServeResult", "serve", "serve_model", "serve_file", "estimate_events"]


@dataclass(frozen=True, eq=False)
class ServeResult:
    """One run: the deployment's name, the arrival rate (None for a file of timestamps), the metrics, the
    busiest satellites (utilisation, jobs, peak memory) and the engine's per-request :class:`~.engine.Trace`."""

    name: str
    rate: float | None
    metrics: dict
    satellites: list
    trace: object = None

    def to_json(self) -> dict:
        return {"deployment": self.name, "rate_per_s": self.rate, **self.metrics, "satellites": self.satellites}


def estimate_events(model: ServeModel, requests: RequestSet) -> float:
    """Server jobs a run takes, about: every pass and layer one gateway job per round member plus its experts."""
    k = max(law.k for law in model.laws)
    per_layer = np.mean([1 + (0 if g is None else len(g.members) * len(g.rounds)) for g in model.groups]) + k
    passes = float(requests.output.sum())
    return passes * model.n_layers * per_layer


def serve_model(model: ServeModel, requests: RequestSet, *, seed: int = 0, batching=None, slo=None,
                until_s: float = float("inf"), rate: float | None = None, engine: str = "heap",
                progress: Progress = no_progress) -> ServeResult:
    """Simulate ``requests`` on ``model`` with the ``engine`` ``"heap"`` (:mod:`.engine`) or ``"simpy"``
    (:mod:`.reference`)."""
    from .metrics import satellite_rows, serving_metrics

    check_events(estimate_events(model, requests))
    options = {} if batching is None else {"max_batch": batching.max_batch, "window_s": batching.window_s,
                                           "max_active": batching.max_active}
    if engine == "simpy":
        from .reference import run
    else:
        from .engine import run
    trace = run(model, requests, seed=seed, until_s=until_s, progress=progress, **options)
    return ServeResult(model.name, rate, serving_metrics(requests, trace, slo=slo),
                       satellite_rows(trace, model, top=None), trace)


def serve(inputs, workload: Workload, *, source: str | os.PathLike = "<workload>", until_s: float = float("inf"),
          engine: str = "heap", model: ServeModel | None = None, progress: Progress = no_progress) -> ServeResult:
    """Serve ``workload`` (from file ``source``) on ``inputs`` (:func:`~.inputs.load_inputs`)."""
    o = workload.origins
    if model is None:
        model = build_model(inputs, points=[(p.lat, p.lon) for p in o.points], mask_deg=o.elevation_mask_deg)
    requests = draw_requests(workload, source=source)
    rate = workload.arrivals.rate
    return serve_model(model, requests, seed=workload.seed, batching=workload.batching, slo=workload.slo,
                       until_s=until_s, rate=rate, engine=engine, progress=progress)


def serve_file(deployment: str | os.PathLike, workload_path: str | os.PathLike, *, rates=None,
               until_s: float = float("inf"), search: bool = False, progress: Progress = no_progress):
    """Serve the workload file on the deployment file, once per rate of ``rates`` (default: the workload's):
    a list of :class:`ServeResult`. With ``search``: ``(rate, results)`` of :func:`.search.max_rate_at_slo`."""
    from ..formats.workload import load_workload
    from .inputs import load_inputs

    workload = load_workload(workload_path)
    variants = [workload] if not rates else [workload.with_rate(r) for r in rates]
    progress("building the world", 0, 1)
    inputs = load_inputs(deployment)
    o = workload.origins
    try:
        model = build_model(inputs, points=[(p.lat, p.lon) for p in o.points], mask_deg=o.elevation_mask_deg)
    except InputError as exc:
        if exc.source is not None or not (exc.field or "").startswith("origins"):
            raise
        raise InputError(exc.message, field=exc.field, source=workload_path) from None
    progress("building the world", 1, 1)
    if search:
        from .search import max_rate_at_slo

        return max_rate_at_slo(serve, inputs, workload, source=workload_path, model=model, until_s=until_s,
                               progress=progress)
    return [serve(inputs, w, source=workload_path, until_s=until_s, model=model, progress=progress) for w in variants]
