"""Serve a workload on several disjoint rings at once (a fleet of model replicas): one arrival stream split
over the rings, each ring simulated on its own requests, the metrics pooled.

Rings of a fleet share no satellite (:func:`spacexnet_opt.optimize.fleet.check_disjoint`), and the
simulator's links are not queues, so the rings do not interact: simulating each on its own share of the
requests is the same run as simulating them together. Each request goes to ring ``r`` with probability
``split[r]`` (a split Poisson stream is Poisson). Pooled: TTFT and TPOT over every request of every ring,
tokens/s as all tokens over the latest ring's end.

>>> reqs = RequestSet(np.arange(6.0), np.ones(6, int), np.full(6, 4), np.full(6, -1))
>>> [p.arrival_s.tolist() for p in split_requests(reqs, np.array([0.5, 0.5]), seed=0)]
[[1.0, 2.0, 4.0, 5.0], [0.0, 3.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..progress import Progress, no_progress
from .api import ServeResult, serve_model
from .metrics import summary
from .requests import RequestSet, draw_requests
from .search import bracket_and_bisect

__all__ = ["FleetRun", "serve_fleet", "fleet_max_rate", "split_requests", "zero_load_tpot",
           "with_count"]

_SPLIT_STREAM = 97
"""Random stream (with the workload's seed) that sends requests to rings."""


@dataclass(frozen=True, eq=False)
class FleetRun:
    """One rate on a fleet: pooled ``ttft_s`` and ``tpot_s`` summaries, output tokens/s, and each ring's
    :class:`~.api.ServeResult`."""

    rate: float
    ttft_s: dict
    tpot_s: dict
    tokens_per_s: float
    completed: int
    requests: int
    rings: list

    def to_json(self) -> dict:
        return {"rate_per_s": self.rate, "ttft_s": self.ttft_s, "tpot_s": self.tpot_s,
                "tokens_per_s": self.tokens_per_s, "completed": self.completed, "requests": self.requests,
                "rings": [{"deployment": r.name, "tokens_per_s": r.metrics["throughput"]["tokens_per_s"],
                           "tpot_p99_s": r.metrics["tpot_s"]["p99"],
                           "busiest": r.satellites[0] if r.satellites else None} for r in self.rings]}


def split_requests(requests: RequestSet, split: np.ndarray, seed: int) -> list[RequestSet]:
    """``requests`` dealt to rings with probabilities ``split`` (seeded), arrival times kept."""
    ring = np.random.default_rng([seed, _SPLIT_STREAM]).choice(len(split), size=len(requests), p=split)
    return [RequestSet(requests.arrival_s[ring == r], requests.prompt[ring == r], requests.output[ring == r],
                       requests.origin[ring == r]) for r in range(len(split))]


def _request_times(res: ServeResult, requests: RequestSet) -> tuple[np.ndarray, np.ndarray]:
    t, out = res.trace, requests.output
    ttft = (t.first_s - requests.arrival_s)[np.isfinite(t.first_s)]
    multi = np.isfinite(t.done_s) & (out >= 2)
    return ttft, (t.done_s - t.first_s)[multi] / (out[multi] - 1)


def with_count(workload, count: int):
    """``workload`` cut to its first ``count`` requests (a short serving horizon)."""
    return workload.model_copy(update={"requests": workload.requests.model_copy(
        update={"count": int(count), "duration_s": None})})


def zero_load_tpot(models, workload, *, lone: int = 6) -> float:
    """Mean TPOT of ``lone`` requests per ring of the workload's first lengths, spaced so that they never
    meet (each starts after the previous one's end, measured) and spread over the snapshots."""
    w = with_count(workload, 1)
    first = draw_requests(w)
    tpots = []
    for model in models:
        single = serve_model(model, first, seed=w.seed)
        gap = 2.0 * float(single.trace.done_s[0]) + model.interval_s * (model.n_snapshots > 1) / 3
        spaced = RequestSet(np.arange(lone) * gap, np.repeat(first.prompt, lone), np.repeat(first.output, lone),
                            np.full(lone, -1))
        tpots.append(_request_times(serve_model(model, spaced, seed=w.seed), spaced)[1])
    return float(np.concatenate(tpots).mean())


def serve_fleet(models, split, workload, *, rate: float, source="<workload>",
                progress: Progress = no_progress) -> FleetRun:
    """Serve ``workload`` at ``rate`` requests/s on the rings ``models`` (serving models) split by ``split``."""
    w = workload.with_rate(rate)
    parts = split_requests(draw_requests(w, source=source), np.asarray(split, float), w.seed)
    runs, ttfts, tpots = [], [], []
    for r, (model, part) in enumerate(zip(models, parts)):
        progress("serving the rings", r, len(models))
        if not len(part):
            continue
        res = serve_model(model, part, seed=w.seed + r, batching=w.batching, slo=w.slo, rate=rate * split[r])
        ttft, tpot = _request_times(res, part)
        runs.append(res)
        ttfts.append(ttft)
        tpots.append(tpot)
    progress("serving the rings", len(models), len(models))
    end = max(r.trace.end_s for r in runs)
    tokens = sum(int(r.trace.tokens.sum()) for r in runs)
    completed = sum(int(np.isfinite(r.trace.done_s).sum()) for r in runs)
    return FleetRun(rate, summary(np.concatenate(ttfts)), summary(np.concatenate(tpots)),
                    tokens / end if end > 0 else 0.0, completed, sum(len(p) for p in parts), runs)


def fleet_max_rate(models, split, workload, *, tpot_s: float, start: float, iterations: int = 4,
                   ttft_s: float | None = None, max_rate: float = float("inf"), source="<workload>",
                   progress: Progress = no_progress) -> tuple[float, list]:
    """``(rate, runs)``: the largest total rate measured with pooled p99 TPOT at most ``tpot_s`` and p99 TTFT
    at most ``ttft_s`` (None: any), bracketed from ``start`` and bisected ``iterations`` times
    (:func:`~.search.bracket_and_bisect`); every run made, by rate. Every request must complete: a run of a
    fixed count of requests at a rate far above capacity only queues, and its TTFT shows it. A rate above
    ``max_rate`` (the capacity bound: some satellite would be busy more than all the time) fails unsimulated:
    a short run cannot show that such a rate is not sustained."""
    runs: dict = {}

    def meets(rate: float) -> bool:
        if rate > max_rate:
            return False
        run = serve_fleet(models, split, workload, rate=rate, source=source)
        runs[rate] = run
        progress("searching the rate", len(runs), len(runs) + 1)
        p99, first = run.tpot_s["p99"], run.ttft_s["p99"]
        return (run.completed == run.requests and p99 is not None and p99 <= tpot_s
                and (ttft_s is None or first <= ttft_s))

    best = bracket_and_bisect(meets, start, iterations=iterations)
    return best, [runs[r] for r in sorted(runs)]
