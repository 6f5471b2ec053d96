"""The files a command reads: the paths its arguments name, and the files those name in turn.

The CLI boundary refuses an output that is any of them (``docs/reliability.md``).
Beside the files given on the command line a run reads:

- a scenario's TLE, profile, statistics and per-satellite files;
- a grid's base scenario (and that scenario's files);
- a deployment's scenario or instance (and a scenario's files);
- a placement's instance;
- a results directory's ``results.sqlite`` and ``table2.json``.

Reading is best effort and cheap: a file that is not valid yields no further
files (the command that reads it reports why), and a JSON file is parsed only
when its first bytes declare a deployment or a placement.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "g.toml").write_text('format = "spacexnet-grid"\\nscenario = "s.toml"\\n')
>>> _ = (d / "s.toml").write_text("")
>>> [p.name for p in files_read(d / "g.toml")]
['g.toml', 's.toml']
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from ..errors import SpaceXNetError
from ..fileio import check_nesting, read_json, read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["files_read", "RESULT_FILES"]

RESULT_FILES = ("results.sqlite", "table2.json")
"""Files read from a results directory given as an input (``view --results DIR``)."""

_PEEK_BYTES = 4096
_FORMAT = re.compile(rb'"format"\s*:\s*"(spacexnet-[a-z]+)"')


def files_read(value) -> list[Path]:
    """The existing files an argument value (a path, or a list of them) makes the command read."""
    values = value if isinstance(value, (list, tuple)) else [value]
    found: list[Path] = []
    for item in values:
        if isinstance(item, (str, os.PathLike)) and str(item):
            found += _with_references(Path(item), depth=2)
    return found


def _with_references(path: Path, *, depth: int) -> list[Path]:
    if path.is_dir():
        return [path / name for name in RESULT_FILES if (path / name).is_file()]
    if not path.is_file():
        return []
    named = _named_by(path) if depth > 0 else []
    return [path, *(f for p in named for f in _with_references(p, depth=depth - 1))]


def _named_by(path: Path) -> list[Path]:
    try:
        if path.suffix.lower() == ".toml":
            return _named_by_toml(path)
        if path.suffix.lower() == ".json":
            return _named_by_json(path)
    except (SpaceXNetError, OSError, LookupError, ValueError, TypeError, AttributeError):
        pass
    return []


def _named_by_toml(path: Path) -> list[Path]:
    text = read_text(path)
    check_nesting(text, source=path, toml=True)
    data = tomllib.loads(text)
    if data.get("format") == "spacexnet-grid":
        from ..sweep.grid import grid_scenario_path   # here: the boundary loads with every command

        return [grid_scenario_path(data["scenario"], path)] if isinstance(data.get("scenario"), str) else []
    from ..formats.scenario import load_scenario

    return load_scenario(path).referenced_files(path)


def _named_by_json(path: Path) -> list[Path]:
    with open(path, "rb") as handle:
        head = handle.read(_PEEK_BYTES)
    declared = _FORMAT.search(head)
    kind = declared.group(1).decode() if declared else None
    if kind == "spacexnet-deployment":
        relative = Path(read_json(path)["scenario"]["path"])
        return [relative if relative.is_absolute() else path.parent / relative]
    if kind == "spacexnet-placement":
        instance = Path(read_json(path)["instance"])
        return [instance, path.parent / instance]
    return []
