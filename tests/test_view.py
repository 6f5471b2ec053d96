"""The view's numbers: positions, the token's routed path, replicas, and the page's panels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from spacexnet_opt.evaluate import Deployment, world_from_scenario
from spacexnet_opt.formats.scenario import parse_scenario
from spacexnet_opt.evaluate import deployment_from_solver
from spacexnet_opt.view import (GLOBE_TRACES, TRACE_NAMES, globe_figure, make_scene, map_figure, results_figure,
                                subnet_colours)
from spacexnet_opt.view.coast import coastlines, land_rings
from spacexnet_opt.view.figure import SUBNET_PALETTE

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
    assert len(fig.data[TRACE_NAMES.index("replicas")].x) == hosts[:, :, 1].size  # every replica drawn


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
    assert html.count("Plotly.newPlot") == 4 and "<script src=" not in html  # map, globe, layers, results
    bad = cli("view", tmp_path / "tiny.toml", "-o", tmp_path / "w.html", "--results", tmp_path / "tiny.toml")
    assert bad.exit_code == 2 and "not a sweep results database" in bad.output
    assert not (tmp_path / "w.html").exists()


def test_deployment_file_view_draws_replicas_and_compute_groups(cli, tmp_path):
    from spacexnet_opt.evaluate import load_deployment_world

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
    assert len(ring.x) == n_members and len(_in_frame(fig, 1, "compute groups").x) == n_members
    member = int(plan.groups[0].members[-1])
    assert f"layer 0 compute group: sat {member}" in " ".join(ring.text)
    res = cli("view", dep, "-o", tmp_path / "d.html", "--frames", 2)
    assert res.exit_code == 0 and "320 satellites, 2 snapshots" in res.output, res.output
    bad = cli("view", dep, tmp_path / "tiny.toml", "-o", tmp_path / "e.html")
    assert bad.exit_code == 2 and "a deployment file is drawn alone" in bad.output


def test_scene_without_groups_draws_no_rings(world, deployment):
    scene = make_scene(world, deployment, frames=1)
    ring = map_figure(scene).data[TRACE_NAMES.index("compute groups")]
    assert scene.groups == () and len(ring.x) == 0 and ring.showlegend is False


def _in_frame(fig, f: int, name: str, names: tuple = TRACE_NAMES):
    """The trace ``name`` of ``fig`` (whose traces are ``names``) in animation frame ``f``."""
    frame = fig.frames[f]
    return frame.data[list(frame.traces).index(names.index(name))]


def _lab(hex_colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour ``#RRGGBB``."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(np.maximum(xyz / [0.95047, 1.0, 1.08883], (6 / 29) ** 3))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("n_bands", [2, 3, 16, 23, 24, 32, 46, 47, 58, 70])
def test_neighbouring_subnets_get_clearly_different_colours(n_bands):
    colours = subnet_colours(n_bands)
    lab = np.array([_lab(c) for c in colours])
    ring_step = np.linalg.norm(lab - np.roll(lab, -1, axis=0), axis=1)  # band b against b + 1, the last against 0
    assert len(colours) == n_bands and ring_step.min() > 40  # CIE76: 2.3 is just noticeable
    assert len(set(colours)) == min(n_bands, len(SUBNET_PALETTE))


def test_satellites_coloured_by_subnet_along_the_ring(world, deployment):
    scene = make_scene(world, deployment, frames=1)
    sat = map_figure(scene).data[TRACE_NAMES.index("satellites")]
    colour = np.array(sat.marker.color)
    band = scene.band
    for b in range(len(scene.band_layers)):
        after = (b + 1) % len(scene.band_layers)
        assert len(set(colour[band == b])) == 1 and colour[band == b][0] != colour[band == after][0]


def test_map_and_globe_layers_and_ranges(world, deployment):
    scene = make_scene(world, deployment, frames=2, seed=1)
    flat, globe = map_figure(scene), globe_figure(scene)
    assert [t.name for t in flat.data] == list(TRACE_NAMES) and [t.name for t in globe.data] == list(GLOBE_TRACES)
    for names in (TRACE_NAMES, GLOBE_TRACES):  # gateways above the token path, land and coasts below all
        assert names.index("gateways") > names.index("token path") > names.index("satellites")
        assert names.index("coastlines") < names.index("satellites")
    assert tuple(flat.layout.xaxis.range) == (-180, 180) and flat.layout.xaxis.constrain == "domain"
    assert globe.layout.geo.projection.type == "orthographic"
    assert not any(globe.layout.geo[f"show{layer}"] for layer in ("coastlines", "land", "ocean", "countries", "lakes"))
    assert {t.type for t in globe.data} == {"scattergeo"} and {t.type for t in flat.data} == {"scatter"}
    assert [f.name for f in globe.frames] == [f.name for f in flat.frames] == ["0", "1"]  # one slider for both
    for f in range(2):
        on_globe = _in_frame(globe, f, "satellites", GLOBE_TRACES)
        assert np.allclose(np.c_[on_globe.lon, on_globe.lat], scene.lonlat[f])
        assert np.allclose(_in_frame(flat, f, "gateways").x, scene.lonlat[f, scene.gateways, 0])
    for fig, names in ((flat, TRACE_NAMES), (globe, GLOBE_TRACES)):  # what stands still is drawn once
        assert not {"land", "coastlines", "ocean"} & {names[i] for i in fig.frames[0].traces}


def test_coastline_drawn_from_the_shipped_outline():
    lon, lat = coastlines()
    pts = np.c_[lon, lat][~np.isnan(lon)]
    assert np.abs(pts[:, 0]).max() <= 180 and np.abs(pts[:, 1]).max() < 84  # no date-line or pole cut left
    rings = land_rings()
    # land at Greenwich, Alice Springs and inland Antarctica; open sea at (-30, 0) (mid-Atlantic)
    from matplotlib.path import Path as Polygon

    def on_land(x, y):
        return any(Polygon(r).contains_point((x, y)) for r in rings)

    assert on_land(0.0, 51.5) and on_land(133.9, -23.7) and on_land(45.0, -80.0) and not on_land(-30.0, 0.0)
