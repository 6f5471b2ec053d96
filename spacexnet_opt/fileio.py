"""Atomic file output and small JSON helpers.

Outputs are written to a temporary file in the target directory and renamed
into place, so a failed run never leaves a half-written file and never
destroys an earlier output.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_json_atomic(d / "a.json", {"x": 1})
>>> read_json(d / "a.json")
{'x': 1}
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import FileFormatError, InputError

__all__ = ["write_bytes_atomic", "write_text_atomic", "write_json_atomic", "read_text", "read_json"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, obj: Any, *, indent: int | None = 1) -> None:
    """Serialise ``obj`` as JSON (no NaN allowed) and write it atomically."""
    write_text_atomic(path, json.dumps(obj, indent=indent, allow_nan=False) + "\n")


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file; a missing file or a non-text file becomes one clear error."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"cannot read as text ({exc.__class__.__name__})", source=path) from None


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, turning a missing file or bad JSON into one clear error."""
    path = Path(path)
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"invalid JSON: {exc.msg}", source=path, line=exc.lineno) from None
