"""Workload files (TOML): who asks the served model for what, and when (``spacexnet serve``).

Format ``spacexnet-workload``, version 1. A workload gives the arrival process
of requests, their prompt and output lengths, where they come from, how many
there are (a count or a duration), the seed, the gateway batching and the SLO
targets; ``docs/serving.md`` is the reference. The smallest file::

    format = "spacexnet-workload"
    version = 1
    name = "poisson"

    [arrivals]
    process = "poisson"
    rate = 0.5

    [requests]
    duration_s = 600

Lengths default to a 512-token prompt and 128 output tokens; origins to the
first gateway. Every count that multiplies work has a ceiling
(:data:`MAX_REQUESTS`, :data:`MAX_LENGTH`), checked at load with the estimate;
the simulated events are checked against :data:`MAX_EVENTS` once the
deployment is known (:func:`check_events`).

>>> w = parse_workload(_EXAMPLE, source="w.toml")
>>> w.arrivals.rate, w.requests.duration_s, w.prompt.kind, w.output.value, w.batching.max_batch
(0.5, 600.0, 'fixed', 128, 1)
>>> parse_workload(_EXAMPLE.replace("0.5", "-1"), source="w.toml")
Traceback (most recent call last):
...
spacexnet_opt.errors.FileFormatError: w.toml: arrivals.rate: Input should be greater than 0 ...
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ..errors import FileFormatError, ResourceError
from ..fileio import parse_toml, read_text
from .schema import PositiveValue, NonNegativeValue, StrictModel, validate_document

__all__ = ["WORKLOAD_FORMAT", "WORKLOAD_VERSION", "MAX_REQUESTS", "MAX_LENGTH", "MAX_EVENTS", "Arrivals", "Requests",
           "Lengths", "GroundPoint", "Origins", "Batching", "Slo", "Workload", "parse_workload", "load_workload",
           "check_events"]

WORKLOAD_FORMAT = "spacexnet-workload"
WORKLOAD_VERSION = 1

MAX_REQUESTS = 1_000_000
"""Most requests of one simulation (drawn up front: a few hundred bytes each)."""

MAX_LENGTH = 131_072
"""Longest prompt or output, in tokens (a prefill samples one activated set per prompt token and layer)."""

MAX_EVENTS = 200_000_000
"""Ceiling of simulated events (server jobs) of one run: at the measured 0.6-1 microsecond an event
(``bench/bench_serve.py``), about 2-4 minutes."""

_EXAMPLE = ('format = "spacexnet-workload"\nversion = 1\nname = "poisson"\n[arrivals]\nprocess = "poisson"\n'
            'rate = 0.5\n[requests]\nduration_s = 600\n')


class Arrivals(StrictModel):
    """Poisson (``rate`` per second), gamma renewal (``rate`` and ``cv`` of the gaps) or timestamps from ``file``."""

    process: Literal["poisson", "gamma", "file"] = "poisson"
    rate: PositiveValue | None = None
    cv: PositiveValue | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _fields_of_process(self) -> "Arrivals":
        need = {"poisson": {"rate"}, "gamma": {"rate", "cv"}, "file": {"file"}}[self.process]
        given = {k for k in ("rate", "cv", "file") if getattr(self, k) is not None}
        if need - given:
            raise ValueError(f"process {self.process!r} needs {', '.join(sorted(need - given))}")
        if given - need:
            raise ValueError(f"process {self.process!r} takes no {', '.join(sorted(given - need))}")
        return self


class Requests(StrictModel):
    """How many requests: a ``count``, or every arrival within ``duration_s`` (one of them; a file may give neither)."""

    count: int | None = Field(default=None, ge=1)
    duration_s: PositiveValue | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> "Requests":
        if self.count is not None and self.duration_s is not None:
            raise ValueError("give count or duration_s, not both")
        return self


class Lengths(StrictModel):
    """Token counts: ``fixed`` (value), ``uniform`` (low..high inclusive), ``lognormal`` (mean, cv; clipped to
    1..max, default 8 x mean) or one integer a line from ``file`` (drawn with replacement)."""

    kind: Literal["fixed", "uniform", "lognormal", "file"] = "fixed"
    value: int | None = Field(default=None, ge=1, le=MAX_LENGTH)
    low: int | None = Field(default=None, ge=1, le=MAX_LENGTH)
    high: int | None = Field(default=None, ge=1, le=MAX_LENGTH)
    mean: float | None = Field(default=None, ge=1, le=MAX_LENGTH, allow_inf_nan=False)
    cv: PositiveValue | None = None
    max: int | None = Field(default=None, ge=1, le=MAX_LENGTH)
    file: str | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> "Lengths":
        need = {"fixed": {"value"}, "uniform": {"low", "high"}, "lognormal": {"mean", "cv"}, "file": {"file"}}[self.kind]
        optional = {"max"} if self.kind == "lognormal" else set()
        given = {k for k in ("value", "low", "high", "mean", "cv", "max", "file") if getattr(self, k) is not None}
        if need - given:
            raise ValueError(f"kind {self.kind!r} needs {', '.join(sorted(need - given))}")
        if given - need - optional:
            raise ValueError(f"kind {self.kind!r} takes no {', '.join(sorted(given - need - optional))}")
        if self.kind == "uniform" and self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.kind == "lognormal" and self.cap < self.mean:
            raise ValueError(f"max ({self.cap}) is below the mean ({self.mean:g})")
        return self

    @property
    def cap(self) -> int:
        """Largest length this law draws (files: checked when read)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return self.high
        if self.kind == "lognormal":
            return self.max if self.max is not None else min(MAX_LENGTH, math.ceil(8 * self.mean))
        return MAX_LENGTH


class GroundPoint(StrictModel):
    """A ground point (degrees) and its share of the requests (weights are normalised)."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=360, allow_inf_nan=False)
    weight: PositiveValue = 1.0
    name: str = ""


class Origins(StrictModel):
    """``first-gateway`` (requests appear at layer 0's gateway) or ``ground`` points reaching the nearest
    satellite above ``elevation_mask_deg``."""

    kind: Literal["first-gateway", "ground"] = "first-gateway"
    points: list[GroundPoint] = Field(default_factory=list, max_length=10_000)
    elevation_mask_deg: float = Field(default=25.0, ge=0, lt=90, allow_inf_nan=False)

    @model_validator(mode="after")
    def _points_iff_ground(self) -> "Origins":
        if (self.kind == "ground") != bool(self.points):
            raise ValueError("ground origins need [[origins.points]]; first-gateway takes none")
        return self


class Batching(StrictModel):
    """Iteration-level batching at the first gateway: a batch leaves when it holds ``max_batch`` sequences or
    ``window_s`` after its first one arrived; ``max_active`` caps the sequences admitted at once."""

    max_batch: int = Field(default=1, ge=1, le=4096)
    window_s: NonNegativeValue = 0.0
    max_active: int | None = Field(default=None, ge=1, le=MAX_REQUESTS)


class Slo(StrictModel):
    """Targets a request meets when its TTFT and its TPOT are at most these (seconds)."""

    ttft_s: PositiveValue | None = None
    tpot_s: PositiveValue | None = None


class Workload(StrictModel):
    """A ``spacexnet-workload`` file (see the module docstring)."""

    format: Literal["spacexnet-workload"] = WORKLOAD_FORMAT
    version: Literal[1] = WORKLOAD_VERSION
    name: str = ""
    description: str = ""
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    arrivals: Arrivals
    requests: Requests = Requests()
    prompt: Lengths = Lengths(value=512)
    output: Lengths = Lengths(value=128)
    origins: Origins = Origins()
    batching: Batching = Batching()
    slo: Slo = Slo()

    @model_validator(mode="after")
    def _bounded(self) -> "Workload":
        if self.arrivals.process != "file":
            if self.requests.count is None and self.requests.duration_s is None:
                raise ValueError("requests: give count or duration_s")
            check_requests(self.arrivals.rate, self.requests.count, self.requests.duration_s)
        return self

    def with_rate(self, rate: float) -> "Workload":
        """The same workload at another arrival rate (``--rate``)."""
        if self.arrivals.process == "file":
            raise FileFormatError("a file of timestamps has no rate to override", field="arrivals.process")
        return self.model_copy(update={"arrivals": self.arrivals.model_copy(update={"rate": float(rate)})})


def check_requests(rate: float, count: int | None, duration_s: float | None, *, field: str = "requests") -> None:
    """Refuse more than :data:`MAX_REQUESTS` requests (expected ``rate x duration_s`` for a duration)."""
    n = count if count is not None else rate * duration_s
    if n > MAX_REQUESTS:
        how = f"{n:,.0f} requests" if count is not None else f"{rate:g}/s x {duration_s:g} s = {n:,.0f} requests"
        raise ResourceError(f"{how} exceeds the ceiling {MAX_REQUESTS:,}; lower the count, the duration or the rate",
                            field=field)


def check_events(n_events: float, *, field: str = "requests") -> None:
    """Refuse a simulation estimated at more than :data:`MAX_EVENTS` server jobs."""
    if n_events > MAX_EVENTS:
        raise ResourceError(f"about {n_events:,.0f} simulated events exceeds the ceiling {MAX_EVENTS:,}; lower the "
                            "number of requests or their lengths", field=field)


def parse_workload(text: str, *, source: str | os.PathLike = "<workload>") -> Workload:
    """Parse and validate workload TOML ``text``; errors name ``source`` and the field."""
    return validate_document(Workload, parse_toml(text, source=source), kind=WORKLOAD_FORMAT, version=WORKLOAD_VERSION, source=source)


def load_workload(path: str | os.PathLike) -> Workload:
    """Read and validate a workload file (bad TOML, an unknown key, a wrong value: one error naming the field)."""
    return parse_workload(read_text(path), source=Path(path))
