"""Compute groups are fitted on link-failure draws the evaluation does not see; ``reproduce`` reports the
in-sample figure beside each grouped row, and every row's resources."""

import json

import numpy as np
import pytest

from spacexnet_opt.evaluate import world_from_file
from spacexnet_opt.optimize.group_choice import fit_seed, fit_snapshots
from spacexnet_opt.reproduce.schemes import SCHEMES

from test_evaluate_cli import TINY

GROUPED = ("Space-XNet-opt-tp", "RandIntra-CG-tp")


def _scenario(tmp_path, survival: str):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.replace("survival = 0.9", f"survival = {survival}"))
    return path


def test_the_fitting_draws_are_the_same_orbits_with_failures_drawn_again(tmp_path):
    world = world_from_file(_scenario(tmp_path, "0.9"))
    snaps, fit = world.snapshots, fit_snapshots(world)
    assert fit_snapshots(world) is fit and fit_snapshots(world, in_sample=True) is snaps
    assert fit.seed == fit_seed(snaps.seed) != snaps.seed
    assert np.array_equal(fit.times_s, snaps.times_s) and np.array_equal(fit.feasible, snaps.feasible)
    both = fit.up & snaps.up
    assert np.array_equal(fit.delay_s[both], snaps.delay_s[both])   # the same links where both are up
    assert (fit.up != snaps.up).any()                                # but other links failed
    assert not (fit.up & ~fit.feasible).any()
    # about 10 % of the feasible links fail in either draw
    assert 0.05 < 1 - fit.up.sum() / fit.feasible.sum() < 0.15


def test_without_link_failures_there_is_nothing_to_fit_apart(tmp_path):
    world = world_from_file(_scenario(tmp_path, "1.0"))
    assert fit_snapshots(world) is world.snapshots


def _reproduce(cli, scenario, out):
    result = cli("reproduce", "paper", "--scenario", scenario, "--quick", "--seeds", 2, "--tokens", 4000,
                 "--schemes", ",".join(("RandIntra-CG", "Space-XNet", "Space-XNet-opt", *GROUPED)), "--out", out)
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "table2.json").read_text())


@pytest.mark.parametrize("survival", ["0.9", "1.0"])
def test_each_grouped_row_reports_its_in_sample_figure(cli, tmp_path, survival):
    output, doc = _reproduce(cli, _scenario(tmp_path, survival), tmp_path / "out")
    rows = doc["schemes"]
    assert "in-sample" in output and "resources" in output
    for name, row in rows.items():
        assert (row["in_sample_s_per_token"] is None) is (name not in GROUPED), name
    fitted = {name: (rows[name]["in_sample_s_per_token"], rows[name]["mean_s_per_token"]) for name in GROUPED}
    assert all(f"{inside:.3f}" in output for inside, _ in fitted.values())
    if survival == "1.0":   # fitting and evaluated draws are the same: the same groups, the same tokens
        assert all(inside == mean for inside, mean in fitted.values()), fitted
        assert doc["assumptions"]["compute_group_fit_link_seed"] == fit_seed(0)
    else:                   # other draws, other shares
        assert all(inside != mean for inside, mean in fitted.values()), fitted
    allowed = doc["assumptions"]["scheme_resources"]
    assert allowed["Space-XNet"] == allowed["RandIntra-CG"] != allowed["Space-XNet-opt"]


def _counted(path) -> dict:
    """The resources of a deployment file, counted from its JSON alone."""
    layers = json.loads(path.read_text())["layers"]
    copies = [[s for expert in layer["experts"] for s in expert] for layer in layers]
    members = [layer["compute_group"]["members"] for layer in layers if layer.get("compute_group")]
    used = {layer["gateway"] for layer in layers} | {s for c in copies for s in c} | {s for m in members for s in m}
    return {"satellites": len(used), "experts_per_satellite": max(max(c.count(s) for s in c) for c in copies),
            "replicas": sum(len(c) for c in copies) - sum(len(layer["experts"]) for layer in layers),
            "compute_group": max((len(m) for m in members), default=1)}


def test_every_rows_resources_are_those_of_its_deployment_file(cli, tmp_path):
    _, doc = _reproduce(cli, _scenario(tmp_path, "0.9"), tmp_path / "out")
    for name, row in doc["schemes"].items():
        assert row["resources"] == _counted(tmp_path / "out" / f"deployment-{name}.json"), name
    used = {name: row["resources"] for name, row in doc["schemes"].items()}
    assert used["Space-XNet"] == {"satellites": 32 * (8 + 1), "experts_per_satellite": 1, "replicas": 0,
                                  "compute_group": 1}
    assert used["Space-XNet-opt"]["experts_per_satellite"] > 1 and used["Space-XNet-opt-tp"]["compute_group"] > 1


def test_the_schemes_rules_name_what_each_may_use():
    paper = SCHEMES["Space-XNet"].resources
    assert all(SCHEMES[name].resources == paper for name in ("RandPlace", "RandIntra", "RandIntra-CG",
                                                             "Space-XNet-top2", "Space-XNet-median",
                                                             "Space-XNet-opt-paper"))
    assert SCHEMES["Space-XNet-tp"].resources.differences(SCHEMES["RandPlace-tp"].resources) == []
    assert paper.differences(SCHEMES["Space-XNet-tp"].resources) == ["compute_groups"]
    assert SCHEMES["Space-XNet-tp"].resources.differences(SCHEMES["Space-XNet-opt-tp"].resources) == [
        "satellites", "experts_per_satellite", "replicas"]
