"""Serving metrics from a run's trace: latency statistics, throughput, SLO attainment, utilisation, queues.

TTFT is from the request's arrival (at the user) to its first token delivered
to the user; TPOT is ``(last - first) / (output - 1)`` of a request with at
least two output tokens; end-to-end latency is arrival to last token.
Throughput counts output tokens delivered over the run (``end_s``, the time
the last request finished or the horizon), and, closer to the steady state,
those delivered before the last arrival over that time. Little's law compares the
time-average number of requests in the system (integrated from the step
function of arrivals and departures) with ``arrival rate x mean time in
system``.

>>> summary(np.array([1.0, 2.0, 3.0, 4.0]))["p50"]
2.5
"""

from __future__ import annotations

import numpy as np

__all__ = ["summary", "serving_metrics", "satellite_rows", "QUEUE_POINTS"]

QUEUE_POINTS = 101
"""Samples of the queue lengths over the run."""


def summary(x: np.ndarray) -> dict:
    """Mean, p50, p90, p99 (and the count) of ``x``; ``None`` values when empty."""
    x = np.asarray(x, dtype=float)
    if not len(x):
        return {"count": 0, "mean": None, "p50": None, "p90": None, "p99": None}
    p50, p90, p99 = np.quantile(x, [0.5, 0.9, 0.99])
    return {"count": int(len(x)), "mean": float(x.mean()), "p50": float(p50), "p90": float(p90), "p99": float(p99)}


def _in_system_integral(arrival: np.ndarray, leave: np.ndarray, end: float) -> float:
    """Integral over [0, end] of the number of requests in the system, from the step function N(t)."""
    times = np.concatenate([arrival, leave])
    steps = np.concatenate([np.ones(len(arrival)), -np.ones(len(leave))])
    order = np.argsort(times, kind="stable")
    times, level = np.append(times[order], end), np.cumsum(steps[order])
    return float((level * np.diff(times)).sum())


def serving_metrics(requests, trace, *, slo=None, gflops=None) -> dict:
    """The JSON-ready metrics of ``trace`` (:class:`~.engine.Trace`) for ``requests`` (:class:`~.requests.RequestSet`)."""
    arrival, out = requests.arrival_s, requests.output
    end = trace.end_s
    done = np.isfinite(trace.done_s)
    ttft = (trace.first_s - arrival)[np.isfinite(trace.first_s)]
    multi = done & (out >= 2)
    tpot = (trace.done_s - trace.first_s)[multi] / (out[multi] - 1)
    e2e = (trace.done_s - arrival)[done]
    admitted = np.isfinite(trace.admitted_s)
    arrived = arrival <= end
    leave = np.where(done, trace.done_s, end)[arrived]
    in_system = _in_system_integral(arrival[arrived], leave, end) / end if end > 0 else 0.0
    lam = arrived.sum() / end if end > 0 else 0.0
    w = float((leave - arrival[arrived]).mean()) if arrived.any() else 0.0
    doc = {
        "requests": {"total": int(len(arrival)), "completed": int(done.sum()), "rejected": int(trace.rejected.sum()),
                     "pending_admitted": int((admitted & ~done).sum()),
                     "pending_waiting": int((~admitted & ~trace.rejected & arrived).sum()),
                     "not_arrived": int((~arrived).sum())},
        "ttft_s": summary(ttft), "tpot_s": summary(tpot), "e2e_s": summary(e2e),
        "tpot_ci95_s": _ci(tpot),
        "throughput": {"tokens_per_s": float(trace.tokens.sum() / end) if end > 0 else 0.0,
                       "requests_per_s": float(done.sum() / end) if end > 0 else 0.0,
                       "offered_requests_per_s": float(len(arrival) / arrival[-1]) if arrival[-1] > 0 else None,
                       "tokens": int(trace.tokens.sum()), "makespan_s": float(end),
                       "tokens_per_s_while_arriving": float(trace.window_tokens / arrival[-1]) if arrival[-1] > 0 else None},
        "littles_law": {"mean_in_system": in_system, "rate_times_mean_time": float(lam * w),
                        "ratio": float(in_system / (lam * w)) if lam * w > 0 else None},
        "batching": {"passes": int(trace.passes), "mean_rows_per_pass": trace.batched_rows / max(trace.passes, 1)},
        "events": int(trace.events),
    }
    if slo is not None and (slo.ttft_s is not None or slo.tpot_s is not None):
        ok = done.copy()
        with np.errstate(invalid="ignore"):
            if slo.ttft_s is not None:
                ok &= (trace.first_s - arrival) <= slo.ttft_s
            if slo.tpot_s is not None:
                ok &= ~multi | ((trace.done_s - trace.first_s) / np.maximum(out - 1, 1) <= slo.tpot_s)
        doc["slo"] = {"ttft_s": slo.ttft_s, "tpot_s": slo.tpot_s, "attainment": float(ok.mean())}
    doc["queues"] = _queues(arrival, trace, end)
    return doc


def _ci(x: np.ndarray) -> list | None:
    if len(x) < 2:
        return None
    half = 1.959963984540054 * x.std(ddof=1) / np.sqrt(len(x))
    return [float(x.mean() - half), float(x.mean() + half)]


def _queues(arrival, trace, end: float) -> dict:
    """Requests in the system, waiting for admission, and jobs queued at satellites, at evenly spaced times."""
    grid = np.linspace(0.0, end, QUEUE_POINTS)

    def count(times):
        times = np.sort(times[np.isfinite(times)])
        return np.searchsorted(times, grid, side="right")

    left = np.where(trace.rejected, arrival, trace.done_s)
    admitted_or_gone = np.where(trace.rejected, arrival, trace.admitted_s)
    waited = trace.waits[:, 1] - trace.waits[:, 0]
    return {"jobs_that_waited": int(len(waited)), "total_job_wait_s": float(waited.sum()),
            "time_s": grid.tolist(), "in_system": (count(arrival) - count(left)).tolist(),
            "waiting_admission": (count(arrival) - count(admitted_or_gone)).tolist(),
            "queued_jobs": (count(trace.waits[:, 0]) - count(trace.waits[:, 1])).tolist()}


def satellite_rows(trace, model, *, top: int | None = None) -> list:
    """Per satellite that did work: utilisation, jobs and peak memory (GB), busiest first."""
    used = np.flatnonzero(trace.jobs > 0)
    util = trace.busy_s[used] / trace.end_s if trace.end_s > 0 else np.zeros(len(used))
    order = np.argsort(-util, kind="stable")[:top]
    peak = (model.weights + trace.peak_kv)[used]
    return [{"satellite": int(used[i]), "utilisation": float(util[i]), "jobs": int(trace.jobs[used[i]]),
             "peak_memory_gb": float(peak[i] / 1e9)} for i in order]
