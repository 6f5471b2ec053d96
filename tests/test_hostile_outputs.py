"""Odd output and input paths: devices and FIFOs written in place, ``/dev/stdout`` as people expect, links kept,
sockets refused, files named inside inputs protected, special and endless inputs refused in one line."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest


from hostile import assert_one_error_line, run_cli as _run, tree_digest
from test_hostile_deployment import TINY

SPACEXNET = [sys.executable, "-c", "from spacexnet_opt.cli.interrupt import main; main()"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """sc.toml, its instance inst.json and a placement plc.json of it."""
    d = tmp_path_factory.mktemp("hostile-outputs")
    (d / "sc.toml").write_text(TINY)
    assert _run("build", d / "sc.toml", "-o", d / "inst.json").exit_code == 0
    assert _run("solve", d / "inst.json", "-m", "sorted", "-o", d / "plc.json").exit_code == 0
    return d


def test_dev_null_is_written_in_place_and_stays_a_device(work):
    before = os.stat("/dev/null")
    result = _run("solve", work / "inst.json", "-m", "sorted", "-o", "/dev/null")
    assert result.exit_code == 0, result.output
    result = _run("compare", work / "inst.json", "--methods", "sorted,hungarian", "--json", "/dev/null")
    assert result.exit_code == 0, result.output
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_dev_stdout_receives_the_file_in_order(work):
    """In a real process with stdout a pipe: ``-o /dev/stdout`` prints the placement JSON, then the table."""
    done = subprocess.run([*SPACEXNET, "solve", str(work / "inst.json"), "-m", "sorted", "-o", "/dev/stdout"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed, end = json.JSONDecoder().raw_decode(done.stdout)
    saved = json.loads((work / "plc.json").read_text())
    assert [e["experts"] for e in printed["layers"]] == [e["experts"] for e in saved["layers"]]
    assert "OPTIMAL" in done.stdout[end:] and done.stdout.rstrip().endswith("written to /dev/stdout")


def test_fifo_output_is_written_into_the_pipe(work, tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = {}

    def read():
        with open(fifo, "rb") as pipe:
            received["bytes"] = pipe.read()

    reader = threading.Thread(target=read)
    reader.start()
    result = _run("solve", work / "inst.json", "-m", "sorted", "-o", fifo)
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert json.loads(received["bytes"])["format"] == "spacexnet-placement"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_fifo_input_is_read(work, tmp_path):
    fifo = tmp_path / "inst.json"
    os.mkfifo(fifo)
    data = (work / "inst.json").read_bytes()

    def write():
        with open(fifo, "wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=write)
    writer.start()
    result = _run("solve", fifo, "-m", "sorted")
    writer.join(timeout=60)
    assert result.exit_code == 0, result.output


def test_symlinked_output_keeps_the_link_and_replaces_its_target(work, tmp_path):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    assert _run("solve", work / "inst.json", "-m", "sorted", "-o", link).exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text())["format"] == "spacexnet-placement"


def test_socket_output_is_refused(work, tmp_path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        before = tree_digest(work)
        assert_one_error_line(_run("solve", work / "inst.json", "-m", "sorted", "-o", path), "--output", "socket")
        assert stat.S_ISSOCK(os.stat(path).st_mode) and tree_digest(work) == before
    finally:
        server.close()


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom", "link"])
def test_device_inputs_are_refused_as_not_regular(work, tmp_path, source):
    if source == "link":
        source = tmp_path / "inst.json"
        source.symlink_to("/dev/zero")
    assert_one_error_line(_run("solve", source, "-m", "sorted"), "not a regular file", "character device")
    assert_one_error_line(_run("build", source, "-o", tmp_path / "x.json"), "not a regular file")


def test_endless_stream_stops_at_the_input_limit(monkeypatch, tmp_path):
    """A FIFO is read up to the limit (lowered here to 1 MB), then refused in one line."""
    monkeypatch.setattr("spacexnet_opt.fileio.MAX_INPUT_BYTES", 1 << 20)
    fifo = tmp_path / "endless.json"
    os.mkfifo(fifo)

    def write():
        try:
            with open(fifo, "wb") as pipe:
                while True:
                    pipe.write(b" " * 65536)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert_one_error_line(_run("solve", fifo, "-m", "sorted"), "endless.json", "input limit of 1,048,576 bytes")


def test_oversized_regular_input_is_refused_before_reading(monkeypatch, tmp_path):
    monkeypatch.setattr("spacexnet_opt.fileio.MAX_INPUT_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 5000)
    assert_one_error_line(_run("solve", big, "-m", "sorted"), "big.json", "5,000 bytes", "input limit of 1,000")


def test_output_may_not_be_the_instance_a_placement_names(work, tmp_path):
    """``evaluate SCENARIO PLACEMENT --json INSTANCE``: the placement names the instance it was solved on."""
    before = tree_digest(work)
    assert_one_error_line(_run("evaluate", work / "sc.toml", work / "plc.json", "--json", work / "inst.json"),
                          "--json", "inst.json", "input")
    assert tree_digest(work) == before


def test_output_may_not_be_a_file_of_a_results_directory(work, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "table2.json").write_text('{"schemes": {}}')
    before = tree_digest(tmp_path)
    assert_one_error_line(_run("view", work / "inst.json", "--results", results, "-o", results / "table2.json"),
                          "-o", "table2.json", "input")
    assert tree_digest(tmp_path) == before
