"""File input and output in one place: atomic replacement, devices in place, capped reads.

Outputs
    A regular file (or a missing one) is written to a temporary file in the
    target directory and renamed into place, so a failed run never leaves a
    half-written file and never destroys an earlier output; a symbolic link is
    followed and its target replaced, the link kept. A character or block
    device or a FIFO the user named (``-o /dev/null``) is written in place,
    and ``/dev/stdout``, ``/dev/stderr`` and ``/dev/fd/N`` write to the
    process's own stream. Any other kind of file (a socket) is refused.
Inputs
    Read through :func:`read_bytes`: a regular file or a FIFO (a pipe, a
    process substitution) of at most :data:`MAX_INPUT_BYTES`; a directory, a
    device or a socket is refused as "not a regular file", and an endless
    stream stops at the limit with one clear error.

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
import hashlib
import json
import math
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import FileFormatError, InputError, ResourceError

__all__ = ["write_bytes_atomic", "write_text_atomic", "write_json_atomic", "read_bytes", "read_text", "read_json",
           "file_sha256", "parse_json", "parse_toml", "write_csv_atomic", "check_nesting", "load_numpy", "check_input_file", "check_output_path",
           "written_in_place", "discard_pending_outputs", "MAX_NESTING", "MAX_INPUT_BYTES"]

MAX_NESTING = 64
"""Deepest bracket nesting accepted in a JSON or TOML file (checked before parsing)."""

MAX_INPUT_BYTES = 1 << 30
"""Largest input file read (1 GiB): 40 x the largest file the project writes (a DeepSeek-V3 mega instance)."""

_STREAM_ALIASES = {"/dev/stdout": 1, "/dev/stderr": 2}

# temporary files of writes in progress, removed by :func:`discard_pending_outputs` on Ctrl-C
_PENDING: set[str] = set()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path``: atomically for a regular file, in place for a device, FIFO or stream.

    Raises
    ------
    InputError
        Naming ``path``, when it is a socket or the operating system refuses the write (no space, no
        permission, ...); a regular ``path`` is then unchanged.
    """
    path = Path(path)
    try:
        stream = _stream_fd(path)
        if stream is not None:
            _write_stream(stream, data)
        elif written_in_place(path):
            with open(path, "wb") as handle:
                handle.write(data)
        else:
            _refuse_special(path)
            _replace_with(Path(os.path.realpath(path)), data)
    except OSError as exc:
        raise InputError(f"cannot write: {_os_problem(exc)}", source=path) from None


def _stream_fd(path: Path) -> int | None:
    """The descriptor ``path`` names (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/3``), or None."""
    name = os.path.abspath(path)
    if name in _STREAM_ALIASES:
        return _STREAM_ALIASES[name]
    match = re.fullmatch(r"/(?:dev|proc/self)/fd/(\d{1,9})", name)
    return int(match.group(1)) if match else None


def _write_stream(fd: int, data: bytes) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.fileno() == fd:
                stream.flush()
        except (AttributeError, OSError, ValueError):  # a replaced stream (tests, notebooks)
            pass
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "directory"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return kind
    return "special file"


def written_in_place(path: str | os.PathLike) -> bool:
    """True when ``path`` is an existing device or FIFO, or names one of the process's streams: such an
    output is written in place, never replaced.

    >>> written_in_place("/dev/null"), written_in_place("/dev/stdout"), written_in_place("/tmp")
    (True, True, False)
    """
    path = Path(path)
    if _stream_fd(path) is not None:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)


def _refuse_special(path: Path, field: str | None = None) -> None:
    """Refuse an existing output that is neither a regular file, a directory, a device nor a FIFO."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError(f"{path} is a {_file_kind(mode)}; give a regular file, a device or a FIFO", field=field,
                         source=None if field else path)


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


def check_input_file(path: str | os.PathLike) -> os.stat_result:
    """The status of input ``path`` after refusing a missing file, a directory, a device or a socket.

    >>> check_input_file("/dev/zero")
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.InputError: /dev/zero: exists but is not a regular file (a character device)
    """
    path = Path(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {_os_problem(exc)}", source=path) from None
    if stat.S_ISDIR(status.st_mode):
        raise FileFormatError("is a directory, not a file", source=path)
    if not (stat.S_ISREG(status.st_mode) or stat.S_ISFIFO(status.st_mode)):
        raise InputError(f"exists but is not a regular file (a {_file_kind(status.st_mode)})", source=path)
    if status.st_size > MAX_INPUT_BYTES:
        raise ResourceError(_too_large(status.st_size), source=path)
    return status


def _too_large(size: int | None = None) -> str:
    have = f"{size:,} bytes" if size is not None else "more bytes"
    return f"{have} than the input limit of {MAX_INPUT_BYTES:,} bytes (fileio.MAX_INPUT_BYTES)"


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of input ``path``, a regular file or a FIFO, at most :data:`MAX_INPUT_BYTES` of them."""
    check_input_file(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {_os_problem(exc)}", source=path) from None
    if len(data) > MAX_INPUT_BYTES:
        raise ResourceError(_too_large(), source=path)
    return data


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file; a missing, unreadable, special, oversized or non-text file becomes one clear error."""
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError("cannot read as text (UnicodeDecodeError)", source=path) from None


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of an input file's bytes."""
    return hashlib.sha256(read_bytes(path)).hexdigest()


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_TOML_STRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*')


def check_nesting(text: str, *, source: str | os.PathLike, toml: bool = False, limit: int = MAX_NESTING) -> None:
    """Refuse ``text`` whose brackets nest deeper than ``limit``, before a recursive parser sees it.

    Brackets inside strings (and TOML comments) do not count; in TOML the parts of a dotted key count too.

    >>> check_nesting("[" * 3 + "]" * 3, source="a.json")
    >>> check_nesting("[" * 65 + "]" * 65, source="a.json")
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.FileFormatError: a.json:1: nesting deeper than 64 levels
    """
    bare = (_TOML_STRING if toml else _JSON_STRING).sub("", text)
    if toml:  # a dotted key (a.b.c = 1, [a.b.c]) nests tables without brackets; tomllib's time grows as its square
        for line_no, line in enumerate(bare.splitlines(), start=1):
            if line.split("=", 1)[0].count(".") >= limit:
                raise FileFormatError(f"nesting deeper than {limit} levels", source=source, line=line_no)
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


def parse_toml(text: str, *, source: str | os.PathLike) -> Any:
    """Parse TOML ``text`` (from ``source``) refusing deep nesting; bad TOML is one :class:`FileFormatError`
    with its line.

    >>> parse_toml("[a\\nb = 1", source="w.toml")
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.FileFormatError: w.toml:1: invalid TOML: Expected ']' at the end of a table declaration
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    check_nesting(text, source=source, toml=True)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise FileFormatError(f"invalid TOML: {message}", source=source, line=int(found[1]) if found else None) from None


def write_csv_atomic(path: str | os.PathLike, records: list[dict]) -> None:
    """Write ``records`` (dicts with the same keys) as CSV with a header row, atomically."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    write_text_atomic(path, buffer.getvalue())


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
    check_input_file(path)
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
    """Refuse an output path before any work: not an input, under a writable directory, not a directory
    nor a socket (a device or FIFO is written in place, see :func:`write_bytes_atomic`).

    Missing folders on the way are allowed, for a file as for a directory output: the writers create
    them (like ``mkdir -p``) under the nearest existing ancestor, which must be a writable directory.

    Parameters
    ----------
    path : path-like
        The output file (or, with ``directory=True``, the output directory); missing folders are created later.
    field : str
        The option that named it (``"--output"``), for the message.
    inputs : iterable of path-like
        The run's input files; the output may not be any of them (compared by resolved path).
    directory : bool
        ``path`` is a directory the run writes into; a file at ``path`` is refused. A file at one of
        the parents is refused either way.

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
    if not directory:
        if target.is_dir():
            raise InputError(f"{path} is a directory; give a file name inside it", field=field)
        if written_in_place(path):
            if not os.access(path, os.W_OK):
                raise InputError(f"cannot write to {path}: {os.strerror(errno.EACCES)}", field=field)
            return path
        _refuse_special(target, field)
        target = target.parent
    # the output's missing folders are created (like mkdir -p) under its nearest existing ancestor
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        raise InputError(f"{existing} exists and is not a directory", field=field)
    return _writable_dir(existing, path, field)


def _writable_dir(directory: Path, path: Path, field: str) -> Path:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InputError(f"cannot write into {directory}: {os.strerror(errno.EACCES)}", field=field)
    return path
