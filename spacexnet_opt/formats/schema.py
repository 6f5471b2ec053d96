"""Shared helpers for the project's versioned JSON file schemas (pydantic).

A file is validated at load; any problem becomes one :class:`FileFormatError`
naming the file and the first offending field, e.g.
``inst.json: layers[2].tau_s: Input should be a valid list``.

The constrained value types shared by the formats live here too, so that every
format means the same by "a satellite id" or "a probability":

>>> from pydantic import TypeAdapter
>>> TypeAdapter(list[Probability]).validate_python([0.0, 0.5, 1.0])
[0.0, 0.5, 1.0]
>>> TypeAdapter(SatelliteId).validate_python(10**30)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for constrained-int
...
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..errors import FileFormatError, InputError
from ..fileio import read_json
from ..limits import MAX_ID, MAX_MAGNITUDE, MIN_POSITIVE, SHARE_TOLERANCE

__all__ = ["StrictModel", "validate_document", "load_document", "MAX_ID", "MAX_MAGNITUDE", "MIN_POSITIVE",
           "SHARE_TOLERANCE", "SatelliteId", "Probability", "PositiveValue", "NonNegativeValue"]

M = TypeVar("M", bound=BaseModel)

SatelliteId = Annotated[int, Field(ge=0, le=MAX_ID)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _in_positive_range(value: float) -> float:
    if not MIN_POSITIVE <= value <= MAX_MAGNITUDE:
        raise ValueError(f"Input should be greater than 0 (from {MIN_POSITIVE:g} to {MAX_MAGNITUDE:g}), got {value!r}")
    return value


PositiveValue = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_in_positive_range)]
NonNegativeValue = Annotated[float, Field(ge=0, le=MAX_MAGNITUDE, allow_inf_nan=False)]


class StrictModel(BaseModel):
    """Base model: unknown keys and non-finite numbers are errors, objects are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate_document(model: type[M], data: Any, *, kind: str, version: int, source: str | os.PathLike) -> M:
    """Check the ``format``/``version`` header of ``data`` then validate it as ``model``.

    Raises
    ------
    FileFormatError
        For another format, a future version, or any schema violation.
    """
    if not isinstance(data, dict):
        raise FileFormatError("expected a JSON object at top level", source=source)
    if data.get("format") != kind:
        raise FileFormatError(f"not a {kind} file (format={data.get('format')!r})", field="format", source=source)
    found = data.get("version")
    if found != version:
        raise FileFormatError(
            f"unsupported version {found!r}; this spacexnet-opt reads version {version}",
            field="version",
            source=source,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _file_error(exc, source) from None


def _file_error(exc: ValidationError, source) -> InputError:
    """The first problem of ``exc`` as one project error naming the file and the field.

    A project error raised inside a validator (a resource refusal, say) keeps its
    class and its own field, placed under the location of the validator.
    """
    first = exc.errors()[0]
    where = _field_path(first["loc"])
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        field = cause.field if where == "(document)" else f"{where}.{cause.field}" if cause.field else where
        return type(cause)(cause.message, field=field, source=source)
    message = first["msg"].removeprefix("Value error, ")
    return FileFormatError(message, field=where, source=source)


def load_document(model: type[M], path: str | os.PathLike, *, kind: str, version: int) -> M:
    """Read and validate a JSON document of the given ``kind`` and ``version``."""
    return validate_document(model, read_json(path), kind=kind, version=version, source=Path(path))

