"""Fleet files (``spacexnet-fleet`` version 1): several model replicas (rings) on one constellation.

A fleet file lists ring deployment files (``spacexnet-deployment``, paths relative to the fleet file)
and the share of requests each serves; ``spacexnet optimize --objective throughput`` writes it with the
capacity bound and the simulator's check. Everything about one ring stays in its deployment file.

>>> doc = FleetFile(name="f", rings=[FleetRing(deployment="f.ring00.json", share=1.0)])
>>> doc.model_dump()["rings"][0]["share"]
1.0
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..fileio import write_json_atomic
from .schema import StrictModel, load_document

__all__ = ["FLEET_FORMAT", "FLEET_VERSION", "FleetRing", "FleetFile", "load_fleet", "save_fleet", "ring_paths"]

FLEET_FORMAT = "spacexnet-fleet"
FLEET_VERSION = 1


class FleetRing(StrictModel):
    """One ring: its deployment file and its share of the requests."""

    deployment: str
    share: float = Field(ge=0.0, le=1.0)


class FleetFile(StrictModel):
    """A whole fleet file."""

    format: Literal["spacexnet-fleet"] = FLEET_FORMAT
    version: Literal[1] = FLEET_VERSION
    name: str = "fleet"
    rings: list[FleetRing] = Field(min_length=1)
    bound: dict = Field(default_factory=dict)
    check: dict = Field(default_factory=dict)


def load_fleet(path: str | os.PathLike) -> FleetFile:
    """Load and validate a fleet file (FileFormatError naming file and field otherwise)."""
    return load_document(FleetFile, path, kind=FLEET_FORMAT, version=FLEET_VERSION)


def save_fleet(doc: FleetFile, path: str | os.PathLike) -> None:
    """Write a fleet file atomically."""
    write_json_atomic(path, doc.model_dump(mode="json"))


def ring_paths(doc: FleetFile, source: str | os.PathLike) -> list[Path]:
    """The ring deployment files of ``doc``, resolved against the fleet file ``source``'s folder."""
    return [Path(source).parent / r.deployment for r in doc.rings]
