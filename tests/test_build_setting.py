"""The resolved Setting: made once, shared by builder, evaluator and reproduce; each snapshot routed once."""

import numpy as np
import pytest
from scenario_text import small_scenario

from spacexnet_opt.setting import build_instance, resolve_setting, setting_layers
from spacexnet_opt.setting import setting as setting_module
from spacexnet_opt.constellation.isl import IslSnapshots
from spacexnet_opt.evaluate import (deployment_from_baseline, evaluate, leg_delays, world_from_instance,
                                    world_from_scenario)
from spacexnet_opt.formats.scenario import parse_scenario
from spacexnet_opt.reproduce import reproduce_table

SPEC = parse_scenario(small_scenario(snapshots=6, fold=4, diameter_snapshots=2))


@pytest.fixture()
def count_routed(monkeypatch):
    """Count the snapshot graphs routed (one Dijkstra batch each)."""
    calls = []
    graph = IslSnapshots.graph
    monkeypatch.setattr(IslSnapshots, "graph", lambda self, t: calls.append(t) or graph(self, t))
    return calls


def test_heavy_parts_are_resolved_once_and_gateways_memoised(tmp_path):
    setting = resolve_setting(SPEC, tmp_path / "s.toml")
    assert setting.snapshots is setting.snapshots and setting.statistics is setting.statistics
    assert setting.gateways("median") is setting.gateways("median")
    assert setting.n_layers == setting.statistics.n_layers == setting.profile.n_moe_layers


def test_given_snapshots_are_used_not_rebuilt(tmp_path, count_routed):
    first = world_from_scenario(SPEC, source=tmp_path / "s.toml")
    other = SPEC.model_copy(update={"statistics": SPEC.statistics.model_copy(update={"kind": "zipf", "params": {}})})
    world = world_from_scenario(other, source=tmp_path / "s.toml", snapshots=first.snapshots)
    assert world.snapshots is first.snapshots
    assert [l.tau_s for l in world.layers] == [l.tau_s for l in first.layers]
    assert [l.activation for l in world.layers] != [l.activation for l in first.layers]


def test_instance_world_does_not_load_statistics(tmp_path, monkeypatch):
    instance = build_instance(resolve_setting(SPEC, tmp_path / "s.toml"))
    built = resolve_setting(SPEC, tmp_path / "s.toml")

    def refuse(*args, **kwargs):
        raise AssertionError("statistics loaded")

    monkeypatch.setattr(setting_module, "scenario_statistics", refuse)
    world = world_from_instance(instance, source=tmp_path / "s.instance.json")
    assert world.partition.layer_band.tolist() == built.partition.layer_band.tolist()
    assert len(world.laws) == 32 and world.layers == instance.layers
    with pytest.raises(AssertionError, match="statistics loaded"):
        world_from_scenario(SPEC, source=tmp_path / "s.toml")


def test_one_pass_serves_both_gateway_rules_and_the_baselines(tmp_path, count_routed):
    doc = reproduce_table(SPEC, tmp_path / "s.toml", schemes=("RandIntra", "Space-XNet", "Space-XNet-median"),
                          seeds=2, tokens=200)
    n_bands = resolve_setting(SPEC, tmp_path / "s.toml").partition.n_bands
    # 6 snapshots once; the median rule routes each band's members over its 2 diameter snapshots
    assert sorted(count_routed) == sorted(list(range(6)) + [0, 5] * n_bands)
    assert set(doc["schemes"]) == {"RandIntra", "Space-XNet", "Space-XNet-median"}


def test_looked_up_legs_equal_freshly_routed_ones(tmp_path, count_routed):
    world = world_from_scenario(SPEC, source=tmp_path / "s.toml")
    solved = setting_layers(world.setting, paths=world.paths).layers
    from spacexnet_opt.evaluate import deployment_from_assignments

    deployment = deployment_from_assignments(solved, [np.arange(8)] * len(solved))
    routed_before = len(count_routed)
    looked_up = leg_delays(world.snapshots, [deployment], paths=world.paths)[0]
    assert len(count_routed) == routed_before  # nothing routed again
    fresh = leg_delays(world.snapshots, [deployment])[0]
    assert np.array_equal(looked_up.delay_s, fresh.delay_s)
    baseline = deployment_from_baseline(world.partition, 8, scheme="RandPlace", seed=1)
    assert evaluate(world, baseline, tokens=0).snapshot.total_s > 0  # routes what the world lacks
