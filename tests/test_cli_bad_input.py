"""A hostile user's table: bad inputs across every command, each ending in one clean line.

Every case asserts the exit code, that stderr is exactly one ``error: ...`` line naming the file
and/or field, that no traceback is shown, and that every pre-existing file of the working
directory -- the inputs and an earlier output ``out.json`` -- is byte-identical afterwards.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from spacexnet_opt.cli.app import app

from conftest import SHARED_DATA
from test_evaluate_cli import TINY as EVALUATE_TINY
from test_readers_property import _mutate_bytes as mutate_bytes
from test_readers_property import _mutate_json as mutate_json

# the evaluate tests' tiny scenario, with 2 snapshots and no diameter report
TINY = EVALUATE_TINY.replace("count = 6", "count = 2").replace("diameter_snapshots = 2", "diameter_snapshots = 0")

PREVIOUS = b"previous output: must survive every failed run\n"


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """sc.toml, its inst.json and plc.json, QAPLIB q.dat/q.sln, load and trace files, a TLE, out.json."""
    d = tmp_path_factory.mktemp("hostile")
    (d / "sc.toml").write_text(TINY)
    runner = CliRunner()
    assert runner.invoke(app, ["build", str(d / "sc.toml"), "-o", str(d / "inst.json"), "-q"]).exit_code == 0
    assert runner.invoke(app, ["solve", str(d / "inst.json"), "-m", "sorted", "-o", str(d / "plc.json")]).exit_code == 0
    (d / "q.dat").write_text("3\n0 1 2\n1 0 3\n2 3 0\n\n0 5 2\n5 0 1\n2 1 0\n")
    (d / "q.sln").write_text("3 22\n2 1 3\n")
    (d / "load.json").write_text(json.dumps({"logical_count": [[0, 0, 0, 0], [40, 10, 10, 10], [5, 5, 5, 5]]}))
    np.savez(d / "trace.npz", sets=np.array([[[0, 1], [2, 3]]]), n_experts=np.array(4))
    lines = (SHARED_DATA / "tle" / "Starlink.tle").read_text().splitlines()
    (d / "sat.tle").write_text("\n".join(lines[:6]) + "\n")
    (d / "out.json").write_bytes(PREVIOUS)
    (d / "outdir").mkdir()
    return d


def _doc(work: Path, name: str) -> dict:
    return json.loads((work / name).read_text())


def instance(change: Callable[[dict], object]) -> Callable[[Path], str]:
    """A variant of inst.json: ``change`` edits the parsed document in place."""
    def make(work: Path) -> str:
        doc = _doc(work, "inst.json")
        change(doc)
        return json.dumps(doc)
    return make


def placement(change: Callable[[dict], object]) -> Callable[[Path], str]:
    """A variant of plc.json with its total objective kept consistent."""
    def make(work: Path) -> str:
        doc = _doc(work, "plc.json")
        change(doc)
        if isinstance(doc.get("layers"), list) and all(isinstance(e.get("objective"), float) for e in doc["layers"]):
            doc["total_objective"] = sum(e["objective"] for e in doc["layers"])
        return json.dumps(doc)
    return make


def scenario(old: str, new: str) -> Callable[[Path], str]:
    """sc.toml with ``old`` replaced by ``new``."""
    def make(work: Path) -> str:
        assert old in TINY
        return TINY.replace(old, new)
    return make


def text(content: str | bytes) -> Callable[[Path], str | bytes]:
    return lambda work: content


@dataclass(frozen=True)
class Case:
    """``args`` may use ``{W}`` (the shared working directory) and ``{C}`` (this case's own files)."""

    id: str
    args: str
    names: tuple[str, ...]
    code: int = 2
    files: dict = field(default_factory=dict)


def _set(path: list, value) -> Callable[[dict], None]:
    def change(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _dup_layer(doc):
    doc["layers"].append(doc["layers"][0])


def _swap_layers(doc):
    doc["layers"][0]["layer"], doc["layers"][1]["layer"] = doc["layers"][1]["layer"], doc["layers"][0]["layer"]


BIG_QAP = "100\n" + "\n".join(" ".join("1" for _ in range(100)) for _ in range(200)) + "\n"

CASES = [
    # --- solve -------------------------------------------------------------------------------------------------
    Case("solve-missing", "solve {C}/nope.json -m sorted -o {W}/out.json", ("nope.json", "file not found")),
    Case("solve-directory", "solve {W}/outdir -m sorted", ("outdir",)),
    Case("solve-empty", "solve {C}/e.json -m sorted", ("e.json", "invalid JSON"), files={"e.json": text("")}),
    Case("solve-binary", "solve {C}/b.json -m sorted", ("b.json",), files={"b.json": text(b"\xff\xfe\x00\x81")}),
    Case("solve-array", "solve {C}/a.json -m sorted", ("a.json", "JSON object"), files={"a.json": text("[1, 2]")}),
    Case("solve-format", "solve {C}/f.json -m sorted", ("f.json", "format"),
         files={"f.json": instance(_set(["format"], "spacexnet-placement"))}),
    Case("solve-version", "solve {C}/v.json -m sorted", ("v.json", "version"), files={"v.json": instance(_set(["version"], 9))}),
    Case("solve-nesting", "solve {C}/n.json -m sorted", ("n.json", "nesting"), files={"n.json": text("[" * 5000 + "]" * 5000)}),
    Case("solve-nan", "solve {C}/n.json -m sorted", ("n.json", "NaN"),
         files={"n.json": lambda w: re.sub(r'"tau_s":\s*\[', '"tau_s": [NaN, ', (w / "inst.json").read_text(), count=1)}),
    Case("solve-1e999", "solve {C}/n.json -m sorted", ("n.json", "too large"),
         files={"n.json": lambda w: re.sub(r'"tau_s":\s*\[', '"tau_s": [1e999, ', (w / "inst.json").read_text(), count=1)}),
    Case("solve-no-layers", "solve {C}/i.json -m sorted -o {W}/out.json", ("i.json", "layers"),
         files={"i.json": instance(_set(["layers"], []))}),
    Case("solve-duplicate-layers", "solve {C}/i.json -m sorted -o {W}/out.json", ("i.json", "listed twice"),
         files={"i.json": instance(_dup_layer)}),
    Case("solve-negative-satellite", "solve {C}/i.json -m sorted", ("i.json", "layers[0].satellites[0]"),
         files={"i.json": instance(_set(["layers", 0, "satellites", 0], -4))}),
    Case("solve-huge-satellite", "solve {C}/i.json -m sorted", ("i.json", "layers[0].satellites[0]"),
         files={"i.json": instance(_set(["layers", 0, "satellites", 0], 10**30))}),
    Case("solve-huge-gateway", "solve {C}/i.json -m sorted", ("i.json", "layers[1].gateway"),
         files={"i.json": instance(_set(["layers", 1, "gateway"], 2**40))}),
    Case("solve-activation-above-1", "solve {C}/i.json -m sorted", ("i.json", "layers[0].activation[0]"),
         files={"i.json": instance(_set(["layers", 0, "activation", 0], 1.5))}),
    Case("solve-negative-coactivation", "solve {C}/i.json -m sorted --objective top2", ("i.json", "coactivation"),
         files={"i.json": instance(_set(["layers", 0, "coactivation"], [[-0.1] * 8] * 8))}),
    Case("solve-disconnect-prob", "solve {C}/i.json -m sorted", ("i.json", "disconnect_prob"),
         files={"i.json": instance(lambda d: d["layers"][0].update(
             disconnect_prob=[1.5] * len(d["layers"][0]["satellites"])))}),
    Case("solve-negative-expert-gflop", "solve {C}/i.json -m sorted", ("i.json", "expert_gflop"),
         files={"i.json": instance(lambda d: d["layers"][0].update(expert_gflop=[-1.0] * 8))}),
    Case("solve-negative-cost", "solve {C}/i.json -m sorted", ("i.json", "layers[0].cost"),
         files={"i.json": instance(lambda d: d["layers"][0].update(
             cost=[[-1.0] * len(d["layers"][0]["satellites"])] * 8))}),
    Case("solve-overflowing-cost", "solve {C}/i.json -m sorted", ("i.json", "layers[0].cost"),
         files={"i.json": instance(lambda d: d["layers"][0].update(
             cost=[[1e300] * len(d["layers"][0]["satellites"])] * 8))}),
    Case("solve-zero-gflops", "solve {C}/i.json -m sorted", ("i.json", "layers[0].gflops"),
         files={"i.json": instance(lambda d: d["layers"][0].update(gflops=[0.0] * len(d["layers"][0]["satellites"])))}),
    Case("solve-tau-string", "solve {C}/i.json -m sorted", ("i.json", "layers[0].tau_s"),
         files={"i.json": instance(_set(["layers", 0, "tau_s"], "fast"))}),
    Case("solve-unknown-key", "solve {C}/i.json -m sorted", ("i.json", "layers[0].bogus"),
         files={"i.json": instance(_set(["layers", 0, "bogus"], 1))}),
    Case("solve-k-too-large", "solve {C}/i.json -m sorted", ("i.json", "layers[0]", "k="),
         files={"i.json": instance(_set(["layers", 0, "k"], 99))}),
    Case("solve-output-is-input", "solve {W}/inst.json -m sorted -o {W}/inst.json", ("--output", "input")),
    Case("solve-output-is-input-relative", "solve {W}/inst.json -m sorted -o {W}/outdir/../inst.json", ("--output", "input")),
    Case("solve-output-directory", "solve {W}/inst.json -m sorted -o {W}/outdir", ("--output", "directory")),
    Case("solve-output-under-file", "solve {W}/inst.json -m sorted -o {W}/out.json/none/x.json", ("--output", "not a directory")),
    Case("solve-output-parent-is-file", "solve {W}/inst.json -m sorted -o {W}/out.json/x.json", ("--output", "not a directory")),
    Case("solve-negative-seed", "solve {W}/inst.json -m tabu --seed -1 -o {W}/out.json", ("--seed", ">= 0")),
    Case("solve-seed-not-int", "solve {W}/inst.json -m tabu --seed abc", ("--seed",)),
    Case("solve-time-limit-inf", "solve {W}/inst.json -m cpsat --time-limit inf -o {W}/out.json", ("--time-limit", "finite")),
    Case("solve-time-limit-nan", "solve {W}/inst.json -m cpsat --time-limit nan", ("--time-limit",)),
    Case("solve-time-limit-zero", "solve {W}/inst.json -m cpsat --time-limit 0", ("--time-limit", "positive")),
    Case("solve-time-limit-huge", "solve {W}/q.dat -m tabu --time-limit 1e20 -o {W}/out.json", ("--time-limit", "at most")),
    Case("solve-time-limit-negative", "solve {W}/inst.json -m cpsat --time-limit -5", ("--time-limit",)),
    Case("solve-unknown-method", "solve {W}/inst.json -m simplex -o {W}/out.json", ("--method", "simplex")),
    Case("solve-unknown-objective", "solve {W}/inst.json -m sorted --objective fastest", ("objective", "fastest")),
    Case("solve-trace-without-trace", "solve {W}/inst.json -m sorted --objective trace -o {W}/out.json",
         ("inst.json", "trace")),
    Case("solve-missing-instance", "solve -m sorted", ("Missing argument",)),
    Case("solve-unknown-option", "solve {W}/inst.json -m sorted --fast", ("--fast",)),
    Case("solve-qaplib-nan", "solve {C}/q.dat -m sorted", ("q.dat:2", "nan"),
         files={"q.dat": text("2\n0 nan\n3 0\n0 1 2 0\n")}),
    Case("solve-qaplib-inf", "solve {C}/q.dat -m sorted", ("q.dat:3", "inf"), files={"q.dat": text("2\n0 1\ninf 0\n0 1 2 0\n")}),
    Case("solve-qaplib-count", "solve {C}/q.dat -m sorted", ("q.dat", "matrix entries"), files={"q.dat": text("2\n0 1\n1 0\n")}),
    Case("solve-qaplib-size", "solve {C}/q.dat -m sorted", ("q.dat:1", "size"), files={"q.dat": text("-2\n")}),
    Case("solve-qaplib-word", "solve {C}/q.dat -m sorted", ("q.dat:2", "'x'"), files={"q.dat": text("1\nx\n0\n")}),
    Case("solve-qaplib-objective", "solve {W}/q.dat -m sorted --objective linear", ("q.dat", "objective")),
    Case("solve-qaplib-output-is-input", "solve {W}/q.dat -m sorted -o {W}/q.dat", ("--output", "input")),
    Case("solve-qaplib-bad-solution", "solve {C}/q.dat -m sorted", ("q.sln:2", "1e+30"),
         files={"q.dat": text("2\n0 3\n3 0\n0 1 2 0\n"), "q.sln": text("2 6\n1e30 1\n")}),
    Case("solve-qaplib-solution-size", "solve {C}/q.dat -m sorted", ("q.sln", "size"),
         files={"q.dat": text("2\n0 3\n3 0\n0 1 2 0\n"), "q.sln": text("3 6\n1 2 3\n")}),
    Case("solve-cpsat-too-large", "solve {C}/big.dat -m cpsat --time-limit 5 -o {W}/out.json", ("cpsat", "table"),
         files={"big.dat": text(BIG_QAP)}),
    # --- compare -----------------------------------------------------------------------------------------------
    Case("compare-no-methods", "compare {W}/inst.json --methods ,", ("--methods",)),
    Case("compare-unknown-method", "compare {W}/inst.json --methods sorted,simplex", ("--method", "simplex")),
    Case("compare-csv-equals-json", "compare {W}/inst.json --methods sorted --csv {W}/out.json --json {W}/out.json",
         ("--json", "--csv")),
    Case("compare-csv-is-input", "compare {W}/inst.json --methods sorted --csv {W}/inst.json", ("--csv", "input")),
    Case("compare-json-directory", "compare {W}/inst.json --methods sorted --json {W}/outdir", ("--json", "directory")),
    Case("compare-missing-instance", "compare {C}/nope.json --methods sorted --json {W}/out.json", ("nope.json",)),
    Case("compare-time-limit", "compare {W}/inst.json --methods sorted --time-limit -1", ("--time-limit",)),
    Case("compare-bad-instance", "compare {C}/i.json --methods sorted --json {W}/out.json", ("i.json", "twice"),
         files={"i.json": instance(_dup_layer)}),
    Case("compare-negative-seed", "compare {W}/q.dat --methods tabu --seed -3", ("--seed",)),
    # --- export ------------------------------------------------------------------------------------------------
    Case("export-output-is-input", "export {W}/q.dat -o {W}/q.dat --format lp", ("--output", "input")),
    Case("export-instance-output-is-input", "export {W}/inst.json -o {W}/inst.json --layer 0 --format lp",
         ("--output", "input")),
    Case("export-unknown-suffix", "export {W}/q.dat -o {W}/outdir/m.txt", ("--format",)),
    Case("export-unknown-format", "export {W}/q.dat -o {W}/out.json --format xls", ("--format", "xls")),
    Case("export-no-such-layer", "export {W}/inst.json -o {W}/outdir/m.lp --layer 999", ("--layer", "999")),
    Case("export-needs-layer", "export {W}/inst.json -o {W}/outdir/m.lp", ("inst.json", "--layer")),
    Case("export-output-directory", "export {W}/q.dat -o {W}/outdir --format lp", ("--output", "directory")),
    Case("export-output-under-file", "export {W}/q.dat -o {W}/out.json/none/m.lp", ("--output", "not a directory")),
    Case("export-bad-qaplib", "export {C}/q.dat -o {W}/outdir/m.lp", ("q.dat:2",), files={"q.dat": text("1\n1e999\n0\n")}),
    Case("export-milp-too-large", "export {C}/big.dat -o {W}/outdir/m.lp", ("variables", "tabu"),
         files={"big.dat": text(BIG_QAP)}),
    # --- build and partition -----------------------------------------------------------------------------------
    Case("build-missing", "build {C}/nope.toml -o {W}/out.json", ("nope.toml", "file not found")),
    Case("build-output-is-input", "build {W}/sc.toml -o {W}/sc.toml", ("--output", "input")),
    Case("build-output-directory", "build {W}/sc.toml -o {W}/outdir", ("--output", "directory")),
    Case("build-output-under-file", "build {W}/sc.toml -o {W}/out.json/none/i.json", ("--output", "not a directory")),
    Case("build-output-is-scenario-input", "build {C}/s.toml -o {W}/load.json", ("--output", "load.json", "input"),
         files={"s.toml": scenario('kind = "zipf"', 'kind = "load"\nfile = "../load.json"')}),
    Case("evaluate-json-is-scenario-input", "evaluate {C}/s.toml RandPlace --json {W}/load.json", ("--json", "input"),
         files={"s.toml": scenario('kind = "zipf"', 'kind = "load"\nfile = "../load.json"')}),
    Case("build-not-toml", "build {C}/s.toml -o {W}/out.json", ("s.toml", "invalid TOML"), files={"s.toml": text("a = = 1")}),
    Case("build-binary", "build {C}/s.toml -o {W}/out.json", ("s.toml",), files={"s.toml": text(b"\x80\x81\xfe")}),
    Case("build-format", "build {C}/s.toml -o {W}/out.json", ("s.toml", "format"),
         files={"s.toml": scenario('format = "spacexnet-scenario"', 'format = "x"')}),
    Case("build-version", "build {C}/s.toml -o {W}/out.json", ("s.toml", "version"),
         files={"s.toml": scenario("version = 1", "version = 2")}),
    Case("build-unknown-key", "build {C}/s.toml -o {W}/out.json", ("s.toml", "snapshots.every"),
         files={"s.toml": scenario("count = 2", "count = 2\nevery = 3")}),
    Case("build-zero-snapshots", "build {C}/s.toml -o {W}/out.json", ("s.toml", "snapshots.count"),
         files={"s.toml": scenario("count = 2", "count = 0")}),
    Case("build-billion-snapshots", "build {C}/s.toml -o {W}/out.json", ("s.toml", "snapshots.count", "GiB"),
         files={"s.toml": scenario("count = 2", "count = 1000000000")}),
    Case("build-huge-shell", "build {C}/s.toml -o {W}/out.json", ("s.toml", "snapshots.count", "satellites"),
         files={"s.toml": text(TINY.replace("count = 2", "count = 200").replace("n_planes = 10", "n_planes = 100000"))}),
    Case("build-huge-count-integer", "build {C}/s.toml -o {W}/out.json", ("s.toml", "snapshots.count"),
         files={"s.toml": scenario("count = 2", "count = 100000000000000000000000000000")}),
    Case("build-negative-altitude", "build {C}/s.toml -o {W}/out.json", ("s.toml", "altitude_km"),
         files={"s.toml": scenario("altitude_km = 550.0", "altitude_km = -1.0")}),
    Case("build-nan-altitude", "build {C}/s.toml -o {W}/out.json", ("s.toml", "altitude_km"),
         files={"s.toml": scenario("altitude_km = 550.0", "altitude_km = nan")}),
    Case("build-inclination", "build {C}/s.toml -o {W}/out.json", ("s.toml", "inclination_deg"),
         files={"s.toml": scenario("inclination_deg = 87.0", "inclination_deg = 200.0")}),
    Case("build-survival", "build {C}/s.toml -o {W}/out.json", ("s.toml", "isl.survival"),
         files={"s.toml": scenario("survival = 0.9", "survival = 1.5")}),
    Case("build-nesting", "build {C}/s.toml -o {W}/out.json", ("s.toml", "nesting"),
         files={"s.toml": text("a = " + "[" * 3000 + "]" * 3000 + "\n")}),
    Case("build-two-sources", "build {C}/s.toml -o {W}/out.json", ("s.toml", "constellation"),
         files={"s.toml": scenario("[constellation.walker]", 'constellation.preset = "paper"\n[constellation.walker]')}),
    Case("build-unknown-profile", "build {C}/s.toml -o {W}/out.json", ("s.toml", "nosuchmodel"),
         files={"s.toml": scenario('profile = "llama-moe-3.5b-2of8"', 'profile = "nosuchmodel"')}),
    Case("build-load-without-file", "build {C}/s.toml -o {W}/out.json", ("s.toml", "statistics"),
         files={"s.toml": scenario('kind = "zipf"', 'kind = "load"')}),
    Case("build-missing-statistics-file", "build {C}/s.toml -o {W}/out.json", ("missing.json",),
         files={"s.toml": scenario('kind = "zipf"', 'kind = "load"\nfile = "missing.json"')}),
    Case("build-missing-tle", "build {C}/s.toml -o {W}/out.json", ("missing.tle",),
         files={"s.toml": text(TINY.split("[constellation.walker]")[0] + '[constellation.tle]\nfile = "missing.tle"\n'
                               + TINY.split('pattern = "star"\n')[1])}),
    Case("build-negative-seed", "build {C}/s.toml -o {W}/out.json", ("s.toml", "seeds.links"),
         files={"s.toml": text(TINY + "[seeds]\nlinks = -1\n")}),
    Case("build-zero-gflops", "build {C}/s.toml -o {W}/out.json", ("s.toml", "compute.satellite_gflops"),
         files={"s.toml": text(TINY + "[compute]\nsatellite_gflops = 0\n")}),
    Case("build-inf-duration", "build {C}/s.toml -o {W}/out.json", ("s.toml", "snapshots.duration_s"),
         files={"s.toml": scenario("count = 2", "count = 2\nduration_s = inf")}),
    Case("build-fold-zero", "build {C}/s.toml -o {W}/out.json", ("s.toml", "partition"),
         files={"s.toml": scenario("diameter_snapshots = 0", "diameter_snapshots = 0\nfold = 0")}),
    Case("partition-missing", "partition {C}/nope.toml", ("nope.toml",)),
    Case("partition-bad-toml", "partition {C}/s.toml", ("s.toml", "invalid TOML"), files={"s.toml": text("[a\n")}),
    Case("partition-gateway", "partition {C}/s.toml", ("s.toml", "partition.gateway"),
         files={"s.toml": scenario("diameter_snapshots = 0", 'diameter_snapshots = 0\ngateway = "best"')}),
    # --- evaluate ----------------------------------------------------------------------------------------------
    Case("evaluate-placement-missing", "evaluate {W}/inst.json {C}/nope --json {W}/out.json", ("nope", "baseline")),
    Case("evaluate-json-is-placement", "evaluate {W}/inst.json {W}/plc.json --json {W}/plc.json", ("--json", "input")),
    Case("evaluate-json-is-instance", "evaluate {W}/inst.json {W}/plc.json --json {W}/inst.json", ("--json", "input")),
    Case("evaluate-json-directory", "evaluate {W}/inst.json RandPlace --json {W}/outdir", ("--json", "directory")),
    Case("evaluate-negative-seed", "evaluate {W}/inst.json RandPlace --seed -1 --json {W}/out.json", ("--seed",)),
    Case("evaluate-negative-link-seed", "evaluate {W}/inst.json RandPlace --link-seed -2", ("--link-seed",)),
    Case("evaluate-zero-gflops", "evaluate {W}/inst.json {W}/plc.json --gflops 0 --json {W}/out.json", ("--gflops",)),
    Case("evaluate-nan-gflops", "evaluate {W}/inst.json {W}/plc.json --gflops nan", ("--gflops",)),
    Case("evaluate-trillion-tokens", "evaluate {W}/inst.json RandPlace --tokens 1000000000000 --json {W}/out.json",
         ("--tokens", "GiB")),
    Case("moe-sample-trillion-tokens", "moe sample {W}/trace.npz --out {W}/outdir/s.npz --tokens 1000000000000",
         ("--tokens", "GiB")),
    Case("evaluate-one-token", "evaluate {W}/inst.json {W}/plc.json --tokens 1", ("--tokens",)),
    Case("evaluate-foreign-layer", "evaluate {W}/inst.json {C}/p.json --tokens 0 --json {W}/out.json",
         ("p.json", "layers[0].layer", "not a layer of the instance"),
         files={"p.json": placement(_set(["layers", 0, "layer"], 77))}),
    Case("evaluate-huge-expert", "evaluate {W}/inst.json {C}/p.json --tokens 0", ("p.json", "layers[0].experts[0]"),
         files={"p.json": placement(_set(["layers", 0, "experts", 0], 10**30))}),
    Case("evaluate-duplicate-layer", "evaluate {W}/inst.json {C}/p.json --tokens 0", ("p.json", "twice"),
         files={"p.json": placement(_dup_layer)}),
    Case("evaluate-empty-placement", "evaluate {W}/inst.json {C}/p.json --tokens 0", ("p.json", "layers"),
         files={"p.json": placement(_set(["layers"], []))}),
    Case("evaluate-placement-not-json", "evaluate {W}/inst.json {C}/p.json --tokens 0", ("p.json", "invalid JSON"),
         files={"p.json": text("{")}),
    Case("evaluate-placement-infinite", "evaluate {W}/inst.json {C}/p.json --tokens 0", ("p.json", "too large"),
         files={"p.json": lambda w: re.sub(r'"total_objective": [^,}\s]+', '"total_objective": 1e999',
                                           (w / "plc.json").read_text())}),
    Case("evaluate-swapped-layers", "evaluate {W}/inst.json {C}/p.json --tokens 0", ("p.json", "layer")
         , files={"p.json": placement(_swap_layers)}),
    Case("evaluate-no-scenario-block", "evaluate {C}/i.json RandPlace --tokens 0", ("i.json", "scenario.spec"),
         files={"i.json": instance(_set(["scenario"], {"name": "x"}))}),
    Case("evaluate-instance-bad-layer", "evaluate {C}/i.json {W}/plc.json --tokens 0", ("i.json", "disconnect_prob"),
         files={"i.json": instance(lambda d: d["layers"][0].update(
             disconnect_prob=[-0.5] * len(d["layers"][0]["satellites"])))}),
    Case("evaluate-scenario-missing", "evaluate {C}/nope.toml RandPlace", ("nope.toml", "file not found")),
    Case("evaluate-scenario-huge", "evaluate {C}/s.toml RandPlace --json {W}/out.json", ("s.toml", "snapshots.count"),
         files={"s.toml": scenario("count = 2", "count = 1000000000")}),
    # --- moe ---------------------------------------------------------------------------------------------------
    Case("moe-info-unknown-profile", "moe info nosuchmodel", ("profile", "nosuchmodel")),
    Case("moe-info-missing-profile-file", "moe info {C}/p.toml", ("p.toml",)),
    Case("moe-stats-missing", "moe stats {C}/nope.json --k 2", ("nope.json", "file not found")),
    Case("moe-stats-nan", "moe stats {C}/l.json --k 2", ("l.json", "NaN"),
         files={"l.json": text('{"logical_count": [[1, NaN, 1, 1]]}')}),
    Case("moe-stats-negative", "moe stats {C}/l.json --k 2", ("l.json", "layer 0"),
         files={"l.json": text('{"logical_count": [[1, -4, 1, 1]]}')}),
    Case("moe-stats-overflowing-int", "moe stats {C}/l.json --k 2", ("l.json", "logical_count"),
         files={"l.json": text('{"logical_count": [[1' + "0" * 400 + ', 1, 1, 1]]}')}),
    Case("moe-stats-ragged", "moe stats {C}/l.json --k 2", ("l.json", "layer 1"),
         files={"l.json": text('{"logical_count": [[1, 1, 1, 1], [1, 1]]}')}),
    Case("moe-stats-too-few-experts", "moe stats {C}/l.json --k 2", ("l.json", "layer 0"),
         files={"l.json": text('{"logical_count": [[5, 0, 0, 0]]}')}),
    Case("moe-stats-corrupt-npz", "moe stats {C}/t.npz", ("t.npz", "not a readable .npz"),
         files={"t.npz": text(b"PK\x03\x04 this is not a zip archive")}),
    Case("moe-stats-corrupt-npy", "moe stats {C}/l.npy --k 2", ("l.npy", "not a readable .npy"),
         files={"l.npy": text(b"\x93NUMPY\x01\x00garbage")}),
    Case("moe-stats-truncated-npz", "moe stats {C}/t.npz", ("t.npz", "not a readable .npz"),
         files={"t.npz": lambda w: (w / "trace.npz").read_bytes()[:200]}),
    Case("moe-stats-jsonl-line", "moe stats {C}/t.jsonl", ("t.jsonl:2", "invalid JSON"),
         files={"t.jsonl": text('{"n_experts": 4}\n{"experts": [[0, 1]\n')}),
    Case("moe-stats-jsonl-header", "moe stats {C}/t.jsonl", ("t.jsonl:1", "n_experts"),
         files={"t.jsonl": text('{"n_experts": [4]}\n{"experts": [[0, 1]]}\n')}),
    Case("moe-stats-jsonl-huge-experts", "moe stats {C}/t.jsonl", ("t.jsonl", "n_experts"),
         files={"t.jsonl": text('{"n_experts": 1099511627776}\n{"experts": [[0, 1]]}\n')}),
    Case("moe-stats-unknown-suffix", "moe stats {C}/l.txt --k 2", ("l.txt",), files={"l.txt": text("1 2 3")}),
    Case("moe-stats-trace-with-k", "moe stats {W}/trace.npz --k 2", ("trace.npz", "k")),
    Case("moe-stats-plot-is-input", "moe stats {W}/load.json --k 2 --plot {W}/load.json", ("--plot", "input")),
    Case("moe-stats-plot-directory", "moe stats {W}/load.json --k 2 --plot {W}/outdir", ("--plot", "directory")),
    Case("moe-sample-out-is-input", "moe sample {W}/trace.npz --out {W}/trace.npz", ("--out", "input")),
    Case("moe-sample-out-directory", "moe sample {W}/trace.npz --out {W}/outdir", ("--out", "directory")),
    Case("moe-sample-zero-tokens", "moe sample {W}/trace.npz --out {W}/outdir/s.npz --tokens 0", ("--tokens",)),
    Case("moe-sample-negative-seed", "moe sample {W}/trace.npz --out {W}/outdir/s.npz --seed -1", ("--seed",)),
    Case("moe-sample-out-suffix", "moe sample {W}/trace.npz --out {W}/out.json", ("--out", ".json")),
    Case("moe-sample-out-under-file", "moe sample {W}/trace.npz --out {W}/out.json/none/s.npz", ("--output", "not a directory")),
    # --- constellation -----------------------------------------------------------------------------------------
    Case("constellation-zero-snapshots", "constellation info -T 0", ("--snapshots",)),
    Case("constellation-billion-snapshots", "constellation info -T 1000000000", ("--snapshots", "GiB")),
    Case("constellation-bad-walker", "constellation info --walker 1/2 -T 2", ("--walker",)),
    Case("constellation-huge-walker", "constellation info --walker 53:100000000/10000/0 -T 2", ("--snapshots",)),
    Case("constellation-unknown-preset", "constellation info --preset bogus -T 2", ("--preset", "bogus")),
    Case("constellation-missing-tle", "constellation info --tle {C}/nope.tle -T 2", ("nope.tle",)),
    Case("constellation-bad-checksum", "constellation info --tle {C}/b.tle -T 2", ("b.tle:2", "checksum"),
         files={"b.tle": lambda w: "\n".join(
             line[:-1] + str((int(line[-1]) + 1) % 10) if line.startswith("1 ") else line
             for line in (w / "sat.tle").read_text().splitlines()[:3]) + "\n"}),
    Case("constellation-truncated-tle", "constellation info --tle {C}/b.tle -T 2", ("b.tle", "truncated"),
         files={"b.tle": lambda w: "\n".join((w / "sat.tle").read_text().splitlines()[:2]) + "\n"}),
    Case("constellation-plot-directory", "constellation info -T 2 --plot {W}/outdir", ("--plot", "directory")),
    Case("constellation-plot-is-input", "constellation info --tle {W}/sat.tle -T 2 --plot {W}/sat.tle", ("--plot", "input")),
    Case("constellation-zero-sources", "constellation info -T 2 --sources 0", ("--sources",)),
    Case("constellation-negative-max-rate", "constellation info -T 2 --max-rate -1", ("--max-rate",)),
    Case("constellation-survival", "constellation info -T 2 --survival 2", ("--survival",)),
    Case("constellation-zero-duration", "constellation info -T 2 --duration 0", ("--duration",)),
    Case("constellation-negative-altitude", "constellation info --walker 53:100/10/1 --altitude -5 -T 2", ("--altitude",)),
    Case("constellation-negative-seed", "constellation info -T 2 --seed -1", ("--seed",)),
    Case("constellation-nan-alt-band", "constellation info --tle {W}/sat.tle --alt-band nan 5 -T 2", ("--alt-band",)),
    Case("constellation-export-into-file", "constellation export {W}/out.json -T 2", ("OUT_DIR", "not a directory")),
    Case("constellation-export-snapshot", "constellation export {W}/outdir/new -T 2 --snapshot 99", ("--snapshot",)),
    Case("constellation-export-under-file", "constellation export {W}/out.json/deeper -T 2", ("OUT_DIR", "not a directory")),
    # --- reproduce ---------------------------------------------------------------------------------------------
    Case("reproduce-out-is-file", "reproduce paper --scenario {W}/sc.toml --out {W}/out.json", ("--out", "not a directory")),
    Case("reproduce-out-under-file", "reproduce paper --scenario {W}/sc.toml --out {W}/out.json/deeper", ("--out", "not a directory")),
    Case("reproduce-missing-scenario", "reproduce paper --scenario {C}/nope.toml", ("nope.toml",)),
    Case("reproduce-unknown-scheme", "reproduce paper --scenario {W}/sc.toml --schemes Best", ("--schemes", "Best")),
    Case("reproduce-sweeps-without-out", "reproduce paper --scenario {W}/sc.toml --sweeps", ("--sweeps", "--out")),
    Case("reproduce-zero-gflops", "reproduce paper --scenario {W}/sc.toml --gflops 0", ("--gflops",)),
    Case("reproduce-one-seed", "reproduce starlink-tle --scenario {W}/sc.toml --seeds 1", ("--seeds",)),
    Case("reproduce-missing-evaluate-on", "reproduce deepseek-v3 --scenario {C}/s.toml --evaluate-on {C}/nope.json --quick",
         ("nope.json",), files={"s.toml": scenario('kind = "zipf"', 'kind = "load"\nfile = "../load.json"')}),
    Case("reproduce-bad-scenario", "reproduce paper --scenario {C}/s.toml --out {W}/outdir", ("s.toml", "version"),
         files={"s.toml": scenario("version = 1", "version = 0")}),
    # --- the root ----------------------------------------------------------------------------------------------
    Case("methods-unknown-kind", "methods --kind cubic", ("--kind", "cubic")),
    Case("unknown-command", "optimise {W}/inst.json", ("optimise",)),
    Case("root-unknown-option", "--verbose solve {W}/inst.json", ("--verbose",)),
    Case("group-unknown-command", "moe histogram {W}/load.json", ("histogram",)),
]


def _snapshot(directory: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file() and "case-" not in str(p)}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clean_line(work, case):
    own = work / f"case-{case.id}"
    own.mkdir()
    for name, make in case.files.items():
        content = make(work)
        (own / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    before = _snapshot(work)
    args = [a.format(W=work, C=own) for a in case.args.split()]
    result = CliRunner().invoke(app, args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == case.code, result.output
    assert "Traceback" not in result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for name in case.names:
        assert name in lines[0], lines[0]
    assert _snapshot(work) == before


COMMANDS_WITH_INPUT = {"solve", "compare", "export", "build", "partition", "evaluate", "moe info", "moe stats",
                       "moe sample", "constellation info", "constellation export", "reproduce paper",
                       "reproduce starlink-tle", "reproduce deepseek-v3"}


def test_table_covers_every_command():
    """At least 100 cases, and every command that reads input or writes output appears in the table."""
    covered = {" ".join(c.args.split()[:2]) if c.args.split()[0] in ("moe", "constellation", "reproduce")
               else c.args.split()[0] for c in CASES}
    assert len(CASES) >= 100
    assert COMMANDS_WITH_INPUT <= covered, sorted(COMMANDS_WITH_INPUT - covered)


def test_evaluate_matches_a_reordered_instance_by_layer_number(work, tmp_path):
    """``solve``'s own placement of an instance whose layers are listed out of order evaluates like the original."""
    doc = _doc(work, "inst.json")
    doc["layers"] = doc["layers"][::-1]
    reordered, plc = tmp_path / "reordered.json", tmp_path / "plc.json"
    reordered.write_text(json.dumps(doc))
    runner = CliRunner()
    assert runner.invoke(app, ["solve", str(reordered), "-m", "sorted", "-o", str(plc)]).exit_code == 0
    values = []
    for inst, placement_file in ((reordered, plc), (work / "inst.json", work / "plc.json")):
        out = tmp_path / "eval.json"
        result = runner.invoke(app, ["evaluate", str(inst), str(placement_file), "--tokens", "0", "--json", str(out)])
        assert result.exit_code == 0, result.stderr
        values.append(json.loads(out.read_text())["analytic_s_per_token"])
    assert values[0] == pytest.approx(values[1], rel=1e-12)


def test_a_one_satellite_shell_prints_no_nan(tmp_path):
    """A TLE file of one satellite has no links: the summary says n/a instead of printing nan."""
    lines = (SHARED_DATA / "tle" / "Starlink.tle").read_text().splitlines()
    tle = tmp_path / "one.tle"
    tle.write_text("\n".join(lines[:3]) + "\n")
    result = CliRunner().invoke(app, ["constellation", "info", "--tle", str(tle), "--alt-band", "100", "2000",
                                      "-T", "2", "--sources", "1"])
    assert result.exit_code == 0, result.stderr
    assert "nan" not in result.stdout.lower() and "n/a" in result.stdout
    assert not result.stderr.strip()


MUTATIONS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _result_or_one_line(result, prefix: str = "error: ") -> None:
    """Exit code 0, or exit code 2 with exactly one stderr line (notes aside) starting with ``prefix``."""
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("note:")]
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert len(lines) == 1 and lines[0].startswith(prefix), lines


@MUTATIONS
@given(data=st.data())
def test_mutated_placements_evaluate_or_are_refused(work, data):
    """``evaluate`` of any mutation of ``solve``'s placement: a result, or one clean line naming the file."""
    path = work / "mutated-placement.json"
    path.write_text(json.dumps(mutate_json(_doc(work, "plc.json"), data)))
    result = CliRunner().invoke(app, ["evaluate", str(work / "inst.json"), str(path), "--tokens", "0"])
    _result_or_one_line(result, f"error: {path}")


@MUTATIONS
@given(data=st.data())
def test_mutated_instances_solve_or_are_refused(work, data):
    """``solve`` of any mutation of a built instance: a placement, or one clean line."""
    path = work / "mutated-instance.json"
    path.write_text(json.dumps(mutate_json(_doc(work, "inst.json"), data)))
    method, objective = data.draw(st.sampled_from([("hungarian", "linear"), ("tabu", "top2"), ("tabu", "trace")]))
    _result_or_one_line(CliRunner().invoke(app, ["solve", str(path), "-m", method, "--objective", objective,
                                                 "--time-limit", "0.05"]))


@MUTATIONS
@given(data=st.data())
def test_mutated_scenarios_build_or_are_refused(work, data):
    """``build`` of any byte mutation of the tiny scenario: an instance, or one clean line and no output."""
    path, out = work / "mutated-scenario.toml", work / "outdir" / "mutated.json"
    path.write_bytes(mutate_bytes(TINY.encode(), data))
    out.unlink(missing_ok=True)
    result = CliRunner().invoke(app, ["build", str(path), "-o", str(out), "-q"])
    _result_or_one_line(result)
    assert result.exit_code == 0 or not out.exists()
