"""``spacexnet evaluate`` on a tiny scenario: JSON contract, placements from ``solve``, clear errors."""

import json

import numpy as np
import pytest

from spacexnet_opt.evaluate import world_from_file

TINY = """
format = "spacexnet-scenario"
version = 1
name = "tiny"
[constellation.walker]
n_planes = 10
sats_per_plane = 32
altitude_km = 550.0
inclination_deg = 87.0
pattern = "star"
[isl]
survival = 0.9
[snapshots]
count = 6
[model]
profile = "llama-moe-3.5b-2of8"
[statistics]
kind = "zipf"
[partition]
diameter_snapshots = 2
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    (d / "tiny.toml").write_text(TINY)
    return d


@pytest.fixture(scope="module")
def built(tiny):
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app

    runner = CliRunner()
    inst, plc = tiny / "tiny.instance.json", tiny / "sorted.json"
    assert runner.invoke(app, ["build", str(tiny / "tiny.toml"), "-o", str(inst), "-q"]).exit_code == 0
    assert runner.invoke(app, ["solve", str(inst), "--method", "sorted", "-o", str(plc)]).exit_code == 0
    return inst, plc


def test_evaluate_placement_json(cli, built, tiny):
    inst, plc = built
    out = tiny / "eval.json"
    result = cli("evaluate", inst, plc, "--json", out, "--tokens", 20000, "--seed", 3)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    for key in ("analytic_s_per_token", "mean_s_per_token", "ci95_s", "p99_s_per_token", "layers"):
        assert key in doc
    assert len(doc["layers"]) == 32
    assert set(doc["layers"][0]) >= {"layer", "mean_s", "propagation_s", "compute_s"}
    lo, hi = doc["ci95_s"]
    half = hi - lo
    assert lo - half <= doc["snapshot_exact_s_per_token"] <= hi + half
    assert doc["analytic_s_per_token"] <= doc["snapshot_exact_s_per_token"] + 1e-12
    # the analytic value is the paper formula on the instance's own tau: recompute it from the files
    inst_doc, plc_doc = json.loads(inst.read_text()), json.loads(plc.read_text())
    world = world_from_file(inst)
    t = world.times
    total = 0.0
    for lay, pl, law in zip(inst_doc["layers"], plc_doc["layers"], world.laws):
        tau = dict(zip(lay["satellites"], lay["tau_s"]))
        total += t.gateway_s + t.expert_s + law.expected_max(np.array([tau[s] for s in pl["experts"]]))
    assert doc["analytic_s_per_token"] == pytest.approx(total, rel=1e-6)
    # a scenario gives the same world as the instance built from it
    again = cli("evaluate", tiny / "tiny.toml", plc, "--tokens", 0)
    assert again.exit_code == 0 and f"{doc['analytic_s_per_token']:.4f}" in again.output


def test_sorted_beats_random_baselines(cli, built, tiny):
    inst, plc = built
    values = {}
    for name in ("RandPlace", "RandIntra-CG", plc):
        out = tiny / "v.json"
        assert cli("evaluate", inst, name, "--tokens", 0, "--json", out).exit_code == 0
        values[str(name)] = json.loads(out.read_text())["mean_s_per_token"]
    assert values[str(plc)] < values["RandIntra-CG"] < values["RandPlace"]


def _write_bad(plc, tiny, change):
    doc = json.loads(plc.read_text())
    change(doc)
    doc["total_objective"] = sum(layer["objective"] for layer in doc["layers"])
    path = tiny / "bad.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("change,message", [
    (lambda d: d["layers"].pop(), "has 31 layers but the instance has 32"),
    (lambda d: d["layers"][2]["experts"].pop(), "layer 2: places 7 experts but the instance has 8"),
    (lambda d: d["layers"][1].update(experts=[d["layers"][1]["gateway"]] + d["layers"][1]["experts"][1:]),
     "layer 1: satellite"),
    (lambda d: d["layers"][0]["experts"].__setitem__(0, 99999), "outside the constellation"),
    (lambda d: d["layers"][3]["experts"].__setitem__(0, d["layers"][9]["experts"][0]), "outside the layer's subnet"),
    (lambda d: d["layers"][0]["experts"].__setitem__(1, d["layers"][0]["experts"][0]), "places two experts"),
])
def test_mismatched_placements_exit_2(cli, built, tiny, change, message):
    inst, plc = built
    result = cli("evaluate", inst, _write_bad(plc, tiny, change))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_baseline_placement_may_leave_the_subnet(cli, built, tiny):
    inst, plc = built

    def random_place(d):
        d["method"] = "RandPlace"
        d["layers"][3]["experts"][0] = d["layers"][9]["experts"][0]

    assert cli("evaluate", inst, _write_bad(plc, tiny, random_place), "--tokens", 0).exit_code == 0


def test_unknown_placement_name_exit_2(cli, built):
    inst, _ = built
    result = cli("evaluate", inst, "NoSuchScheme")
    assert result.exit_code == 2 and "not a baseline name" in result.stderr
