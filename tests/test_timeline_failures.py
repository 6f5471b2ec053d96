"""Failed satellites in a timeline: routes around them (brute force on a tiny shell), a relay-only failure, a
failed gateway moved to the nearest live satellite of its subnet."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from scenario_text import small_scenario
from spacexnet_opt.constellation import RouteTable, plus_grid_edges
from spacexnet_opt.timeline import inputs
from spacexnet_opt.timeline.play import initial_deployment, play_timeline
from test_timeline_cli import HEAD

TINY = small_scenario(snapshots=3, fold=8, diameter_snapshots=0, statistics='kind = "zipf"')
PAPER = HEAD + """[timeline]
duration_h = 2
sample_h = 0.5
eclipse = false
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "s.toml"
    path.write_text(TINY)
    return inputs.load_world(path)


def _floyd_warshall(n: int, edges: np.ndarray, delay: np.ndarray, dead) -> np.ndarray:
    """All-pairs shortest delays by Floyd-Warshall on the links that are up and touch no dead satellite."""
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0.0)
    for (u, v), d in zip(edges, delay):
        if np.isfinite(d) and u not in dead and v not in dead:
            dist[u, v] = dist[v, u] = min(dist[u, v], d)
    for k in range(n):
        dist = np.minimum(dist, dist[:, k:k + 1] + dist[k:k + 1, :])
    return dist


def test_routes_around_failed_satellites_match_brute_force(tiny):
    gateways = inputs.gateways(tiny)
    edges = np.asarray(tiny.snapshots.edges)
    # Fail the four grid neighbours of satellite 20 (cutting it off) and one more satellite.
    isolated = 20
    neighbours = sorted({int(v) for u, v in plus_grid_edges(tiny.shell) if u == isolated}
                        | {int(u) for u, v in plus_grid_edges(tiny.shell) if v == isolated})
    dead = neighbours + [50]
    assert len(neighbours) == 4 and not np.isin(dead, gateways).any()
    cut = inputs.without_satellites(tiny, dead)
    assert cut.snapshots is not tiny.snapshots and tiny.snapshots.up.sum() > cut.snapshots.up.sum()
    routed = RouteTable.of(cut.snapshots).delays(gateways)               # (T, L, N)
    brute = [_floyd_warshall(tiny.n_sats, edges, tiny.snapshots.delay_s[t], set(dead))
             for t in range(tiny.snapshots.n_snapshots)]
    for t, dist in enumerate(brute):
        np.testing.assert_allclose(routed[t], dist[gateways], rtol=1e-12)
    # tau on the cut graph: the disconnection rule over the snapshots where both legs have a path.
    costs = inputs.layer_costs(cut, None, gateways)
    for l, layer in enumerate(tiny.layers):
        nxt = gateways[(l + 1) % len(gateways)]
        legs = np.array([dist[gateways[l]] + dist[nxt] for dist in brute])
        ok = np.isfinite(legs)
        tau = np.where(ok.any(axis=0), np.where(ok, legs, 0).sum(axis=0) / np.maximum(ok.sum(axis=0), 1), np.inf)
        cand = np.asarray(layer.satellites)
        compute = 0.0 if layer.expert_gflop is None or layer.gflops is None else \
            np.asarray(layer.expert_gflop, float)[:, None] / np.asarray(layer.gflops, float)[None, :]
        p = np.asarray(layer.activation)[:, None]
        expected = np.where(np.isfinite(tau[cand]), p * (tau[cand] + compute), np.inf)
        np.testing.assert_allclose(costs[l].cost, expected, rtol=1e-12)
        if isolated in cand:
            assert np.isinf(costs[l].cost[:, list(cand).index(isolated)]).all()   # never connected: inf


def test_without_failures_the_rerouted_costs_are_the_instance_costs(tiny):
    own = inputs.layer_costs(tiny)
    rerouted = inputs.layer_costs(inputs.without_satellites(tiny, []), None, inputs.gateways(tiny))
    for a, b in zip(own, rerouted):
        np.testing.assert_array_equal(a.candidates, b.candidates)
        np.testing.assert_allclose(a.cost, b.cost, rtol=1e-6)     # the instance rounds tau to 7 digits


def _relay(world, plan) -> int:
    """A satellite on the shortest path of snapshot 0 from a layer's gateway to one of its experts, hosting
    nothing and no gateway, whose removal makes that leg strictly longer."""
    used = set(plan.gateways.tolist()) | set(plan.hosts.ravel().tolist())
    for gateway, hosts in zip(plan.gateways, plan.hosts[:, :, 0]):
        dist, pred = dijkstra(world.snapshots.graph(0), indices=int(gateway), return_predecessors=True)
        for host in hosts:
            node = int(pred[host])
            while node != gateway:
                if node not in used:
                    cut = inputs.without_satellites(world, [node])
                    if RouteTable.of(cut.snapshots).delays([gateway])[0, 0, host] > dist[host] * (1 + 1e-9):
                        return node
                node = int(pred[node])
    raise AssertionError("no relay-only satellite on the experts' routes")


def test_a_failure_on_a_relay_only_satellite_changes_routes_and_s_per_token(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(PAPER + 'policies = ["never", "event"]\n')
    world = inputs.load_world(path)
    start = initial_deployment(world)
    relay = _relay(world, start)
    path.write_text(PAPER + f'policies = ["never", "event"]\n[[timeline.failures]]\nsatellite = {relay}\nat_h = 1.0\n')
    result = play_timeline(path)
    before = inputs.deployment_s_per_token(world, start)
    after = inputs.deployment_s_per_token(inputs.without_satellites(world, [relay]), start)
    assert after > before
    never = result.policies["never"]
    assert never.s_per_token == pytest.approx([before] * 2 + [after] * 3, rel=1e-12)
    assert never.affected == [0.0] * 5 and never.failed[2:] == [[relay]] * 3     # nothing lost: only routes
    # Event re-places around the hole at 1 h: never worse than staying (lambda is small), and still routed around.
    assert result.policies["event"].replacements == 1


def test_a_failed_gateway_moves_to_the_nearest_live_satellite_of_its_subnet(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(PAPER)
    world = inputs.load_world(path)
    gateway = int(inputs.gateways(world)[3])
    path.write_text(PAPER + f'policies = ["event"]\n[[timeline.failures]]\nsatellite = {gateway}\nat_h = 0.5\n')
    event = play_timeline(path).policies["event"]
    moved = event.states[1]
    assert moved.gateways[3] != gateway and (np.delete(moved.gateways, 3) == np.delete(inputs.gateways(world), 3)).all()
    # Brute force: hops on the intact +Grid from the failed gateway to every other satellite of the subnet.
    grid = nx.Graph(plus_grid_edges(world.shell).tolist())
    hops = nx.single_source_shortest_path_length(grid, gateway)
    subnet = [int(s) for s in inputs.subnets(world)[3] if s != gateway]
    assert moved.gateways[3] in subnet and hops[int(moved.gateways[3])] == min(hops[s] for s in subnet)
    assert event.moves[0]["gateways_moved"] == 1 and event.affected == [0.0] * 5
    # The move sends the layer's non-expert weights: more than an expert's, which LLaMA-MoE's attention outweighs.
    assert event.moves[0]["gb_moved"] >= inputs.gateway_gb(world)[3] > inputs.expert_gb(world)
