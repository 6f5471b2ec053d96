"""``spacexnet reproduce`` on a tiny, quick setting: files, scheme order, assumptions."""

import csv
import json

import pytest

from spacexnet_opt.reproduce import PAPER_SCHEMES, reproduce_sweeps
from spacexnet_opt.reproduce.schemes import DEFAULT_SCHEMES
from spacexnet_opt.formats.scenario import load_scenario

from test_evaluate_cli import TINY


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("repro") / "tiny.toml"
    path.write_text(TINY)
    return path


def test_reproduce_paper_writes_table2(cli, scenario, tmp_path):
    result = cli("reproduce", "paper", "--scenario", scenario, "--quick", "--seeds", 2, "--tokens", 4000,
                 "--out", tmp_path)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "table2.json").read_text())
    assert list(doc["schemes"]) == list(DEFAULT_SCHEMES)
    rows = doc["schemes"]
    for name in DEFAULT_SCHEMES:
        assert {"mean_s_per_token", "std_s"} <= set(rows[name])
        assert name in result.output
    assert rows["RandPlace"]["placements"] == 2 and rows["Space-XNet"]["std_s"] == 0.0
    # the paper's ordering holds on the tiny shell too
    means = [rows[name]["mean_s_per_token"] for name in PAPER_SCHEMES]
    assert means == sorted(means, reverse=True)
    # every scheme pays the same compute (but the one with compute groups, and the one charging the LM head)
    compute = {round(row["compute_s_per_token"], 12) for name, row in rows.items()
               if not name.endswith(("-tp", "+lm-head"))}
    assert len(compute) == 1 and doc["assumptions"]["compute"]["satellite_gflops"] == 7.28
    lm_head = rows["Space-XNet+lm-head"]["compute_s_per_token"] - rows["Space-XNet"]["compute_s_per_token"]
    assert lm_head == pytest.approx(2 * 4096 * 32000 / 7.28e9, rel=1e-9)   # hidden x vocabulary, once per token
    # a shell of 10 planes is not the paper's: none of the paper's numbers beside it (tests/test_reproduce_any.py)
    assert doc["assumptions"]["paper_scenario"] is False and not any("paper_s_per_token" in r for r in rows.values())
    # Space-XNet-opt is never worse than Space-XNet, and every scheme's deployment is written beside table2.json
    assert rows["Space-XNet-opt"]["snapshot_exact_s_per_token"] <= rows["Space-XNet"]["snapshot_exact_s_per_token"]
    assert rows["Space-XNet-opt-tp"]["snapshot_exact_s_per_token"] < rows["Space-XNet-opt"]["snapshot_exact_s_per_token"]
    assert sorted(p.name for p in tmp_path.glob("deployment-*.json")) == sorted(f"deployment-{n}.json"
                                                                                 for n in DEFAULT_SCHEMES)


def test_reproduce_options_change_compute(cli, scenario, tmp_path):
    result = cli("reproduce", "paper", "--scenario", scenario, "--quick", "--seeds", 2, "--tokens", 0,
                 "--schemes", "RandIntra-CG,Space-XNet", "--gflops", 14.56, "--context-len", 0, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "table2.json").read_text())
    assert list(doc["schemes"]) == ["RandIntra-CG", "Space-XNet"]
    a = doc["assumptions"]
    assert a["compute"] == {"satellite_gflops": 14.56, "context_len": 0, "include_dense": True,
                            "include_lm_head": False}
    assert a["compute_floor_s_per_token"] == pytest.approx(32 * (a["gateway_s"] + a["expert_s"]))


def test_reproduce_errors_exit_2(cli, scenario, tmp_path):
    result = cli("reproduce", "paper", "--scenario", scenario, "--schemes", "Space-XNet,Bogus")
    assert result.exit_code == 2 and "unknown scheme 'Bogus'" in result.stderr
    result = cli("reproduce", "paper", "--scenario", scenario, "--quick", "--sweeps", "--tokens", 0)
    assert result.exit_code == 2 and "--out" in result.stderr
    result = cli("reproduce", "paper", "--scenario", tmp_path / "missing.toml")
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_sweep_files_and_trend(scenario, tmp_path):
    spec = load_scenario(scenario)
    rows = reproduce_sweeps(spec, scenario, tmp_path, sweeps={"link_survival": [0.8, 1.0]}, seeds=2)
    assert (tmp_path / "sweep_link_survival.png").stat().st_size > 1000
    with open(tmp_path / "sweep_link_survival.csv") as handle:
        table = list(csv.DictReader(handle))
    assert [r["scheme"] for r in table] == list(PAPER_SCHEMES) * 2
    sx = {float(r["value"]): float(r["mean_s_per_token"]) for r in table if r["scheme"] == "Space-XNet"}
    assert sx[1.0] <= sx[0.8]  # more surviving links never lengthen shortest paths
    assert rows["link_survival"][0]["parameter"] == "link_survival"


def test_out_of_sample_statistics_must_match_the_model(scenario):
    from spacexnet_opt.errors import InputError
    from spacexnet_opt.evaluate import laws_from_stats, world_from_file
    from spacexnet_opt.moe import synthetic_zipf

    world = world_from_file(scenario)
    with pytest.raises(InputError, match="statistics have 4 MoE layers but the model has 32"):
        world.with_laws(laws_from_stats(synthetic_zipf(4, 8, 2, seed=0)), "wrong")


def test_paper_figures_appear_only_for_the_paper_experiment(cli, scenario, tmp_path):
    result = cli("reproduce", "starlink-tle", "--scenario", scenario, "--quick", "--seeds", 2, "--tokens", 0,
                 "--schemes", "Space-XNet", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "table2.json").read_text())
    assert "paper_s_per_token" not in doc["schemes"]["Space-XNet"]


def test_sweeps_without_out_fail_before_the_table_runs(cli, scenario):
    result = cli("reproduce", "paper", "--scenario", scenario, "--quick", "--sweeps", "--tokens", 0)
    assert result.exit_code == 2 and "give --out DIR" in result.stderr
    assert "Table II analogue" not in result.output


def test_median_scheme_matches_a_world_built_with_median_gateways(scenario):
    from spacexnet_opt.evaluate import evaluate, world_from_scenario
    from spacexnet_opt.evaluate import deployment_from_solver
    from spacexnet_opt.reproduce import reproduce_table

    spec = load_scenario(scenario)
    doc = reproduce_table(spec, scenario, schemes=("Space-XNet-median",), seeds=2, tokens=0, snapshots=4)
    median_world = world_from_scenario(spec.model_copy(update={"snapshots": spec.snapshots.model_copy(
        update={"count": 4})}), source=scenario, gateway_rule="median")
    deployment = deployment_from_solver(median_world.layers, objective="linear", method="sorted", name="median")
    expected = evaluate(median_world, deployment, tokens=0).snapshot.total_s
    assert doc["schemes"]["Space-XNet-median"]["mean_s_per_token"] == pytest.approx(expected, rel=1e-12)
