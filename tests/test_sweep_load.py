"""Load sweeps: workload fields as grid axes, the serving columns, serial = Dask, resumable, equal to `serve`."""

from __future__ import annotations

import json
import sqlite3

import pytest

from spacexnet_opt.sweep import SCHEMA_VERSION, ResultsDB, load_grid, run_sweep
from spacexnet_opt.sweep.db import SERVING_METRICS
from spacexnet_opt.view.serving_curve import serving_rows

from test_serve import SERVE_TINY
from test_sweep import assert_refused

WORKLOAD = """format = "spacexnet-workload"
version = 1
name = "w"
seed = 3
[arrivals]
process = "poisson"
rate = 0.1
[requests]
count = 10
[prompt]
kind = "fixed"
value = 16
[output]
kind = "fixed"
value = 6
[slo]
tpot_s = 4.0
"""

GRID = """format = "spacexnet-grid"
version = 1
name = "load"
scenario = "tiny.toml"
workload = "w.toml"
schemes = ["RandIntra", "Space-XNet"]
[run]
seeds = 1
[axes]
{axes}
"""

RATES = "\"workload.rate\" = [0.05, 0.5]"


@pytest.fixture()
def files(tmp_path):
    (tmp_path / "tiny.toml").write_text(SERVE_TINY)
    (tmp_path / "w.toml").write_text(WORKLOAD)

    def write(axes: str = RATES, grid: str = GRID) -> str:
        path = tmp_path / "grid.toml"
        path.write_text(grid.format(axes=axes))
        return path

    return write


def _rows(database) -> list[dict]:
    """Every row but the wall time, in key order."""
    db = ResultsDB(database, readonly=True)
    try:
        rows = db.rows()
    finally:
        db.close()
    return sorted(({k: v for k, v in r.items() if k != "runtime_s"} for r in rows),
                  key=lambda r: (r["point_hash"], r["scheme"]))


def test_serial_and_two_workers_give_equal_rows_and_a_rerun_skips_them(cli, files, tmp_path):
    grid = files()
    serial = cli("sweep", grid, "--out", tmp_path / "serial", "--workers", 0, "--plot")
    assert serial.exit_code == 0, serial.output
    assert "2 points: 0 finished before, 2 run (0 failed)" in serial.output
    assert (tmp_path / "serial" / "serving_curve.png").stat().st_size > 1000
    assert not list((tmp_path / "serial").glob("sweep_*.png"))  # s/token does not vary over the workload alone
    run_sweep(load_grid(grid), tmp_path / "dask", workers=2)
    rows = _rows(tmp_path / "serial" / "results.sqlite")
    assert len(rows) == 4 and rows == _rows(tmp_path / "dask" / "results.sqlite")
    assert {(r["scheme"], r["workload.rate"]) for r in rows} == {(s, r) for s in ("RandIntra", "Space-XNet")
                                                                 for r in (0.05, 0.5)}
    for row in rows:
        assert row["error"] is None and row["rate_per_s"] == row["workload.rate"] and row["completed"] == 10
        assert all(row[m] is not None for m in SERVING_METRICS)
        assert 0 < row["max_utilisation"] < 1 and 0 <= row["slo_attainment"] <= 1
    again = cli("sweep", grid, "--out", tmp_path / "serial", "--workers", 0)
    assert "2 points: 2 finished before, 0 run (0 failed)" in again.output
    with sqlite3.connect(tmp_path / "serial" / "results.sqlite") as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_rows_equal_serve_on_the_schemes_deployment_files(cli, files, tmp_path):
    """The sweep's serving columns are `spacexnet serve` on `reproduce`'s deployment file of the same scheme."""
    grid = files()
    assert cli("sweep", grid, "--out", tmp_path / "out", "--workers", 0).exit_code == 0
    res = cli("reproduce", "paper", "--scenario", tmp_path / "tiny.toml", "--out", tmp_path / "rep", "--seeds", 2,
              "--tokens", 0, "--schemes", "RandIntra,Space-XNet")
    assert res.exit_code == 0, res.output
    rows = _rows(tmp_path / "out" / "results.sqlite")
    for scheme in ("RandIntra", "Space-XNet"):
        out = tmp_path / f"{scheme}.json"
        served = cli("serve", tmp_path / "rep" / f"deployment-{scheme}.json", "--workload", tmp_path / "w.toml",
                     "--rate", "0.05,0.5", "-o", out)
        assert served.exit_code == 0, served.output
        for run in json.loads(out.read_text())["runs"]:
            row = next(r for r in rows if r["scheme"] == scheme and r["rate_per_s"] == run["rate_per_s"])
            assert row["tokens_per_s"] == run["throughput"]["tokens_per_s"]
            assert (row["tpot_p99_s"], row["tpot_mean_s"]) == (run["tpot_s"]["p99"], run["tpot_s"]["mean"])
            assert (row["ttft_p99_s"], row["ttft_mean_s"]) == (run["ttft_s"]["p99"], run["ttft_s"]["mean"])
            assert row["slo_attainment"] == run["slo"]["attainment"]
            assert row["busiest_satellite"] == run["satellites"][0]["satellite"]
            assert row["max_utilisation"] == run["satellites"][0]["utilisation"]
        # the view reads the same numbers from the serve JSON as from the database
        from_json = {r["rate_per_s"]: r for r in serving_rows(out)}
        for row in (r for r in rows if r["scheme"] == scheme):
            assert from_json[row["rate_per_s"]] == {"scheme": scheme, **{k: row[k] for k in (
                "rate_per_s", "tokens_per_s", "tpot_p99_s", "tpot_mean_s", "ttft_p99_s", "slo_attainment")}}


def test_tokens_per_s_rises_with_the_offered_load_below_saturation(files, tmp_path):
    rates = [0.02, 0.05, 0.1, 0.2]
    grid = load_grid(files(f'"workload.arrivals.rate" = {rates}\n"workload.output" = [6]'))
    run_sweep(grid, tmp_path / "out", workers=0)
    for scheme in ("RandIntra", "Space-XNet"):
        mine = sorted((r for r in _rows(tmp_path / "out" / "results.sqlite") if r["scheme"] == scheme),
                      key=lambda r: r["rate_per_s"])
        assert [r["rate_per_s"] for r in mine] == rates
        assert all(r["max_utilisation"] < 1 and r["completed"] == 10 for r in mine)  # below saturation
        tokens = [r["tokens_per_s"] for r in mine]
        assert all(a < b for a, b in zip(tokens, tokens[1:])), tokens
        # every request done, each with its 6 tokens: tokens/s is 6 x requests/s over the same run
        assert all(r["tokens_per_s"] == pytest.approx(6 * r["requests_per_s"], rel=1e-12) for r in mine)


@pytest.mark.parametrize("axes, message", [
    ('"workload.rate" = [0.5, -1.0]', "grid.toml: axes.workload.rate[1]: workload.arrivals.rate: Input should be "
                                      "greater than 0"),
    ('"workload.rate" = [nan]', "grid.toml: axes.workload.rate[0]: workload.arrivals.rate: Input should be a "
                                "finite number"),
    ('"workload.arrivals.rat" = [1.0]', "grid.toml: axes.workload.arrivals.rat: unknown field 'rat' in arrivals; "
                                        "valid: process, rate, cv, file"),
    ('"workload.colour" = [1]', "grid.toml: axes.workload.colour: unknown field 'colour' in workload; valid: "),
    ('"workload.count" = [1000000000]', "grid.toml: axes.workload.count[0]: workload.requests: 1,000,000,000 "
                                        "requests exceeds the ceiling 1,000,000"),
    ('"workload.prompt.value" = [0]', "grid.toml: axes.workload.prompt.value[0]: workload.prompt.value: Input "
                                      "should be greater than or equal to 1"),
])
def test_bad_workload_axis_is_one_line_and_nothing_written(cli, files, tmp_path, axes, message):
    assert_refused(cli("sweep", files(axes), "--out", tmp_path / "out", "--workers", 0), message, tmp_path / "out")


@pytest.mark.parametrize("grid, message", [
    (GRID.replace('workload = "w.toml"\n', ""), "grid.toml: axes.workload.rate: workload fields need a base "
                                                "workload: workload = \"FILE.toml\" or a [workload] table"),
    (GRID.replace('"w.toml"', '"nope.toml"'), "grid.toml: workload: "),
])
def test_workload_axes_without_a_workload_are_one_line(cli, files, tmp_path, grid, message):
    assert_refused(cli("sweep", files(grid=grid), "--out", tmp_path / "out", "--workers", 0), message,
                   tmp_path / "out")


def test_inline_workload_table_equals_the_file(files, tmp_path):
    inline = GRID.replace('workload = "w.toml"\n', "").replace("[axes]", "[workload]\n" + "\n".join(
        line for line in WORKLOAD.splitlines() if not line.startswith(("format", "version"))).replace(
        "[arrivals]", "[workload.arrivals]").replace("[requests]", "[workload.requests]").replace(
        "[prompt]", "[workload.prompt]").replace("[output]", "[workload.output]").replace(
        "[slo]", "[workload.slo]") + "\n[axes]")
    from_file = load_grid(files())
    from spacexnet_opt.sweep import grid_points

    file_points = grid_points(from_file)
    inline_points = grid_points(load_grid(files(grid=inline)))
    assert [p.hash for p in file_points] == [p.hash for p in inline_points]
    assert inline_points[1].workload.arrivals.rate == 0.5


def test_a_version_1_database_is_read_then_migrated_by_a_load_sweep(cli, files, tmp_path):
    plain = files(axes='"isl.survival" = [0.9]', grid=GRID.replace('workload = "w.toml"\n', ""))
    database = run_sweep(load_grid(plain), tmp_path / "out", workers=0).database
    with sqlite3.connect(database) as conn:  # as schema version 1 wrote it
        for column in SERVING_METRICS:
            conn.execute(f"ALTER TABLE results DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 1")
    old = _rows(database)
    assert len(old) == 2 and "tokens_per_s" not in old[0]
    view = cli("view", tmp_path / "tiny.toml", "-o", tmp_path / "v.html", "--serving", tmp_path / "out")
    assert view.exit_code == 2 and view.output.strip() == (
        f"error: {database}: tokens_per_s: no serving metrics (a sweep whose grid names no workload)")
    assert not (tmp_path / "v.html").exists()
    result = cli("sweep", files(), "--out", tmp_path / "out", "--workers", 0)
    assert result.exit_code == 0, result.output
    rows = _rows(database)
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    kept = [r for r in rows if r["point_hash"] in {o["point_hash"] for o in old}]
    assert [{k: r[k] for k in old[0]} for r in kept] == old
    assert all(r["tokens_per_s"] is None for r in kept)
    assert sum(r["tokens_per_s"] is not None for r in rows) == 4
