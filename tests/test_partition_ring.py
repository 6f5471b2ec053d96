"""Ring partition: bands cover the shell exactly once, in ring order, balanced; fold; phase alignment; diameters."""

import itertools

import networkx as nx
import numpy as np
import pytest

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots, shortest_delays
from spacexnet_opt.errors import InputError
from spacexnet_opt.partition import GridShape, band_diameters, fold_for, ring_partition

GRIDS = [(33, 32, 32), (4, 10, 3), (5, 7, 7), (3, 11, 4), (1, 5, 2), (6, 9, 1)]


@pytest.mark.parametrize("n_planes, n_slots, n_layers", GRIDS)
@pytest.mark.parametrize("align", ["slot", "phase"])
def test_every_satellite_in_exactly_one_band(n_planes, n_slots, n_layers, align):
    shell = WalkerShell("t", n_planes, n_slots, 550.0, 53.0, phasing=n_planes - 1, pattern="delta")
    part = ring_partition(shell, n_layers, align=align)
    members = np.concatenate([part.members(b) for b in range(part.n_bands)])
    assert sorted(members.tolist()) == list(range(n_planes * n_slots))
    band_of = part.band_of()
    for b in range(part.n_bands):
        assert (band_of[part.members(b)] == b).all()


@pytest.mark.parametrize("n_planes, n_slots, n_layers", GRIDS)
def test_bands_are_consecutive_balanced_and_close_the_ring(n_planes, n_slots, n_layers):
    part = ring_partition(GridShape(n_planes, n_slots), n_layers)
    widths = [stop - start for start, stop in part.band_slots]
    assert max(widths) - min(widths) <= 1 and sum(widths) == n_slots
    assert part.band_slots[0][0] == 0 and part.band_slots[-1][1] == n_slots
    for (_, stop), (start, _) in zip(part.band_slots, part.band_slots[1:]):
        assert stop == start
    assert part.layer_band.tolist() == list(range(n_layers))
    assert [part.next_band(layer) for layer in range(n_layers)] == [*range(1, n_layers), 0]
    # every band holds the same slots in every plane (slot alignment)
    for b, (start, stop) in enumerate(part.band_slots):
        plane, slot = np.divmod(part.members(b), n_slots)
        assert np.bincount(plane).tolist() == [stop - start] * n_planes
        assert set(slot.tolist()) == set(range(start, stop))


def test_fewer_slots_than_layers_is_a_clear_error():
    with pytest.raises(InputError) as info:
        ring_partition(GridShape(72, 22), 32)
    assert str(info.value) == (
        "fold: 32 layers need 32 bands but the shell has only 22 slots per plane; "
        "set fold = 2 (or 'auto') to put several layers in one band"
    )


@pytest.mark.parametrize("n_slots, n_layers, fold", [(22, 32, "auto"), (22, 32, 2), (5, 13, "auto"), (8, 8, 3)])
def test_fold_puts_consecutive_layers_in_a_band(n_slots, n_layers, fold):
    part = ring_partition(GridShape(3, n_slots), n_layers, fold=fold)
    f = fold_for(n_layers, n_slots) if fold == "auto" else fold
    assert part.n_bands == -(-n_layers // f) <= n_slots
    counts = np.bincount(part.layer_band)
    assert (np.diff(part.layer_band) >= 0).all() and counts.max() <= f and counts.max() - counts.min() <= 1
    assert len(counts) == part.n_bands
    # the auto fold is the smallest that fits
    if fold == "auto" and f > 1:
        with pytest.raises(InputError):
            ring_partition(GridShape(3, n_slots), n_layers, fold=f - 1)


@pytest.mark.parametrize("bad", [0, -1, "two", True])
def test_bad_fold_is_an_input_error(bad):
    with pytest.raises(InputError, match="fold"):
        ring_partition(GridShape(3, 8), 2, fold=bad)


def _wrapped_spread(u):
    """Smallest arc (radians) holding all angles ``u``."""
    s = np.sort(np.mod(u, 2 * np.pi))
    gaps = np.diff(np.concatenate([s, [s[0] + 2 * np.pi]]))
    return 2 * np.pi - gaps.max()


def test_phase_alignment_keeps_each_band_in_one_argument_of_latitude_range():
    shell = WalkerShell("f", 12, 20, 550.0, 53.0, phasing=7, pattern="delta")
    u = shell.initial_arg_latitude_rad()
    slot_cut, phase_cut = ring_partition(shell, 5), ring_partition(shell, 5, align="phase")
    width = 4 * 2 * np.pi / 20
    for b in range(5):
        # aligned: spread = band width less one slot, plus at most one slot of rounding
        assert _wrapped_spread(u[phase_cut.members(b)]) <= width + 1e-9
        assert _wrapped_spread(u[slot_cut.members(b)]) > width  # the slot cut slants with F = 7


def test_band_diameter_with_phasing_matches_networkx():
    shell = WalkerShell("f", 8, 16, 550.0, 53.0, phasing=5, pattern="delta")
    snaps = build_snapshots(shell, n_snapshots=1, config=IslConfig(survival=1.0, max_angular_rate=None))
    graph = nx.Graph()
    graph.add_nodes_from(range(shell.n_sats))
    for (a, b), w in zip(snaps.edges.tolist(), snaps.delay_s[0]):
        if np.isfinite(w):
            graph.add_edge(a, b, weight=w)
    for align in ("slot", "phase"):
        part = ring_partition(shell, 3, align=align)
        got = band_diameters(part, lambda s: shortest_delays(snaps, s)[0])
        for b in range(3):
            want = max(nx.dijkstra_path_length(graph, x, y) for x, y in itertools.combinations(part.members(b).tolist(), 2))
            assert got[b] == pytest.approx(want, rel=1e-12)


def test_star_seam_is_inside_every_band_but_band_stays_connected():
    # Walker star: no link between the first and last plane; a band spans both, routed around.
    shell = WalkerShell("s", 5, 16, 550.0, 87.0, pattern="star")
    snaps = build_snapshots(shell, n_snapshots=1, config=IslConfig(survival=1.0, max_angular_rate=None))
    part = ring_partition(shell, 4)
    d = band_diameters(part, lambda s: shortest_delays(snaps, s)[0])
    assert np.isfinite(d).all()
    members = part.members(0)
    plane, _ = np.divmod(members, 16)
    assert {0, 4} <= set(plane.tolist())


def test_sweep_diameter_is_a_lower_bound_and_exact_on_a_grid():
    shell = WalkerShell("g", 6, 16, 550.0, 87.0, phasing=3, pattern="star")
    snaps = build_snapshots(shell, n_snapshots=2, seed=4)
    part = ring_partition(shell, 4)
    oracle = lambda s: shortest_delays(snaps, s)[1]  # noqa: E731
    exact = band_diameters(part, oracle)
    sweep = band_diameters(part, oracle, method="sweep")
    assert (sweep <= exact + 1e-15).all() and (sweep >= 0.5 * exact).all()
    line = np.abs(np.subtract.outer(np.arange(12.0), np.arange(12.0))) ** 1.5
    line_part = ring_partition(GridShape(1, 12), 3)
    assert band_diameters(line_part, lambda s: line[s], method="sweep").tolist() == \
        band_diameters(line_part, lambda s: line[s]).tolist()
