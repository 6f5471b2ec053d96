"""Atomic file output and small JSON helpers.

Outputs are written to a temporary file in the target directory and renamed
into place, so a failed run never leaves a half-written file and never
destroys an earlier output.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_json_atomic(d / "a.json", {"x": 1})
>>> read_json(d / "a.json")
{'x': 1}
>>> check_output_path(d, field="--output")
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: --output: ... is a directory; give a file name inside it
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import FileFormatError, InputError

__all__ = ["write_bytes_atomic", "write_text_atomic", "write_json_atomic", "read_text", "read_json",
           "parse_json", "check_nesting", "load_numpy", "check_output_path", "discard_pending_outputs", "MAX_NESTING"]

MAX_NESTING = 64
"""Deepest bracket nesting accepted in a JSON or TOML file (checked before parsing)."""

# temporary files of writes in progress, removed by :func:`discard_pending_outputs` on Ctrl-C
_PENDING: set[str] = set()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Raises
    ------
    InputError
        Naming ``path``, when the operating system refuses the write (no space, no permission, ...);
        ``path`` is then unchanged.
    """
    path = Path(path)
    try:
        _replace_with(path, data)
    except OSError as exc:
        raise InputError(f"cannot write: {_os_problem(exc)}", source=path) from None


def _replace_with(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _PENDING.add(tmp)
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
    finally:
        _PENDING.discard(tmp)


def discard_pending_outputs() -> None:
    """Remove the temporary files of writes still in progress (before the process exits on Ctrl-C)."""
    for tmp in list(_PENDING):
        Path(tmp).unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, obj: Any, *, indent: int | None = 1) -> None:
    """Serialise ``obj`` as JSON (no NaN allowed) and write it atomically."""
    write_text_atomic(path, json.dumps(obj, indent=indent, allow_nan=False) + "\n")


def _os_problem(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file; a missing, unreadable or non-text file becomes one clear error."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"cannot read as text ({exc.__class__.__name__})", source=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {_os_problem(exc)}", source=path) from None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_TOML_STRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*')


def check_nesting(text: str, *, source: str | os.PathLike, toml: bool = False, limit: int = MAX_NESTING) -> None:
    """Refuse ``text`` whose brackets nest deeper than ``limit``, before a recursive parser sees it.

    Brackets inside strings (and TOML comments) do not count.

    >>> check_nesting("[" * 3 + "]" * 3, source="a.json")
    >>> check_nesting("[" * 65 + "]" * 65, source="a.json")
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.FileFormatError: a.json:1: nesting deeper than 64 levels
    """
    bare = (_TOML_STRING if toml else _JSON_STRING).sub("", text)
    if bare.count("[") + bare.count("{") <= limit:
        return
    depth = 0
    for line_no, line in enumerate(bare.splitlines(), start=1):
        for char in line:
            depth += char in "[{"
            depth -= char in "]}"
            if depth > limit:
                raise FileFormatError(f"nesting deeper than {limit} levels", source=source, line=line_no)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"number {token} is too large for a 64-bit float")
    return value


def _no_constant(token: str):
    raise ValueError(f"{token} is not a number JSON allows")


def parse_json(text: str, *, source: str | os.PathLike, line: int | None = None) -> Any:
    """Parse JSON ``text`` (from ``source``, at ``line`` for one line of a JSONL file) refusing deep
    nesting and non-finite numbers; every problem is one :class:`FileFormatError`.

    >>> parse_json('{"p": 1e999}', source="a.json")
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.FileFormatError: a.json: invalid JSON: number 1e999 is too large for a 64-bit float
    """
    check_nesting(text, source=source)
    try:
        return json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"invalid JSON: {exc.msg}", source=source, line=line or exc.lineno) from None
    except ValueError as exc:  # from _finite_float / _no_constant, or an integer of over 4300 digits
        raise FileFormatError(f"invalid JSON: {exc}", source=source, line=line) from None


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, turning a missing file, bad JSON, deep nesting or non-finite numbers into one clear error."""
    return parse_json(read_text(path), source=Path(path))


def load_numpy(path: str | os.PathLike, *, archive: bool = False):
    """The array of a ``.npy`` file or (``archive``) a dict of the arrays of a ``.npz`` file, without pickles;
    a missing, damaged or foreign file is one clear error."""
    import zipfile
    import zlib

    import numpy as np

    path = Path(path)
    kind = "a readable .npz archive" if archive else "a readable .npy array"
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray) and not archive:
            return loaded
        if not isinstance(loaded, np.lib.npyio.NpzFile) or not archive:
            raise ValueError(f"found a {type(loaded).__name__}")
        with loaded as npz:
            return {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except (OSError, ValueError, EOFError, KeyError, OverflowError, zipfile.BadZipFile, zlib.error) as exc:
        raise FileFormatError(f"not {kind} ({' '.join(str(exc).split()) or type(exc).__name__})",
                              source=path) from None


def check_output_path(path: str | os.PathLike, *, field: str, inputs: Iterable[str | os.PathLike] = (),
                      directory: bool = False) -> Path:
    """Refuse an output path before any work: not an input, parent a writable directory, not a directory.

    Parameters
    ----------
    path : path-like
        The output file (or, with ``directory=True``, the output directory, created later if missing).
    field : str
        The option that named it (``"--output"``), for the message.
    inputs : iterable of path-like
        The run's input files; the output may not be any of them (compared by resolved path).
    directory : bool
        ``path`` is a directory the run writes into, created with any missing parents; a file
        at ``path`` or at one of its parents is refused.

    Raises
    ------
    InputError
        Naming ``field`` and the problem.
    """
    if not str(path):
        raise InputError("empty output path", field=field)
    path = Path(path)
    target = path.resolve()
    for source in inputs:
        if Path(source).resolve() == target:
            raise InputError(f"{path} is also an input of this run; writing it would destroy the input",
                             field=field)
    if directory:
        # a directory output is created with its missing parents (like mkdir -p) under an existing directory
        existing = next(p for p in (target, *target.parents) if p.exists())
        if not existing.is_dir():
            raise InputError(f"{existing} exists and is not a directory", field=field)
        return _writable_dir(existing, path, field)
    if target.is_dir():
        raise InputError(f"{path} is a directory; give a file name inside it", field=field)
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"directory {parent} does not exist" if not parent.exists() else f"{parent} is not a directory",
                         field=field)
    return _writable_dir(parent, path, field)


def _writable_dir(directory: Path, path: Path, field: str) -> Path:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(f"cannot write into {directory}: {os.strerror(errno.EACCES)}", field=field)
    return path
