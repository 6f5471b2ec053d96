"""The levers of a whole-deployment optimisation, as one validated record.

Every lever ``spacexnet optimize`` has, under the same name (``-`` written
``_``) and default; a grid's ``optimize.`` fields are the same record.
:meth:`Levers.of` builds one from keyword values and turns any bad value into
one :class:`~spacexnet_opt.errors.InputError` naming the lever.

>>> Levers.of(gateways="dp", replicas=8).gateways
'dp'
>>> Levers.of(shape="rings")
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: shape: unknown shape 'rings'; valid: bands, regions, free
>>> Levers.of(replicas=-1)
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: replicas: must be at least 0, got -1
>>> Levers.of(capacity=2, shape="free")
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: capacity: capacity above one works with the bands and regions shapes, not free
"""

from __future__ import annotations

from pydantic import Field, ValidationError, field_validator

from ..errors import InputError
from ..formats.schema import StrictModel
from .group_choice import GROUP_METHODS
from .shapes import SHAPES

__all__ = ["Levers", "GATEWAY_METHODS", "REPLICA_METHODS", "COMPUTE_GROUPS"]

GATEWAY_METHODS = ("center", "dp")
REPLICA_METHODS = ("greedy", "milp")
COMPUTE_GROUPS = ("none", *GROUP_METHODS)

_NAMES = {"shape": SHAPES, "ring": SHAPES[:2], "gateways": GATEWAY_METHODS, "replica_method": REPLICA_METHODS,
          "compute_group": COMPUTE_GROUPS}


class Levers(StrictModel):
    """Gateways, subnet shape, replicas, capacity and compute groups of one optimisation (defaults: the paper's)."""

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
        valid = _NAMES[info.field_name]
        if value not in valid:
            raise ValueError(f"unknown {info.field_name.replace('_', ' ')} {value!r}; valid: {', '.join(valid)}")
        return value

    @field_validator("capacity")
    @classmethod
    def _capacity_shape(cls, capacity: int, info) -> int:
        if capacity > 1 and info.data.get("shape") == "free":
            raise ValueError("capacity above one works with the bands and regions shapes, not free")
        return capacity

    @classmethod
    def of(cls, levers: "Levers | None" = None, **values) -> "Levers":
        """``levers`` (default: the paper's) with ``values`` changed, validated; errors name the lever."""
        try:
            return cls.model_validate({**(levers.model_dump() if levers is not None else {}), **values})
        except ValidationError as exc:
            error = exc.errors()[0]
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "greater_than_equal":
                message = f"must be at least {error['ctx']['ge']}, got {error['input']}"
            raise InputError(message, field=".".join(str(p) for p in error["loc"])) from None

    @property
    def groups(self) -> bool:
        """True when the levers add compute groups."""
        return self.compute_group != "none"

    def without_groups(self) -> "Levers":
        return self.model_copy(update={"compute_group": "none"})
