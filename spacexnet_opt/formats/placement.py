"""Placement files: the expert -> satellite map chosen for every layer of an instance.

Format ``spacexnet-placement``, version 1, written by ``spacexnet solve`` and
read by ``spacexnet evaluate``. ``experts[i]`` is the satellite id of expert
``i`` (for a QAPLIB file: the 0-based location of facility ``i``). A layer
whose solver stopped at its time limit without a placement has status
``TIME_LIMIT``, ``experts`` and ``objective`` null and its proven ``bound``;
``total_objective`` is then null.

>>> layer = PlacementLayer(layer=0, gateway=9, experts=[3, 1], objective=0.2,
...     status="OPTIMAL", bound=0.2, runtime_s=0.001)
>>> p = Placement(instance="inst.json", method="hungarian", objective="linear",
...     layers=[layer], total_objective=0.2)
>>> p.layers[0].experts
[3, 1]
"""

from __future__ import annotations

import math
import os
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..fileio import write_json_atomic
from ..status import Status
from .schema import MAX_ID, NonNegativeValue, SatelliteId, StrictModel, load_document

__all__ = ["PLACEMENT_FORMAT", "PLACEMENT_VERSION", "PlacementLayer", "Placement", "load_placement", "save_placement"]

PLACEMENT_FORMAT = "spacexnet-placement"
PLACEMENT_VERSION = 1


class PlacementLayer(StrictModel):
    """The solved placement of one layer."""

    layer: int = Field(ge=0, le=MAX_ID)
    gateway: SatelliteId | None = None
    experts: list[SatelliteId] | None = Field(min_length=1)
    objective: float | None
    status: Status
    bound: float | None = None
    runtime_s: NonNegativeValue

    @field_validator("experts")
    @classmethod
    def _distinct(cls, experts: list[int] | None) -> list[int] | None:
        if experts is not None and len(set(experts)) != len(experts):
            raise ValueError("places two experts on one satellite")
        return experts

    @field_validator("objective", "bound")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be finite")
        return value

    @model_validator(mode="after")
    def _placed(self) -> "PlacementLayer":
        if (self.experts is None) != (self.objective is None):
            raise ValueError("experts and objective must both be given or both be null")
        if self.experts is None and self.status is not Status.TIME_LIMIT:
            raise ValueError(f"a layer without experts must have status TIME_LIMIT, not {self.status.value}")
        return self


class Placement(StrictModel):
    """A whole placement file."""

    format: Literal["spacexnet-placement"] = PLACEMENT_FORMAT
    version: Literal[1] = PLACEMENT_VERSION
    instance: str
    method: str
    objective: str
    time_limit_s: float | None = Field(default=None, gt=0)
    seed: int | None = None
    layers: list[PlacementLayer] = Field(min_length=1)
    total_objective: float | None

    @model_validator(mode="after")
    def _check(self) -> "Placement":
        numbers = [entry.layer for entry in self.layers]
        if len(set(numbers)) != len(numbers):
            raise ValueError("layers lists a layer twice")
        if any(entry.objective is None for entry in self.layers):
            if self.total_objective is not None:
                raise ValueError("total_objective must be null when a layer has no placement")
            return self
        total = sum(entry.objective for entry in self.layers)
        if self.total_objective is None or not math.isclose(total, self.total_objective, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(f"total_objective {self.total_objective!r} is not the sum of the layer objectives ({total!r})")
        return self


def load_placement(path: str | os.PathLike) -> Placement:
    """Load and validate a placement file (FileFormatError naming file and field otherwise)."""
    return load_document(Placement, path, kind=PLACEMENT_FORMAT, version=PLACEMENT_VERSION)


def save_placement(placement: Placement, path: str | os.PathLike) -> None:
    """Write a placement file atomically (an earlier file survives any failure); unknown bounds are null."""
    write_json_atomic(path, placement.model_dump(mode="json"))
