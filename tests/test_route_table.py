"""The route table: each source routed once per snapshot set, equal to direct routing, shared by every step."""

from __future__ import annotations

import numpy as np

from spacexnet_opt.constellation import IslConfig, RouteTable, WalkerShell, build_snapshots, iter_shortest_delays
from spacexnet_opt.constellation.routing import connected_mean


def _snapshots():
    return build_snapshots(WalkerShell("t", 6, 12, 550.0, 87.0, pattern="star"), n_snapshots=4,
                           config=IslConfig(survival=0.8, max_angular_rate=None), seed=3)


def test_delays_equal_direct_routing_and_each_source_is_routed_once():
    snaps = _snapshots()
    table = RouteTable.of(snaps)
    got = table.delays([5, 0, 5])
    direct = np.stack(list(iter_shortest_delays(snaps, np.array([5, 0]))))
    assert np.array_equal(got[:, 0], direct[:, 0]) and np.array_equal(got[:, 1], direct[:, 1])
    assert np.array_equal(got[:, 2], got[:, 0])
    assert (table.passes, table.routed_sources) == (1, 2)
    table.delays([0, 7])
    assert (table.passes, table.routed_sources) == (2, 3)       # only the new source 7 was routed
    assert RouteTable.of(snaps) is table and RouteTable.of(_snapshots()) is not table


def test_expected_is_the_disconnection_rule():
    snaps = _snapshots()
    d = RouteTable.of(snaps).delays([1])
    manual = np.array([[np.mean([x for x in d[:, 0, n] if np.isfinite(x)]) if np.isfinite(d[:, 0, n]).any()
                        else np.inf for n in range(snaps.n_sats)]])
    assert np.array_equal(RouteTable.of(snaps).expected([1]), manual)
    filled, bad, mean = connected_mean(d)
    assert np.array_equal(bad, ~np.isfinite(d)) and np.allclose(filled[bad], np.broadcast_to(mean, d.shape)[bad])


def test_optimize_with_every_lever_routes_each_gateway_set_once(tmp_path):
    """The ring-DP gateways are routed once, for the legs, the replicas, the groups and the evaluation."""
    from spacexnet_opt.optimize import optimize_deployment
    from spacexnet_opt.evaluate import world_from_file

    from test_hostile_deployment import TINY

    (tmp_path / "sc.toml").write_text(TINY)
    world = world_from_file(tmp_path / "sc.toml")
    result = optimize_deployment(world, gateways="dp", replicas=8, capacity=2, compute_group="waterfill")
    center = {int(layer.gateway) for layer in world.layers}
    chosen = {int(g) for g in result.plan.gateways}
    table = RouteTable.of(world.snapshots)
    assert table.passes == 1 and table.routed_sources == len(chosen)   # Space-XNet's legs come with the world
    assert chosen != center


def test_one_off_sources_are_not_kept():
    snaps = _snapshots()
    table = RouteTable.of(snaps)
    kept = table.delays([2])
    mixed = table.delays([9, 2, 11], keep=False)
    assert np.array_equal(mixed[:, 1], kept[:, 0])
    assert np.array_equal(mixed[:, 0], np.stack(list(iter_shortest_delays(snaps, np.array([9]))))[:, 0])
    assert (table.routed_sources, table.passes) == (1, 2)
