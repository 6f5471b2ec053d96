"""Sweeps: grid errors before any task, the Fig. 7 numbers, failures recorded, kill-and-resume lossless."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from spacexnet_opt.reproduce import reproduce_sweeps
from spacexnet_opt.formats.scenario import load_scenario
from spacexnet_opt.sweep import SCHEMA_VERSION, load_grid, run_sweep

from test_evaluate_cli import TINY

GRID = """format = "spacexnet-grid"
version = 1
name = "t"
scenario = "tiny.toml"
{extra}
[run]
seeds = 2
[axes]
{axes}
"""


@pytest.fixture()
def grid(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)

    def write(axes: str, extra: str = "") -> str:
        path = tmp_path / "grid.toml"
        path.write_text(GRID.format(axes=axes, extra=extra))
        return path

    return write


def _content(db) -> list[tuple]:
    """Every row but the wall time, in key order."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT * FROM results ORDER BY point_hash, scheme").fetchall()
        names = [d[0] for d in conn.execute("SELECT * FROM results").description]
    keep = [i for i, n in enumerate(names) if n != "runtime_s"]
    return [tuple(r[i] for i in keep) for r in rows]


@pytest.mark.parametrize("axes, message", [
    ('"isl.surival" = [0.9]', "grid.toml: axes.isl.surival: unknown field 'surival' in isl; valid: "),
    ('"isl.survival" = []', "grid.toml: axes.isl.survival.values: List should have at least 1 item"),
    ('"isl.survival" = [0.9, 1.5]', "grid.toml: axes.isl.survival[1]: isl.survival: Input should be less than or "
                                    "equal to 1"),
    ('"run.seeds" = [0]', "grid.toml: axes.run.seeds[0]: run.seeds: Input should be greater than or equal to 1"),
    ('"run.method" = ["sorted", "nope"]', "grid.toml: axes.run.method[1]: run.method: unknown method "
                                          "'nope'; valid methods: "),
    ('"optimize.shape" = ["bands", "rings"]', "grid.toml: axes.optimize.shape[1]: optimize.shape: unknown shape "
                                              "'rings'; valid: bands, regions, free"),
    ('"optimize.replicas" = [-1]', "grid.toml: axes.optimize.replicas[0]: optimize.replicas: Input should be "
                                   "greater than or equal to 0"),
    ('"optimize.compute_group" = ["tp"]', "axes.optimize.compute_group[0]: optimize.compute_group: unknown "
                                          "compute group 'tp'; valid: none, waterfill, exact"),
    ('"optimize.replica" = [1]', "grid.toml: axes.optimize.replica: unknown field 'replica' in optimize; valid: "
                                 "shape, ring, gateways, replicas,"),
    ('"optimize.shape" = ["free"]\n"optimize.capacity" = [2]',
     "grid.toml: axes.optimize.capacity[0]: optimize.capacity: capacity above one works with the bands and regions "
     "shapes"),
])
def test_bad_grid_is_one_line_before_any_task(cli, grid, tmp_path, axes, message):
    assert_refused(cli("sweep", grid(axes), "--out", tmp_path / "out", "--workers", 0), message, tmp_path / "out")


def assert_refused(result, message: str, out) -> None:
    """``result`` is one ``error:`` line holding ``message``, exit code 2, and ``out`` was not created."""
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and line.startswith("error: ") and message in line
    assert not out.exists()


def test_fig7_axes_give_the_reproduce_numbers(grid, tmp_path):
    """The engine on a one-at-a-time grid equals ``reproduce_sweeps`` (exact expectations: no noise)."""
    path = grid('link_survival = { field = "isl.survival", values = [0.8, 1.0] }\n'
                'altitude_km = { field = "constellation.walker.altitude_km", values = [500.0, 700.0] }',
                extra='design = "one-at-a-time"')
    summary = run_sweep(load_grid(path), tmp_path / "out", workers=0)
    assert (summary.points, summary.failed) == (4, 0)
    spec = load_scenario(tmp_path / "tiny.toml")
    old = reproduce_sweeps(spec, tmp_path / "tiny.toml", tmp_path / "old", seeds=2,
                           sweeps={"link_survival": [0.8, 1.0], "altitude_km": [500.0, 700.0]})
    with sqlite3.connect(summary.database) as conn:
        for parameter, rows in old.items():
            for row in rows:
                got = conn.execute(f"SELECT mean_s_per_token, std_s, propagation_s_per_token, links_up_fraction "
                                   f"FROM results WHERE {parameter} = ? AND scheme = ?",
                                   (row["value"], row["scheme"])).fetchall()
                assert len(got) == 1 and got[0] == pytest.approx(
                    (row["mean_s_per_token"], row["std_s"], row["propagation_s_per_token"],
                     row["links_up_fraction"]), rel=1e-12)


def test_failing_point_is_recorded_and_the_rest_resumes(cli, grid, tmp_path):
    # 4 planes give bands of 4 satellites for 8 experts: that point fails when built
    path = grid('"constellation.walker.n_planes" = [4, 10]\n"isl.survival" = [0.9, 1.0]')
    result = cli("sweep", path, "--out", tmp_path / "out", "--workers", 0, "--csv", "--plot")
    assert result.exit_code == 1
    assert "4 points: 0 finished before, 4 run (2 failed)" in result.output
    with sqlite3.connect(tmp_path / "out" / "results.sqlite") as conn:
        failed = conn.execute('SELECT DISTINCT "constellation.walker.n_planes", error FROM results '
                              "WHERE error IS NOT NULL").fetchall()
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert [n for n, _ in failed] == [4] and "InputError" in failed[0][1]
    assert len((tmp_path / "out" / "results.csv").read_text().splitlines()) == 1 + 4 * 4
    assert (tmp_path / "out" / "sweep_isl.survival.png").stat().st_size > 1000
    again = cli("sweep", path, "--out", tmp_path / "out", "--workers", 0)
    assert "4 points: 2 finished before, 2 run (2 failed)" in again.output


def test_listed_points_and_a_method_axis(grid, tmp_path):
    path = grid("", extra='design = "points"\nschemes = ["Space-XNet"]\n'
                       '[[points]]\n"run.method" = "hungarian"\n"isl.survival" = 1.0\n'
                       '[[points]]\n"run.method" = "sorted"\n'
                       '[[points]]\n"run.method" = "sorted"\n"isl.survival" = 0.9\n')
    summary = run_sweep(load_grid(path), tmp_path / "out", workers=0)
    assert (summary.points, summary.failed) == (2, 0)  # the third point repeats the second (base survival 0.9)
    with sqlite3.connect(summary.database) as conn:
        rows = conn.execute('SELECT "run.method", "isl.survival", mean_s_per_token FROM results').fetchall()
    assert [r[:2] for r in rows] == [("hungarian", 1.0), ("sorted", 0.9)]


def test_snapshots_built_once_per_distinct_shell(grid, tmp_path, monkeypatch):
    from spacexnet_opt.sweep import engine, task

    built = []

    def counting(spec, source):
        built.append(spec.isl.survival)
        return task.shell_snapshots(spec, source)

    monkeypatch.setattr(engine, "shell_snapshots", counting)
    path = grid('"isl.survival" = [0.9, 1.0]\n"seeds.statistics" = [0, 1, 2]')
    summary = run_sweep(load_grid(path), tmp_path / "out", workers=0)
    assert summary.points == 6 and built == [0.9, 1.0]  # statistics seeds do not change the shell


def _tail(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _wait_rows(db, at_least: int, proc, timeout: float = 60) -> int:
    """Rows of the sweep's database as the sweep writes them, read-only (never creating the file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the sweep ended ({proc.returncode}) before it could be interrupted: "
                                 f"{_tail(proc.log)}")
        try:
            with sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True) as conn:
                n = conn.execute("SELECT COUNT(DISTINCT point_hash) FROM results").fetchone()[0]
        except sqlite3.OperationalError:
            n = 0
        if n >= at_least:
            return n
        time.sleep(0.02)
    raise AssertionError(f"fewer than {at_least} points after {timeout} s")


def test_killed_worker_then_client_then_rerun_equals_a_serial_run(grid, tmp_path):
    path = grid('"isl.survival" = [0.8, 0.85, 0.9, 0.95, 1.0]\n"seeds.statistics" = [0, 1]',
                extra='[set]\n"snapshots.count" = 12')
    serial = run_sweep(load_grid(path), tmp_path / "serial", workers=0)
    db = tmp_path / "dask" / "results.sqlite"
    command = [sys.executable, "-c", "from spacexnet_opt.cli.interrupt import main; main()", "sweep", str(path),
               "--out", str(tmp_path / "dask"), "--workers", "2"]
    log = open(tmp_path / "sweep.log", "w+b")   # a file, not a pipe: a full pipe would stall the sweep
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log
    family = []
    try:
        _wait_rows(db, 1, proc)
        family = psutil.Process(proc.pid).children(recursive=True)
        workers = [p for p in family if "spawn_main" in " ".join(p.cmdline())]  # not the resource tracker
        assert len(workers) == 2
        workers[0].kill()  # its nanny starts a new worker; the scheduler reruns its task
        done = _wait_rows(db, 3, proc)
        proc.kill()
        proc.wait()
        assert done < serial.points  # the client really died mid-sweep
    finally:
        proc.kill()
        for p in family:
            if p.is_running():
                p.kill()
    rerun = run_sweep(load_grid(path), tmp_path / "dask", workers=2)
    assert rerun.skipped >= 3 and rerun.skipped + rerun.run == serial.points == 10
    assert _content(db) == _content(serial.database)


def test_optimize_levers_as_axes_record_the_optimized_rows(cli, grid, tmp_path):
    """A lever point's Space-XNet-opt(-tp) rows are what ``spacexnet optimize`` predicts with the same levers."""
    from spacexnet_opt.formats.deployment import load_deployment

    path = grid('"optimize.replicas" = [0, 8]',
                extra='schemes = ["Space-XNet"]\n[set]\n"optimize.compute_group" = "waterfill"\n'
                      '"optimize.group_size" = 6')
    summary = run_sweep(load_grid(path), tmp_path / "out", workers=0)
    assert (summary.points, summary.failed) == (2, 0)
    with sqlite3.connect(summary.database) as conn:
        rows = conn.execute('SELECT "optimize.replicas", scheme, mean_s_per_token FROM results '
                            "ORDER BY point_index, scheme").fetchall()
    assert [r[:2] for r in rows] == [(r, s) for r in (0, 8) for s in ("Space-XNet", "Space-XNet-opt",
                                                                       "Space-XNet-opt-tp")]
    got = {(r, s): v for r, s, v in rows}
    for options, scheme in (([], "Space-XNet-opt"), (["--compute-group", "waterfill", "--group-size", "6"],
                                                     "Space-XNet-opt-tp")):
        out = tmp_path / f"{scheme}.json"
        assert cli("optimize", tmp_path / "tiny.toml", "-o", out, "--replicas", 8, *options).exit_code == 0
        assert got[8, scheme] == pytest.approx(load_deployment(out).predicted.s_per_token, rel=1e-12)
    assert got[8, "Space-XNet-opt-tp"] < got[8, "Space-XNet-opt"] <= got[8, "Space-XNet"]
    clash = cli("sweep", grid('"optimize.replicas" = [4]', extra='schemes = ["Space-XNet-opt"]'),
                "--out", tmp_path / "clash", "--workers", 0)
    assert clash.exit_code == 2 and clash.output.strip() == (
        f"error: {tmp_path / 'grid.toml'}: schemes[0]: Space-XNet-opt is the row of the optimize. levers this grid "
        "sets; drop it from schemes")


def test_ctrl_c_says_what_was_kept(cli, grid, tmp_path, monkeypatch):
    from spacexnet_opt.cli.exit_codes import INTERRUPTED, interrupted_line
    from spacexnet_opt.sweep import engine, task

    calls = []

    def interrupted_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return task.run_point(*args)

    monkeypatch.setattr(engine, "run_point", interrupted_second)
    result = cli("sweep", grid('"isl.survival" = [0.9, 1.0]'), "--out", tmp_path / "out", "--workers", 0)
    database = tmp_path / "out" / "results.sqlite"
    assert result.exit_code == 130
    assert result.output.strip() == (f"error: interrupted (Ctrl-C); 1 of 2 points kept in {database} "
                                     "(the same command resumes)")
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT COUNT(DISTINCT point_hash) FROM results").fetchone() == (1,)
    assert interrupted_line() == INTERRUPTED  # the console script's message is back once the sweep ends
