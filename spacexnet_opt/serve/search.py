"""The largest arrival rate whose p99 TPOT meets the workload's SLO (``spacexnet serve --max-rate-at-slo``).

Bracket, then bisect: from the workload's rate, double while the SLO holds
(or halve until it does), then halve the bracket ``iterations`` times. Every
run draws its requests from the same seed, so for a count of requests the
arrival times of two rates are the same times scaled (common random numbers):
the p99 TPOT is then close to monotone in the rate, but it is a simulation, not
a formula: the result is the largest rate *measured* to meet the SLO.

>>> meets = lambda rate: rate <= 0.3
>>> round(bracket_and_bisect(meets, 0.1, iterations=10), 4)
0.2998
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["bracket_and_bisect", "max_rate_at_slo", "MAX_STEPS"]

MAX_STEPS = 12
"""Doublings or halvings tried while bracketing (a factor 4,096 either way)."""


def bracket_and_bisect(meets, rate: float, *, iterations: int) -> float:
    """The largest rate found with ``meets(rate)`` true (0.0 when even ``rate / 2**MAX_STEPS`` fails)."""
    lo = hi = None
    for _ in range(MAX_STEPS):
        if meets(rate):
            lo, rate = rate, rate * 2
        else:
            hi, rate = rate, rate / 2
        if lo is not None and hi is not None:
            break
    if lo is None:
        return 0.0
    if hi is None:
        return lo
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if meets(mid):
            lo = mid
        else:
            hi = mid
    return lo


def max_rate_at_slo(serve, inputs, workload, *, source, model=None, iterations: int = 6, until_s=float("inf"),
                    progress=None):
    """``(rate, results)``: the largest rate meeting ``workload.slo.tpot_s`` at p99 when ``serve`` (the function
    :func:`~.api.serve`) runs it, and every run made (by rate)."""
    target = workload.slo.tpot_s
    if target is None:
        raise InputError("the workload sets no slo.tpot_s to search the rate for", field="--max-rate-at-slo")
    if workload.arrivals.process == "file":
        raise InputError("a file of timestamps has no rate to search", field="--max-rate-at-slo")
    runs = {}

    def meets(rate: float) -> bool:
        res = serve(inputs, workload.with_rate(rate), source=source, model=model, until_s=until_s)
        runs[rate] = res
        if progress is not None:
            progress("searching the rate", len(runs), len(runs) + 1)
        p99 = res.metrics["tpot_s"]["p99"]
        return p99 is not None and p99 <= target

    best = bracket_and_bisect(meets, float(workload.arrivals.rate), iterations=iterations)
    return best, [runs[r] for r in sorted(runs)]
