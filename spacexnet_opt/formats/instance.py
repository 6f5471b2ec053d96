"""Instance files: one expert-placement subproblem per MoE layer.

Format ``spacexnet-instance``, version 1. Written by ``spacexnet build`` (the
layer partitioner), read by every solver backend and by ``spacexnet evaluate``.
The required fields per layer are those of the issue tracker's contract; richer
optional fields may be added, these names stay.

>>> layer = LayerSubproblem(layer=0, gateway=16, next_gateway=49, k=1,
...     satellites=[3, 5], tau_s=[0.01, 0.02], activation=[1.0])
>>> layer.n_experts, layer.n_candidates
(1, 2)
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from ..fileio import write_text_atomic
from .schema import MAX_ID, NonNegativeValue, PositiveValue, Probability, SatelliteId, StrictModel, load_document

__all__ = ["INSTANCE_FORMAT", "INSTANCE_VERSION", "Trace", "LayerSubproblem", "Instance", "load_instance",
           "dumps_instance", "save_instance"]

INSTANCE_FORMAT = "spacexnet-instance"
INSTANCE_VERSION = 1


class Trace(StrictModel):
    """A token trace of one layer: the activated expert sets and their weights.

    Each set lists distinct experts; ``weights`` (default: one per set) are
    non-negative with a positive sum and are read as relative frequencies.
    """

    sets: list[list[Annotated[int, Field(ge=0, le=MAX_ID)]]]
    weights: list[NonNegativeValue] | None = None

    @model_validator(mode="after")
    def _check(self) -> "Trace":
        if self.weights is not None:
            if len(self.weights) != len(self.sets):
                raise ValueError(f"weights has {len(self.weights)} entries but sets has {len(self.sets)}")
            if self.weights and not sum(self.weights) > 0:
                raise ValueError("weights must not be all zero")
        for t, s in enumerate(self.sets):
            if len(set(s)) != len(s):
                raise ValueError(f"sets[{t}] names an expert twice")
        return self


class LayerSubproblem(StrictModel):
    """The placement subproblem of one MoE layer inside its subnet.

    Optional per-candidate ``gflops`` (effective speed) and ``memory_gb`` come
    from a per-satellite compute model; with it, ``cost[i][c]`` is
    ``activation[i] * (tau_s[c] + expert_gflop[i] / gflops[c])`` (seconds).
    Candidates too small for an expert are left out, never priced.
    """

    layer: int = Field(ge=0, le=MAX_ID)
    gateway: SatelliteId
    next_gateway: SatelliteId
    k: int = Field(ge=1)
    satellites: list[SatelliteId]
    tau_s: list[NonNegativeValue]
    activation: list[Probability]
    coactivation: list[list[Probability]] | None = None
    cost: list[list[NonNegativeValue]] | None = None
    disconnect_prob: list[Probability] | None = None
    expert_gflop: list[PositiveValue] | None = None
    gflops: list[PositiveValue] | None = None
    memory_gb: list[PositiveValue] | None = None
    trace: Trace | None = None

    @property
    def n_experts(self) -> int:
        return len(self.activation)

    @property
    def n_candidates(self) -> int:
        return len(self.satellites)

    @model_validator(mode="after")
    def _check(self) -> "LayerSubproblem":
        e, n = self.n_experts, self.n_candidates
        if len(self.tau_s) != n:
            raise ValueError(f"tau_s has {len(self.tau_s)} entries but satellites has {n}")
        if len(set(self.satellites)) != n:
            raise ValueError("satellites contains duplicate ids")
        if self.gateway in self.satellites:
            raise ValueError(f"gateway {self.gateway} is also listed as a candidate")
        if e > n:
            raise ValueError(f"layer {self.layer} has {e} experts but only {n} candidate satellites")
        if not 1 <= self.k <= e:
            raise ValueError(f"k={self.k} must be between 1 and the number of experts ({e})")
        if abs(sum(self.activation) - self.k) > 1e-6 * max(1, self.k):
            raise ValueError(f"activation sums to {sum(self.activation):.6g}, expected k={self.k}")
        if self.coactivation is not None and (len(self.coactivation) != e or any(len(r) != e for r in self.coactivation)):
            raise ValueError(f"coactivation must be {e} x {e}")
        if self.cost is not None and (len(self.cost) != e or any(len(r) != n for r in self.cost)):
            raise ValueError(f"cost must be {e} x {n} (experts x candidates)")
        for name in ("disconnect_prob", "gflops", "memory_gb"):
            vals = getattr(self, name)
            if vals is not None and len(vals) != n:
                raise ValueError(f"{name} must have one entry per candidate ({n})")
        if self.expert_gflop is not None and len(self.expert_gflop) != e:
            raise ValueError(f"expert_gflop must have one entry per expert ({e})")
        if self.trace is not None and any(not all(0 <= i < e for i in s) for s in self.trace.sets):
            raise ValueError(f"trace.sets refers to an expert outside 0..{e - 1}")
        if self.trace is not None and any(len(s) > self.k for s in self.trace.sets):
            raise ValueError(f"trace.sets has a set of more than k={self.k} experts")
        return self


class Instance(StrictModel):
    """A whole instance file: the scenario it was built from and one subproblem per layer."""

    format: Literal["spacexnet-instance"] = INSTANCE_FORMAT
    version: Literal[1] = INSTANCE_VERSION
    scenario: dict[str, Any]
    layers: list[LayerSubproblem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_layers(self) -> "Instance":
        numbers = [layer.layer for layer in self.layers]
        if len(set(numbers)) != len(numbers):
            twice = next(n for n in numbers if numbers.count(n) > 1)
            raise ValueError(f"layer {twice} is listed twice")
        return self


def load_instance(path: str | os.PathLike) -> Instance:
    """Load and validate an instance file.

    Raises
    ------
    spacexnet_opt.errors.FileFormatError
        Naming the file and the field, for any malformed, foreign or future-version file.
    """
    return load_document(Instance, path, kind=INSTANCE_FORMAT, version=INSTANCE_VERSION)


def dumps_instance(instance: Instance) -> str:
    """Compact, deterministic JSON text of an instance: header and scenario, then one line per layer."""
    doc = instance.model_dump(mode="json", exclude_none=True)
    compact = dict(separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    head = {k: v for k, v in doc.items() if k != "layers"}
    lines = [json.dumps(layer, **compact) for layer in doc["layers"]]
    return json.dumps(head, **compact)[:-1] + ',"layers":[\n' + ",\n".join(lines) + "\n]}\n"


def save_instance(instance: Instance, path: str | os.PathLike) -> None:
    """Write an instance file atomically in the compact format of :func:`dumps_instance`."""
    write_text_atomic(path, dumps_instance(instance))
