"""The CLI error boundary on its own: any command under the root group gets it, whatever its module.

A throw-away Typer app built on :class:`BoundaryGroup` stands for the commands other modules add
later; a real ``spacexnet`` process checks that Ctrl-C ends a multi-layer solve at once with code
130 and leaves the earlier output intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Optional

import pytest
import typer
from typer.testing import CliRunner

from spacexnet_opt.cli.boundary import REPORT_BUG, BoundaryGroup
from spacexnet_opt.cli.exit_codes import BUG_EXIT_CODE, INTERRUPTED
from spacexnet_opt.errors import InputError


def _app() -> typer.Typer:
    app = typer.Typer(cls=BoundaryGroup, pretty_exceptions_enable=False, add_completion=False)

    @app.command("future")
    def future(source: Path = typer.Argument(...), output: Optional[Path] = typer.Option(None, "-o", "--output"),
               out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Directory for reports."),
               budget: float = typer.Option(1.0, "--budget"), seed: int = typer.Option(0, "--seed"),
               fail: str = typer.Option("", "--fail")) -> None:
        if fail == "warn-then-error":
            warnings.warn("invalid value encountered in divide", RuntimeWarning)
            raise InputError("bad value", field="x", source=source)
        if fail == "warn":
            warnings.warn("something to know", UserWarning)
        if fail == "bug":
            raise ZeroDivisionError("division by zero")
        if fail == "interrupt":
            raise KeyboardInterrupt
        if fail == "oserror":
            raise PermissionError(13, "Permission denied", str(source))
        if output is not None:
            output.write_text("new\n")
        typer.echo("done")

    @app.command("other")
    def other() -> None:
        """A second command, so that the app is a group."""

    return app


@pytest.fixture()
def run(tmp_path):
    (tmp_path / "in.txt").write_text("input\n")
    (tmp_path / "old.txt").write_text("old\n")
    app = _app()

    def invoke(*args):
        return CliRunner().invoke(app, ["future", str(tmp_path / "in.txt"), *map(str, args)])

    return invoke


@pytest.mark.parametrize("args,code,line", [
    (("-o", "{d}/in.txt"), 2, "error: --output: {d}/in.txt is also an input of this run; writing it would destroy the input"),
    (("-o", "{d}"), 2, "error: --output: {d} is a directory; give a file name inside it"),
    (("-o", "{d}/old.txt/no/x.txt"), 2, "error: --output: {d}/old.txt exists and is not a directory"),
    (("--out-dir", "{d}/old.txt"), 2, "error: --out-dir: {d}/old.txt exists and is not a directory"),
    (("--out-dir", "{d}/old.txt/new/deeper"), 2, "error: --out-dir: {d}/old.txt exists and is not a directory"),
    (("--budget", "inf"), 2, "error: --budget: must be a finite number, got inf"),
    (("--seed", "-4"), 2, "error: --seed: must be >= 0, got -4"),
    (("--fail", "warn-then-error"), 2, "error: {d}/in.txt: x: bad value"),
    (("--fail", "oserror"), 2, "error: {d}/in.txt: Permission denied"),
    (("--fail", "interrupt", "-o", "{d}/old.txt"), 130, INTERRUPTED),
])
def test_any_command_gets_the_checks_and_one_line_errors(run, tmp_path, args, code, line):
    result = run(*(a.format(d=tmp_path) for a in args))
    assert result.exit_code == code
    assert result.stderr.splitlines() == [line.format(d=tmp_path)]
    assert (tmp_path / "in.txt").read_text() == "input\n" and (tmp_path / "old.txt").read_text() == "old\n"


def test_a_bug_shows_its_traceback_and_asks_for_a_report(run):
    result = run("--fail", "bug")
    assert result.exit_code == BUG_EXIT_CODE
    assert "Traceback" in result.stderr and "ZeroDivisionError" in result.stderr
    assert result.stderr.splitlines()[-1] == REPORT_BUG.format(name="ZeroDivisionError")


def test_warnings_of_a_successful_run_are_one_line_each_after_it(run, tmp_path):
    result = run("--fail", "warn", "-o", tmp_path / "old.txt")
    assert result.exit_code == 0 and (tmp_path / "old.txt").read_text() == "new\n"
    assert result.stderr.splitlines() == ["warning: something to know"]


def test_usage_errors_are_one_line(run):
    result = run("--budget", "lots")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: --budget: ")


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signals")
def test_ctrl_c_stops_a_multi_layer_solve_and_writes_nothing(tmp_path):
    """SIGINT during CP-SAT (which catches SIGINT itself) ends the whole run: exit 130, output untouched."""
    size = 30
    flow = [[(i * 7 + j * 3) % 10 if i != j else 0 for j in range(size)] for i in range(size)]
    dist = [[abs(i - j) + (i * j) % 5 for j in range(size)] for i in range(size)]
    dat = tmp_path / "hard.dat"
    dat.write_text(f"{size}\n" + "\n".join(" ".join(map(str, row)) for row in flow + dist) + "\n")
    out = tmp_path / "out.json"
    out.write_text("earlier output\n")
    script = [sys.executable, "-c", "from spacexnet_opt.cli.interrupt import main; main()"]  # the console script
    process = subprocess.Popen([*script, "solve", str(dat), "-m", "cpsat", "--time-limit", "60", "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == INTERRUPTED
    assert out.read_text() == "earlier output\n"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
