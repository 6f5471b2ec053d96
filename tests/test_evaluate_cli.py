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


def _csv_rows(path):
    import csv

    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_layer_outputs(doc, csv_path, png_path):
    """The CSV holds the JSON's per-layer numbers exactly; the PNG is a real chart."""
    from PIL import Image

    from spacexnet_opt.cli.evaluate import LAYER_COLUMNS

    rows = _csv_rows(csv_path)
    assert list(rows[0]) == list(LAYER_COLUMNS) and len(rows) == len(doc["layers"])
    for row, layer in zip(rows, doc["layers"]):
        assert {k: (int if k in ("layer", "gateway") else float)(v) for k, v in row.items()} == \
            {k: layer[k] for k in LAYER_COLUMNS}
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png_path) as image:
        assert image.format == "PNG" and image.width > 400 and image.height > 200
        assert len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)) > 20  # bars, text: not blank


def test_evaluate_writes_layer_csv_and_plot(cli, built, tiny):
    inst, plc = built
    out, table, png = tiny / "layers.json", tiny / "layers.csv", tiny / "layers.png"
    result = cli("evaluate", inst, plc, "--tokens", 2000, "--json", out, "--csv", table, "--plot", png)
    assert result.exit_code == 0, result.output
    assert f"wrote {table} (32 layers)" in result.output and f"wrote {png}" in result.output
    doc = json.loads(out.read_text())
    _assert_layer_outputs(doc, table, png)
    # the layers add up to the token's mean (with the per-token compute at the gateway)
    rows = _csv_rows(table)
    assert sum(float(r["mean_s"]) for r in rows) + doc["per_token_compute_s"] == pytest.approx(doc["mean_s_per_token"])


def test_evaluate_deployment_file_writes_layer_csv_and_plot(cli, tiny):
    dep = tiny / "dep.json"
    assert cli("optimize", tiny / "tiny.toml", "-o", dep).exit_code == 0
    out, table, png = tiny / "dep-eval.json", tiny / "dep-layers.csv", tiny / "dep-layers.png"
    result = cli("evaluate", dep, "--tokens", 0, "--json", out, "--csv", table, "--plot", png)
    assert result.exit_code == 0, result.output
    _assert_layer_outputs(json.loads(out.read_text()), table, png)


@pytest.mark.parametrize("option", ["--csv", "--plot"])
def test_evaluate_refuses_to_write_over_an_input(cli, built, option):
    inst, plc = built
    before = plc.read_bytes()
    result = cli("evaluate", inst, plc, "--tokens", 0, option, plc)
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and option in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and plc.read_bytes() == before
