"""The ``optimize.`` fields of a grid: the levers of ``spacexnet optimize`` as axes.

A point that sets any ``optimize.`` field runs
:func:`~spacexnet_opt.optimize.deployment.optimize_deployment` with those levers
(the others at ``spacexnet optimize``'s defaults) on its world and records a
``Space-XNet-opt`` row; with ``compute_group`` other than ``none`` also a
``Space-XNet-opt-tp`` row (the same levers, then every layer's compute group).
Values are checked when the grid is loaded; limits that depend on the world
(replicas beyond the spare satellites, a capacity over the satellite memory)
are the point's recorded error.

>>> levers = OptimizeLevers(gateways="dp", replicas=8, compute_group="waterfill")
>>> levers.schemes()
('Space-XNet-opt', 'Space-XNet-opt-tp')
>>> sorted(levers.options())  # doctest: +NORMALIZE_WHITESPACE
['capacity', 'gateways', 'group_candidates', 'group_method', 'group_size', 'n_candidates', 'opt_snapshots',
 'replica_method', 'replicas', 'ring', 'shape']
>>> try:
...     OptimizeLevers(shape="rings")
... except ValueError as exc:
...     print(exc.errors()[0]["msg"])
Value error, unknown shape 'rings'; valid: bands, regions, free
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ..formats.schema import StrictModel

__all__ = ["OptimizeLevers", "OPTIMIZE", "LEVER_SCHEMES"]

OPTIMIZE = "optimize."
LEVER_SCHEMES = ("Space-XNet-opt", "Space-XNet-opt-tp")


def _valid_names(field: str) -> tuple[str, ...]:
    from ..optimize.deployment import GATEWAY_METHODS, REPLICA_METHODS
    from ..optimize.shapes import SHAPES
    from ..optimize.group_choice import GROUP_METHODS

    return {"shape": SHAPES, "ring": SHAPES[:2], "gateways": GATEWAY_METHODS, "replica_method": REPLICA_METHODS,
            "compute_group": ("none", *GROUP_METHODS)}[field]


class OptimizeLevers(StrictModel):
    """The levers of ``spacexnet optimize`` (same names and defaults, ``-`` written ``_``)."""

    shape: str = "bands"
    ring: str = "bands"
    gateways: str = "center"
    replicas: int = Field(default=0, ge=0)
    replica_method: str = "greedy"
    capacity: int = Field(default=1, ge=1)
    gateway_candidates: int = Field(default=16, ge=1)
    opt_snapshots: int = Field(default=0, ge=0)
    compute_group: str = "none"
    group_size: int = Field(default=16, ge=1)
    group_candidates: int = Field(default=32, ge=1)

    @field_validator("shape", "ring", "gateways", "replica_method", "compute_group")
    @classmethod
    def _known(cls, value: str, info) -> str:
        valid = _valid_names(info.field_name)
        if value not in valid:
            raise ValueError(f"unknown {info.field_name} {value!r}; valid: {', '.join(valid)}")
        return value

    @model_validator(mode="after")
    def _capacity_shape(self) -> "OptimizeLevers":
        if self.capacity > 1 and self.shape == "free":
            raise ValueError("capacity above one works with the bands and regions shapes, not free")
        return self

    def schemes(self) -> tuple[str, ...]:
        """The rows these levers record."""
        return LEVER_SCHEMES if self.compute_group != "none" else LEVER_SCHEMES[:1]

    def options(self) -> dict:
        """Keyword arguments of ``optimize_deployment`` and, for the ``-tp`` row, of the compute groups."""
        out = self.model_dump(exclude={"gateway_candidates", "compute_group"})
        return {**out, "n_candidates": self.gateway_candidates, "group_method": self.compute_group}
