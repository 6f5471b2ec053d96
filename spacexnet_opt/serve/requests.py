"""The requests of a workload, drawn up front: arrival times, prompt and output lengths, origins.

Draws come from ``numpy.random.default_rng([seed, stream])`` with one stream
per quantity, so changing the length law leaves the arrival times unchanged.
Files (timestamps, lengths) are one number a line, relative to the workload
file; a bad line is one error naming the file and the line.

>>> from spacexnet_opt.formats.workload import parse_workload
>>> text = ('format = "spacexnet-workload"\\nversion = 1\\n[arrivals]\\nprocess = "poisson"\\nrate = 2.0\\n'
...         '[requests]\\ncount = 4000\\n[output]\\nkind = "uniform"\\nlow = 10\\nhigh = 20\\n')
>>> r = draw_requests(parse_workload(text))
>>> len(r), bool(abs(r.arrival_s[-1] / 4000 - 0.5) < 0.03), int(r.output.min()), int(r.output.max())
(4000, True, 10, 20)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, InputError
from ..fileio import read_text
from ..formats.workload import MAX_LENGTH, MAX_REQUESTS, Lengths, Workload, check_requests

__all__ = ["RequestSet", "draw_requests"]


@dataclass(frozen=True, eq=False)
class RequestSet:
    """Arrays (n,): arrival time (s), prompt and output tokens, origin point index (-1: the first gateway)."""

    arrival_s: np.ndarray
    prompt: np.ndarray
    output: np.ndarray
    origin: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_s)


def _numbers(path: Path, field: str, *, integer: bool) -> np.ndarray:
    """The numbers of a one-number-a-line file (blank lines and ``#`` comments skipped)."""
    values = []
    for no, line in enumerate(read_text(path).splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise FileFormatError(f"{field}: not {'an integer' if integer else 'a number'}: {text[:40]!r}",
                                  source=path, line=no) from None
        if not (np.isfinite(value) and value >= (1 if integer else 0)) or (integer and value > MAX_LENGTH):
            rule = f"from 1 to {MAX_LENGTH:,}" if integer else "finite and >= 0"
            raise FileFormatError(f"{field}: must be {rule}, got {text[:40]}", source=path, line=no)
        values.append(value)
        if len(values) > MAX_REQUESTS:
            raise FileFormatError(f"{field}: more than {MAX_REQUESTS:,} values", source=path, line=no)
    if not values:
        raise FileFormatError(f"{field}: the file holds no values", source=path)
    return np.asarray(values, dtype=np.int64 if integer else float)


def _arrivals(w: Workload, base: Path, rng: np.random.Generator) -> np.ndarray:
    a, req = w.arrivals, w.requests
    if a.process == "file":
        times = _numbers(base / a.file, "arrivals.file", integer=False)
        if (np.diff(times) < 0).any():
            raise FileFormatError("arrivals.file: timestamps must not decrease", source=base / a.file,
                                  line=int(np.argmax(np.diff(times) < 0)) + 2)
        if req.duration_s is not None:
            times = times[times < req.duration_s]
        return times[:req.count] if req.count is not None else times
    check_requests(a.rate, req.count, req.duration_s, field="arrivals.rate")
    shape = 1.0 if a.process == "poisson" else 1.0 / a.cv ** 2  # gamma gaps of mean 1/rate and the given cv
    if req.count is not None:
        return np.cumsum(rng.gamma(shape, 1.0 / (shape * a.rate), req.count))
    times, start = [], 0.0
    while start < req.duration_s:  # blocks of the expected count, until past the duration
        block = np.cumsum(rng.gamma(shape, 1.0 / (shape * a.rate), int(a.rate * req.duration_s) + 16)) + start
        times.append(block)
        start = block[-1]
    times = np.concatenate(times)
    return times[times < req.duration_s]


def _lengths(law: Lengths, n: int, base: Path, field: str, rng: np.random.Generator) -> np.ndarray:
    if law.kind == "fixed":
        return np.full(n, law.value, dtype=np.int64)
    if law.kind == "uniform":
        return rng.integers(law.low, law.high + 1, size=n)
    if law.kind == "lognormal":
        sigma2 = np.log1p(law.cv ** 2)
        draws = rng.lognormal(np.log(law.mean) - sigma2 / 2, np.sqrt(sigma2), size=n)
        return np.clip(np.rint(draws), 1, law.cap).astype(np.int64)
    pool = _numbers(base / law.file, f"{field}.file", integer=True)
    return pool[rng.integers(len(pool), size=n)]


def draw_requests(w: Workload, *, source: str | os.PathLike = "<workload>") -> RequestSet:
    """The requests of workload ``w`` (``source``: its file, for the relative paths inside it)."""
    base = Path(source).parent
    arrival = _arrivals(w, base, np.random.default_rng([w.seed, 0]))
    n = len(arrival)
    if n == 0:
        raise InputError("draws no request (raise the duration or the rate)", field="requests", source=source)
    prompt = _lengths(w.prompt, n, base, "prompt", np.random.default_rng([w.seed, 1]))
    output = _lengths(w.output, n, base, "output", np.random.default_rng([w.seed, 2]))
    if w.origins.kind == "ground":
        weights = np.array([p.weight for p in w.origins.points])
        origin = np.random.default_rng([w.seed, 3]).choice(len(weights), size=n, p=weights / weights.sum())
    else:
        origin = np.full(n, -1, dtype=np.int64)
    return RequestSet(arrival, prompt, output, origin)
