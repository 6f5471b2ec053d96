"""The view's numbers: positions, the token's routed path, replicas, and the page's panels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from spacexnet_opt.evaluate import Deployment, world_from_scenario
from spacexnet_opt.formats.scenario import parse_scenario
from spacexnet_opt.evaluate import deployment_from_solver
from spacexnet_opt.view import make_scene, map_figure, results_figure

from test_evaluate_cli import TINY


@pytest.fixture(scope="module")
def world():
    return world_from_scenario(parse_scenario(TINY), source="tiny.toml")


@pytest.fixture(scope="module")
def deployment(world):
    return deployment_from_solver(world.layers, objective="linear", method="sorted", name="Space-XNet")


def _is_route(snaps, t, leg) -> bool:
    up = {tuple(e) for e in np.asarray(snaps.edges)[np.isfinite(np.asarray(snaps.delay_s)[t])]}
    return all(tuple(sorted((u, v))) in up for u, v in zip(leg[:-1], leg[1:]))


def test_scene_positions_and_token_path(world, deployment):
    scene = make_scene(world, deployment, frames=3, seed=1)
    assert scene.lonlat.shape == (3, 320, 2) and scene.hosts.shape == (32, 8, 1)
    assert np.abs(scene.lonlat[..., 1]).max() <= 87.0 + 0.01  # polar shell at 87 degrees
    assert not np.allclose(scene.lonlat[0], scene.lonlat[1])
    for f, t in enumerate(scene.frames):
        legs = scene.paths[f]
        assert len(legs) == 2 * scene.token_sets.size  # gateway -> expert -> next gateway, every activated expert
        assert legs[0][0] == deployment.gateways[0] and legs[0][-1] == deployment.experts[0, scene.token_sets[0, 0]]
        assert legs[1][-1] == deployment.gateways[1]
        assert all(_is_route(world.snapshots, t, leg) for leg in legs)


def test_token_goes_through_the_nearest_copy(world, deployment):
    rng = np.random.default_rng(0)
    spare = rng.integers(world.n_sats, size=deployment.experts.shape)
    hosts = np.stack([deployment.experts, spare], axis=2)
    scene = make_scene(world, deployment.replace(hosts=hosts, name="replicated"), frames=1, seed=1)
    dist = dijkstra(world.snapshots.graph(int(scene.frames[0])), directed=True)
    for layer, chosen in enumerate(scene.token_sets):
        gw, after = deployment.gateways[layer], deployment.gateways[(layer + 1) % len(deployment.gateways)]
        for j, expert in enumerate(chosen):
            copies = hosts[layer, expert]
            best = copies[np.argmin(dist[gw, copies] + dist[copies, after])]
            assert scene.paths[0][2 * (layer * len(chosen) + j)][-1] == best
    fig = map_figure(scene)
    assert len(fig.data[5].x) == hosts[:, :, 1].size  # every replica drawn


def test_view_cli_with_reproduce_and_sweep_outputs(cli, tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY)
    cdf = {"s_per_token": [1.5, 2.0, 3.5], "fraction": [0.0, 0.5, 1.0]}
    table = {"schemes": {"A": {"mean_s_per_token": 2.0, "ci95_s": [1.9, 2.1], "p99_s_per_token": 3.0, "cdf": cdf},
                         "B": {"mean_s_per_token": 1.0}}}
    (tmp_path / "table2.json").write_text(json.dumps(table))
    fig = results_figure(tmp_path / "table2.json")
    assert [t.name for t in fig.data] == ["mean", "p99", "A"]  # one per-token CDF line per scheme that has one
    assert list(fig.data[2].y) == cdf["fraction"]
    result = cli("view", tmp_path / "tiny.toml", "-o", tmp_path / "v.html", "--frames", 2,
                 "--results", tmp_path / "table2.json")
    assert result.exit_code == 0 and "320 satellites, 2 snapshots" in result.output
    html = (tmp_path / "v.html").read_text()
    assert html.count("Plotly.newPlot") == 3 and "<script src=" not in html
    bad = cli("view", tmp_path / "tiny.toml", "-o", tmp_path / "w.html", "--results", tmp_path / "tiny.toml")
    assert bad.exit_code == 2 and "not a sweep results database" in bad.output
    assert not (tmp_path / "w.html").exists()


def test_deployment_file_view_draws_replicas_and_compute_groups(cli, tmp_path):
    from spacexnet_opt.deploy import load_deployment_world
    from spacexnet_opt.view import TRACE_NAMES

    (tmp_path / "tiny.toml").write_text(TINY)
    dep = tmp_path / "dep.json"
    res = cli("optimize", tmp_path / "tiny.toml", "-o", dep, "--replicas", "8", "--compute-group", "waterfill",
              "--group-size", "6")
    assert res.exit_code == 0, res.output
    _, plan, world = load_deployment_world(dep)
    assert plan.n_replicas == 8 and any(g.size > 1 for g in plan.groups)
    scene = make_scene(world, plan, frames=2, seed=0)
    assert np.array_equal(scene.hosts, plan.hosts) and np.array_equal(scene.gateways, plan.gateways)
    for (members, shares), group in zip(scene.groups, plan.groups):
        assert members.tolist() == group.members.tolist() and np.allclose(shares, group.shares)
    fig = map_figure(scene)
    assert len(fig.data[TRACE_NAMES.index("replicas")].x) == 8
    n_members = sum(g.size for g in plan.groups)
    ring = fig.data[TRACE_NAMES.index("compute groups")]
    assert len(ring.x) == n_members and len(fig.frames[1].data[-1].x) == n_members
    member = int(plan.groups[0].members[-1])
    assert f"layer 0 compute group: sat {member}" in " ".join(ring.text)
    res = cli("view", dep, "-o", tmp_path / "d.html", "--frames", 2)
    assert res.exit_code == 0 and "320 satellites, 2 snapshots" in res.output, res.output
    bad = cli("view", dep, tmp_path / "tiny.toml", "-o", tmp_path / "e.html")
    assert bad.exit_code == 2 and "a deployment file is drawn alone" in bad.output


def test_scene_without_groups_draws_no_rings(world, deployment):
    scene = make_scene(world, deployment, frames=1)
    fig = map_figure(scene)
    assert scene.groups == () and len(fig.data[-1].x) == 0 and fig.data[-1].showlegend is False
