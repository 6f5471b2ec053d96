"""Shortest-path delays against networkx, and the expected-delay disconnection rule."""

import networkx as nx
import numpy as np
import pytest

from spacexnet_opt.constellation import (
    IslConfig,
    WalkerShell,
    build_snapshots,
    expected_delays,
    iter_shortest_delays,
    shortest_delays,
)
from spacexnet_opt.errors import InputError


def _nx_delays(snaps, t, sources):
    g = nx.Graph()
    g.add_nodes_from(range(snaps.n_sats))
    for (u, v), d in zip(snaps.edges.tolist(), snaps.delay_s[t]):
        if np.isfinite(d):
            g.add_edge(u, v, weight=d)
    out = np.full((len(sources), snaps.n_sats), np.inf)
    for i, s in enumerate(sources):
        for target, d in nx.single_source_dijkstra_path_length(g, int(s)).items():
            out[i, target] = d
    return out


@pytest.fixture(scope="module")
def fragile():
    # Low survival on a small star shell: many pairs are disconnected in some snapshots.
    shell = WalkerShell("t", 4, 12, 550.0, 87.0, phasing=1, pattern="star")
    return build_snapshots(shell, n_snapshots=12, config=IslConfig(survival=0.55, max_angular_rate=0.0013), seed=11)


@pytest.mark.parametrize("pattern", ["star", "delta"])
def test_dijkstra_matches_networkx(pattern):
    shell = WalkerShell("t", 5, 14, 550.0, 70.0, phasing=2, pattern=pattern)
    snaps = build_snapshots(shell, n_snapshots=4, config=IslConfig(survival=0.85), seed=5)
    sources = [0, 17, 69]
    got = shortest_delays(snaps, sources)
    assert got.shape == (4, 3, 70)
    for t in range(4):
        np.testing.assert_allclose(got[t], _nx_delays(snaps, t, sources), rtol=1e-12)


def test_disconnected_pairs_are_inf_like_networkx(fragile):
    got = shortest_delays(fragile, [0, 30])
    assert np.isinf(got).any()
    for t in range(fragile.n_snapshots):
        np.testing.assert_allclose(got[t], _nx_delays(fragile, t, [0, 30]))


def test_iterator_streams_the_same_values_for_any_worker_count(fragile):
    full = shortest_delays(fragile, [3, 4], workers=1)
    for workers in (1, 2, 3):
        streamed = list(iter_shortest_delays(fragile, [3, 4], workers=workers))
        np.testing.assert_array_equal(np.stack(streamed), full)
    sub = shortest_delays(fragile, [3, 4], snapshots_idx=[5, 2])
    np.testing.assert_array_equal(sub, full[[5, 2]])


def test_expected_delays_follow_the_documented_rule(fragile):
    sources = [0, 13, 40]
    exp = expected_delays(fragile, sources)
    per = shortest_delays(fragile, sources)
    connected = np.isfinite(per)
    assert 0 < (~connected).mean() < 1
    for i in range(3):
        for j in range(fragile.n_sats):
            ok = connected[:, i, j]
            assert exp.p_disconnected[i, j] == pytest.approx(1 - ok.mean())
            if ok.any():
                assert exp.mean_s[i, j] == pytest.approx(per[ok, i, j].mean())
            else:
                assert exp.mean_s[i, j] == np.inf
    assert exp.n_snapshots == 12 and "connected" in exp.rule
    np.testing.assert_array_equal(exp.sources, sources)
    assert np.all(exp.mean_s[np.arange(3), sources] == 0)


def test_penalised_combines_mean_and_disconnection(fragile):
    exp = expected_delays(fragile, [0])
    pen = exp.penalised(1.0)
    p = exp.p_disconnected
    never = p == 1
    np.testing.assert_allclose(pen[~never], ((1 - p) * exp.mean_s + p)[~never])
    assert np.all(pen[never] == 1.0)


def test_bad_sources_and_snapshots(fragile):
    with pytest.raises(InputError, match="sources"):
        shortest_delays(fragile, [48])
    with pytest.raises(InputError, match="sources"):
        expected_delays(fragile, [])
    with pytest.raises(InputError, match="snapshots_idx"):
        shortest_delays(fragile, [0], snapshots_idx=[12])
    with pytest.raises(InputError, match="workers"):
        list(iter_shortest_delays(fragile, [0], workers=0))


def test_compiled_dijkstra_gives_scipys_exact_floats_on_every_snapshot():
    # The kernel replaced scipy.sparse.csgraph.dijkstra: same float sums, so the same bits (the golden Table II
    # depends on it), on a shell with failed links.
    from scipy.sparse.csgraph import dijkstra

    shell = WalkerShell("t", 8, 20, 550.0, 87.0, phasing=1, pattern="star")
    snaps = build_snapshots(shell, n_snapshots=6, config=IslConfig(survival=0.8), seed=3)
    sources = np.arange(0, 160, 7)
    for t, got in enumerate(iter_shortest_delays(snaps, sources, workers=2)):
        np.testing.assert_array_equal(got, dijkstra(snaps.graph(t), directed=True, indices=sources))


def test_wanted_targets_stop_the_search_early_with_exact_values_there(fragile):
    full = shortest_delays(fragile, [0, 30], workers=1)
    wanted = np.zeros((2, fragile.n_sats), dtype=bool)
    wanted[0, [1, 2]] = True          # near the source: the search stops early
    wanted[1, 47] = True
    for t, got in enumerate(iter_shortest_delays(fragile, [0, 30], wanted=wanted, workers=1)):
        np.testing.assert_array_equal(got[wanted], full[t][wanted])
        settled = np.isfinite(got) | np.isinf(got)
        np.testing.assert_array_equal(got[settled], full[t][settled])   # anything not nan is final
    stopped = next(iter_shortest_delays(fragile, [0, 30], wanted=wanted, workers=1))
    assert np.isnan(stopped[0]).any()
