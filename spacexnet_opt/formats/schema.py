"""Shared helpers for the project's versioned JSON file schemas (pydantic).

A file is validated at load; any problem becomes one :class:`FileFormatError`
naming the file and the first offending field, e.g.
``inst.json: layers[2].tau_s: Input should be a valid list``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import FileFormatError
from ..fileio import read_json, write_json_atomic

__all__ = ["StrictModel", "validate_document", "load_document", "save_document"]

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base model: unknown keys are errors, objects are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
        first = exc.errors()[0]
        raise FileFormatError(first["msg"], field=_field_path(first["loc"]), source=source) from None


def load_document(model: type[M], path: str | os.PathLike, *, kind: str, version: int) -> M:
    """Read and validate a JSON document of the given ``kind`` and ``version``."""
    return validate_document(model, read_json(path), kind=kind, version=version, source=Path(path))


def save_document(document: BaseModel, path: str | os.PathLike) -> None:
    """Write a validated document atomically as JSON, omitting unset optional fields."""
    write_json_atomic(path, document.model_dump(mode="json", exclude_none=True))
