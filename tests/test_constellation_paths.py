"""Legs routed in one pass: the table equals per-leg shortest-path sums; lookups and coverage."""

import numpy as np
import pytest

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots, shortest_delays
from spacexnet_opt.constellation.paths import Legs, route_paths


@pytest.fixture(scope="module")
def snaps():
    shell = WalkerShell("t", 5, 10, 550.0, 87.0, pattern="star")
    return build_snapshots(shell, n_snapshots=4, config=IslConfig(survival=0.7, max_angular_rate=None), seed=3)


def test_table_is_the_sum_of_both_shortest_paths_brute_force(snaps):
    rng = np.random.default_rng(0)
    g, s, h = (rng.integers(0, snaps.n_sats, 40) for _ in range(3))
    table = route_paths(snaps, [Legs(g[:25], s[:25], h[:25]), Legs(g[25:], s[25:], h[25:])])
    d = shortest_delays(snaps, np.arange(snaps.n_sats))  # all pairs, (T, N, N)
    expected = d[:, g, s] + d[:, h, s]
    got = table.lookup(Legs(g, s, h))
    assert got.shape == (4, 40)
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    assert np.array_equal(got[np.isfinite(got)], expected[np.isfinite(expected)])
    assert np.isinf(got).any()  # the failures make some legs disconnected


def test_repeated_legs_are_stored_once_and_lookup_keeps_shape_order(snaps):
    legs = Legs(np.array([[0, 0], [7, 0]]), np.array([[3, 4], [9, 3]]), np.array([[1, 1], [2, 1]]))
    table = route_paths(snaps, [legs])
    assert table.delay_s.shape == (4, 3)
    got = table.lookup(legs)
    assert got.flags["C_CONTIGUOUS"] and np.array_equal(got[:, 0], got[:, 3], equal_nan=True)


def test_coverage_and_missing_legs(snaps):
    table = route_paths(snaps, [Legs([0], [5], [1])])
    assert table.covers(Legs([0], [5], [1])) and not table.covers(Legs([1], [5], [0]))
    with pytest.raises(KeyError, match="not routed"):
        table.lookup(Legs([0, 0], [5, 6], [1, 1]))
