"""Helpers of the hostile-input tests: a directory's bytes before and after, and the one-line error contract."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from spacexnet_opt.cli.app import app

__all__ = ["tree_digest", "assert_one_error_line", "run_cli"]


def tree_digest(directory: Path) -> dict[str, str]:
    """SHA-256 of every regular file under ``directory`` (symbolic links and special files by their kind)."""
    out = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            out[str(path)] = f"link -> {path.readlink()}"
        elif path.is_file():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif not path.is_dir():
            out[str(path)] = "special"
    return out


def assert_one_error_line(result, *names: str, code: int = 2) -> str:
    """``result`` (a click Result) failed with ``code`` and one ``error:`` line naming every one of ``names``."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


def run_cli(*args):
    """Invoke ``spacexnet`` in-process with ``args`` (paths allowed): the click Result, stdout and stderr apart."""
    return CliRunner().invoke(app, [str(a) for a in args])
