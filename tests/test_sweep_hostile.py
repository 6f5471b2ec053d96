"""Hostile inputs to ``spacexnet sweep`` (and ``view --results``): grid files, the results database and
``--scheduler``. Each gives exit code 2 and one line ``error: FILE: FIELD: problem``, and leaves every file
byte-identical (no table or column added to a database that is not ours, no empty output directory)."""

from __future__ import annotations

import hashlib
import json
import math
import socket
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacexnet_opt.sweep import load_grid, run_sweep
from spacexnet_opt.sweep.db import APPLICATION_ID, SCHEMA_VERSION, SERVING_METRICS

from test_evaluate_cli import TINY

GRID = """format = "spacexnet-grid"
version = 1
name = "t"
scenario = "tiny.toml"
schemes = ["Space-XNet"]
[run]
seeds = 1
[axes]
"isl.survival" = [0.9, 1.0]
"""


@pytest.fixture()
def files(tmp_path):
    """A tiny scenario and a valid 2-point grid beside it; returns the grid path."""
    (tmp_path / "tiny.toml").write_text(TINY)
    (tmp_path / "grid.toml").write_text(GRID)
    return tmp_path / "grid.toml"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


# --- grid files --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("x = " + "[" * 30000 + "]" * 30000 + "\n", "grid.toml:1: nesting deeper than 64 levels"),
    ("x = " + "{a = " * 100 + "1" + "}" * 100 + "\n", "grid.toml:1: nesting deeper than 64 levels"),
    ("a" + ".a" * 30000 + " = 1\n", "grid.toml:1: nesting deeper than 64 levels"),
    ("a" + ".a" * 40 + " = " + "[" * 40 + "]" * 40 + "\n", "grid.toml: nesting deeper than 64 levels"),
    (GRID.replace("seeds = 1", "seeds = 1000000000"),
     "grid.toml: run.seeds: Input should be less than or equal to 1000"),
    (GRID.replace("seeds = 1", "tokens = 100000000000"),
     "grid.toml: run.tokens: Input should be less than or equal to 10000000"),
    (GRID + '"seeds.statistics" = [' + ", ".join(map(str, range(1000))) + "]\n"
     + '"seeds.links" = [' + ", ".join(map(str, range(1000))) + "]\n",
     "grid.toml: axes: 2,000,000 points, over the limit of 100,000 (--max-points): checking them alone would "
     "take about 33.3 min and running them at least 2.3 days on one core"),
    (GRID.replace("tiny.toml", "missing.toml"), "grid.toml: scenario: "),
    (GRID.replace("tiny.toml", "missing.toml"), "missing.toml: file not found (a path relative to the grid file"),
])
def test_bad_grid_is_one_line_and_writes_nothing(cli, files, tmp_path, text, message):
    files.write_text(text)
    before = _digest(files)
    line = _one_line(cli("sweep", files, "--out", tmp_path / "out", "--workers", 0))
    assert line.startswith("error: ") and message in line
    assert _digest(files) == before and not (tmp_path / "out").exists()


def test_max_points_is_an_option_and_counts_without_building(cli, files, tmp_path):
    line = _one_line(cli("sweep", files, "--out", tmp_path / "out", "--workers", 0, "--max-points", 1))
    assert line.startswith(f"error: {files}: axes: 2 points, over the limit of 1 (--max-points)")
    assert load_grid(files).size() == 2


def test_a_bare_scenario_name_falls_back_to_the_shipped_one(tmp_path):
    """Copied out of instances/, the README's grid still finds paper.toml (or "paper")."""
    for name in ("paper.toml", "paper"):
        (tmp_path / "g.toml").write_text(GRID.replace("tiny.toml", name))
        path = load_grid(tmp_path / "g.toml").base_path()
        assert path.is_file() and path.name == "paper.toml" and path.parent.name == "instances"
    (tmp_path / "paper.toml").write_text(TINY)  # a file next to the grid wins
    assert load_grid(tmp_path / "g.toml").base_path() == tmp_path / "paper.toml"
    (tmp_path / "g.toml").write_text(GRID.replace("tiny.toml", "paper.toml"))
    assert load_grid(tmp_path / "g.toml").base_path() == tmp_path / "paper.toml"
    (tmp_path / "g.toml").write_text(GRID.replace("tiny.toml", "./paper"))  # a path: no fallback
    assert load_grid(tmp_path / "g.toml").base_path() == tmp_path / "paper"


# --- the results database ----------------------------------------------------------------------------------

def _foreign_results(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE results (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO results VALUES (1, 'theirs')")


def _other_program(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
        conn.execute("PRAGMA application_id = 42")


def _newer_schema(path):
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.execute("CREATE TABLE results (x)")


@pytest.mark.parametrize("make, message", [
    (_foreign_results, "results.sqlite: results: not a sweep results database (tables: results; "
                       "user_version 0)"),
    (_other_program, "results.sqlite: application_id: not a sweep results database (application_id 0x2a: another "
                     "program's)"),
    (_newer_schema, f"results.sqlite: user_version: results schema version {SCHEMA_VERSION + 1} is newer than this "
                    f"spacexnet-opt's {SCHEMA_VERSION}"),
    (lambda p: p.write_text("id,name\n1,theirs\n"), "results.sqlite: not a sweep results database (not an SQLite file)"),
    (lambda p: p.mkdir(), "results.sqlite: is a directory, not a results database"),
])
def test_a_database_not_ours_is_refused_untouched(cli, files, tmp_path, make, message):
    database = tmp_path / "out" / "results.sqlite"
    database.parent.mkdir()
    make(database)
    before = _digest(database) if database.is_file() else None
    line = _one_line(cli("sweep", files, "--out", tmp_path / "out", "--workers", 0))
    assert line == f"error: {tmp_path / 'out'}/{message}" or line.startswith(f"error: {tmp_path / 'out'}/{message}")
    assert sorted(p.name for p in database.parent.iterdir()) == ["results.sqlite"]  # no journal, no CSV
    if before is not None:
        assert _digest(database) == before
    view = cli("view", tmp_path / "tiny.toml", "-o", tmp_path / "v.html", "--results", database)
    assert _one_line(view).startswith(f"error: {database}") and not (tmp_path / "v.html").exists()


def test_a_truncated_database_is_refused_untouched(cli, files, tmp_path):
    whole = run_sweep(load_grid(files), tmp_path / "whole", workers=0).database
    database = tmp_path / "out" / "results.sqlite"
    database.parent.mkdir()
    database.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    before = _digest(database)
    line = _one_line(cli("sweep", files, "--out", tmp_path / "out", "--workers", 0))
    assert line.startswith(f"error: {database}: not a sweep results database (unreadable SQLite: ")
    assert _digest(database) == before


def test_a_version_1_database_from_before_application_id_is_migrated(cli, files, tmp_path):
    database = run_sweep(load_grid(files), tmp_path / "out", workers=0).database
    with sqlite3.connect(database) as conn:
        for column in SERVING_METRICS:  # as written by schema version 1, before application_id existed
            conn.execute(f"ALTER TABLE results DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("PRAGMA application_id = 0")
    result = cli("sweep", files, "--out", tmp_path / "out", "--workers", 0)
    assert result.exit_code == 0 and "2 points: 2 finished before, 0 run" in result.output
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_locked_database_is_waited_for_then_refused(cli, files, tmp_path):
    database = run_sweep(load_grid(files), tmp_path / "out", workers=0).database
    before = _digest(database)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing
    try:
        result = cli("sweep", files, "--out", tmp_path / "out", "--workers", 0, "--lock-timeout", 0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"note: {database}: locked by another process; waiting up to 0.3 s",
        f"error: {database}: locked by another process; gave up after waiting 0.3 s"]
    assert _digest(database) == before


# --- --scheduler -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("address, problem", [
    ("", "'': empty address; give HOST:PORT, e.g. tcp://127.0.0.1:8786"),
    ("127.0.0.1", "'127.0.0.1': no port; give HOST:PORT, e.g. tcp://127.0.0.1:8786"),
    ("tcp://127.0.0.1:http", "'tcp://127.0.0.1:http': port 'http' is not a number in 1..65535"),
    ("127.0.0.1:65536", "'127.0.0.1:65536': port '65536' is not a number in 1..65535"),
    ("http://127.0.0.1:8786", "'http://127.0.0.1:8786': unknown scheme 'http'; valid: tcp, tls, ws, wss"),
    ("tcp://:8786", "'tcp://:8786': no host; give HOST:PORT, e.g. tcp://127.0.0.1:8786"),
])
def test_a_malformed_scheduler_is_refused_first(cli, files, tmp_path, address, problem):
    files.write_text("not = [toml")  # the address is checked before the grid is read
    assert _one_line(cli("sweep", files, "--out", tmp_path / "out", "--scheduler", address)) == \
        f"error: --scheduler: {problem}"
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_fails_in_bounded_time_leaving_no_directory(cli, files, tmp_path):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    line = _one_line(cli("sweep", files, "--out", tmp_path / "out", "--scheduler", address,
                         "--connect-timeout", 1))
    assert line.startswith(f"error: --scheduler: '{address}': no Dask scheduler answered within 1 s (")
    assert not (tmp_path / "out").exists()


def test_too_many_local_workers_are_refused_first(cli, files, tmp_path):
    import os

    most = 4 * os.cpu_count()
    assert _one_line(cli("sweep", files, "--out", tmp_path / "out", "--workers", 10**6)) == (
        f"error: --workers: at most {most} local workers (4 per core), got 1000000; for more, start a cluster "
        "and give --scheduler")
    assert not (tmp_path / "out").exists()


# --- property: a valid grid mutated field by field -----------------------------------------------------------

VALID = {"format": "spacexnet-grid", "version": 1, "name": "t", "scenario": "tiny.toml", "schemes": ["Space-XNet"],
         "run": {"seeds": 1, "tokens": 0}, "set": {"snapshots.count": 4}, "axes": {"isl.survival": [0.9, 1.0]}}
FIELDS = [(k,) for k in VALID] + [(t, k) for t in ("run", "set", "axes") for k in VALID[t]]
WEIRD = [-1, 0, 2, 1.5, 1e308, -1e308, 10**30, 2**63, math.nan, math.inf, "x", "", True, [], {}, [[1]],
         {"a": 1}, [0.9, "x"], None]  # None: the key deleted


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else "inf"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _grid_text(doc: dict) -> str:
    head = [f"{json.dumps(k)} = {_toml(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    tables = [f"[{k}]\n" + "".join(f"{json.dumps(a)} = {_toml(b)}\n" for a, b in v.items())
              for k, v in doc.items() if isinstance(v, dict)]
    return "\n".join(head) + "\n" + "".join(tables)


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_grids_run_or_give_one_clean_line(cli, tmp_path, data):
    (tmp_path / "tiny.toml").write_text(TINY)
    doc = json.loads(json.dumps(VALID))
    for field in data.draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True)):
        parent = doc if len(field) == 1 else doc.get(field[0])
        if not isinstance(parent, dict):
            continue
        value = data.draw(st.one_of(st.sampled_from(WEIRD), st.integers(70, 200).map(_nested)))
        if value is None:
            parent.pop(field[-1], None)
        else:
            parent[field[-1]] = value
    grid = tmp_path / "grid.toml"
    grid.write_text(_grid_text(doc))
    out = tmp_path / f"out-{hashlib.sha256(grid.read_bytes()).hexdigest()[:12]}"
    before = _digest(grid)
    result = cli("sweep", grid, "--out", out, "--workers", 0)
    lines = result.output.strip().splitlines()
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        assert not out.exists()
    else:
        assert "points:" in result.output and (out / "results.sqlite").is_file()
    assert "Traceback" not in result.output and _digest(grid) == before
