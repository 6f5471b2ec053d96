"""Deployment files: the whole deployment of a model on a constellation, evaluable on its own.

Format ``spacexnet-deployment``, version 1, written by ``spacexnet optimize``
and ``spacexnet convert`` and read by ``spacexnet evaluate DEPLOYMENT``. It
names the scenario (or instance) file it was made for, with the file's SHA-256,
and per MoE layer the gateway, the next layer's gateway and, for expert ``i``,
the list of satellites holding a copy of it (one id without replication).
Every decision (gateways, subnet shape, expert placement, replication) records
its method and objective; ``predicted`` holds the s/token the optimiser
expected, which ``evaluate`` must reproduce within its Monte Carlo interval.

``compute_group`` (optional, per layer): the satellites sharing the layer's
non-expert work and their shares (:mod:`spacexnet_opt.evaluate.compute_group`);
absent, the gateway computes it alone.

>>> layer = DeploymentLayer(layer=0, gateway=4, next_gateway=4, experts=[[1], [2, 7]], method="sorted",
...                         objective=0.01)
>>> layer.n_copies
3
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import InputError
from ..status import Status
from ..fileio import check_input_file, file_sha256, write_json_atomic
from .schema import MAX_ID, SHARE_TOLERANCE, SatelliteId, StrictModel, load_document

__all__ = ["DEPLOYMENT_FORMAT", "DEPLOYMENT_VERSION", "GroupEntry", "ScenarioRef", "Decision", "DeploymentLayer", "Predicted",
           "DeploymentFile", "load_deployment", "save_deployment", "file_sha256", "scenario_ref",
           "resolve_scenario"]

DEPLOYMENT_FORMAT = "spacexnet-deployment"
DEPLOYMENT_VERSION = 1


class GroupEntry(StrictModel):
    """A layer's compute group: member satellites and their shares (each positive, summing to 1 within
    :data:`SHARE_TOLERANCE`)."""

    members: list[SatelliteId] = Field(min_length=1)
    shares: list[float] = Field(min_length=1)

    @field_validator("members")
    @classmethod
    def _distinct(cls, members: list[int]) -> list[int]:
        if len(set(members)) != len(members):
            raise ValueError("lists one satellite twice")
        return members

    @field_validator("shares")
    @classmethod
    def _sum_to_one(cls, shares: list[float]) -> list[float]:
        if abs(math.fsum(shares) - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"shares must sum to 1 (within {SHARE_TOLERANCE:g}), got {math.fsum(shares):.9g}")
        if not all(w > 0 for w in shares):
            raise ValueError("shares must be positive")
        return shares

    @model_validator(mode="after")
    def _one_share_per_member(self) -> "GroupEntry":
        if len(self.members) != len(self.shares):
            raise ValueError(f"needs one share per member, got {len(self.members)} members and "
                             f"{len(self.shares)} shares")
        return self


class ScenarioRef(StrictModel):
    """The file a deployment runs on: a scenario (``.toml``) or an instance (JSON) with its scenario block."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    kind: Literal["scenario", "instance"]


def scenario_ref(path: str | os.PathLike, *, relative_to: str | os.PathLike | None = None) -> ScenarioRef:
    """The reference to ``path``, stored relative to ``relative_to`` (the deployment file's directory) if given."""
    path = Path(path)
    kind = "scenario" if path.suffix.lower() == ".toml" else "instance"
    stored = Path(os.path.relpath(path.resolve(), Path(relative_to).resolve())) if relative_to is not None else path
    return ScenarioRef(path=stored.as_posix(), sha256=file_sha256(path), kind=kind)


class Decision(StrictModel):
    """One decision of the optimiser: what was decided, how, and the objective reached."""

    decision: Literal["gateways", "shape", "experts", "replication", "capacity", "conversion", "compute_group"]
    method: str
    objective: float | None = None
    bound: float | None = None
    status: Status = Status.FEASIBLE
    runtime_s: float = Field(default=0.0, ge=0)
    detail: dict[str, Any] | None = None


class DeploymentLayer(StrictModel):
    """One MoE layer: its gateway, the next gateway on the ring, and the satellites of every expert's copies."""

    layer: int = Field(ge=0, le=MAX_ID)
    gateway: SatelliteId
    next_gateway: SatelliteId
    experts: list[list[SatelliteId]] = Field(min_length=1)
    method: str
    objective: float | None = None
    compute_group: GroupEntry | None = None

    @field_validator("experts")
    @classmethod
    def _copies(cls, experts: list[list[int]]) -> list[list[int]]:
        for i, copies in enumerate(experts):
            if not copies:
                raise ValueError(f"expert {i} has no satellite")
            if min(copies) < 0:
                raise ValueError(f"expert {i}: satellite ids must be non-negative")
            if len(set(copies)) != len(copies):
                raise ValueError(f"expert {i} lists one satellite twice")
        return experts

    @field_validator("objective")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be finite")
        return value

    @property
    def n_copies(self) -> int:
        return sum(len(c) for c in self.experts)


class Predicted(StrictModel):
    """The optimiser's prediction: exact mean s/token when every token meets one snapshot."""

    s_per_token: float = Field(gt=0)
    propagation_s: float = Field(ge=0)
    compute_s: float = Field(ge=0)
    analytic_s_per_token: float | None = None
    kind: str = "snapshot-exact"


class DeploymentFile(StrictModel):
    """A whole deployment file."""

    format: Literal["spacexnet-deployment"] = DEPLOYMENT_FORMAT
    version: Literal[1] = DEPLOYMENT_VERSION
    name: str
    scenario: ScenarioRef
    capacity: int = Field(default=1, ge=1, le=MAX_ID)
    options: dict[str, Any] = Field(default_factory=dict)
    decisions: list[Decision] = Field(default_factory=list)
    layers: list[DeploymentLayer] = Field(min_length=1)
    predicted: Predicted | None = None

    @model_validator(mode="after")
    def _check(self) -> "DeploymentFile":
        numbers = [entry.layer for entry in self.layers]
        if numbers != list(range(len(numbers))):
            raise ValueError(f"layers must be numbered 0..{len(numbers) - 1} in order")
        widths = {len(entry.experts) for entry in self.layers}
        if len(widths) != 1:
            raise ValueError("every layer must place the same number of experts")
        n = len(self.layers)
        for l, entry in enumerate(self.layers):
            if entry.next_gateway != self.layers[(l + 1) % n].gateway:
                raise ValueError(f"layer {l}: next_gateway {entry.next_gateway} is not the gateway of layer "
                                 f"{(l + 1) % n} ({self.layers[(l + 1) % n].gateway})")
            _check_capacity(entry, self.capacity)
        return self


def _check_capacity(entry: DeploymentLayer, capacity: int) -> None:
    held: dict[int, int] = {}
    for copies in entry.experts:
        for s in copies:
            held[s] = held.get(s, 0) + 1
    if entry.gateway in held:
        raise ValueError(f"layer {entry.layer}: an expert sits on the layer's gateway {entry.gateway}")
    over = [s for s, count in held.items() if count > capacity]
    if over:
        raise ValueError(f"layer {entry.layer}: satellite {over[0]} holds {held[over[0]]} experts of the layer, "
                         f"more than the capacity {capacity}")


def load_deployment(path: str | os.PathLike) -> DeploymentFile:
    """Load and validate a deployment file (FileFormatError naming file and field otherwise)."""
    return load_document(DeploymentFile, path, kind=DEPLOYMENT_FORMAT, version=DEPLOYMENT_VERSION)


def save_deployment(doc: DeploymentFile, path: str | os.PathLike) -> None:
    """Write a deployment file atomically (an earlier file survives any failure)."""
    write_json_atomic(path, doc.model_dump(mode="json", exclude_none=True))


def resolve_scenario(doc: DeploymentFile, source: str | os.PathLike, *, check_hash: bool = True) -> Path:
    """The scenario/instance file of ``doc`` (relative paths resolve against the deployment file's directory).

    Raises :class:`InputError` when the file is missing or its SHA-256 differs from the recorded one.
    """
    path = Path(doc.scenario.path)
    if not path.is_absolute():
        path = Path(source).parent / path
    if not path.exists():
        raise InputError(f"the {doc.scenario.kind} file {path} it was made for does not exist", field="scenario.path",
                         source=source)
    try:
        check_input_file(path)
    except InputError as exc:
        raise type(exc)(f"the {doc.scenario.kind} file {path} it was made for {exc.message}", field="scenario.path",
                        source=source) from None
    if check_hash and file_sha256(path) != doc.scenario.sha256:
        raise InputError(f"{path} changed since the deployment was written (SHA-256 differs)",
                         field="scenario.sha256", source=source)
    return path
