"""Gateway rules and the seeded random baselines."""

import numpy as np
import pytest

from spacexnet_opt.constellation import preset
from spacexnet_opt.errors import InputError
from spacexnet_opt.partition import GridShape, baseline_placement, choose_gateways, ring_partition


def test_center_gateway_of_the_paper_grid_is_middle_plane_and_band_slot():
    shell = preset("paper")
    part = ring_partition(shell, 32)
    plane, slot = shell.plane_slot(choose_gateways(part, "center"))
    assert plane.tolist() == [16] * 32 and slot.tolist() == list(range(32))


@pytest.mark.parametrize("n_planes, n_slots, n_layers", [(5, 12, 3), (4, 10, 4), (7, 9, 2)])
def test_center_gateway_is_middle_of_each_band(n_planes, n_slots, n_layers):
    part = ring_partition(GridShape(n_planes, n_slots), n_layers)
    plane, slot = np.divmod(choose_gateways(part, "center"), n_slots)
    for b, (start, stop) in enumerate(part.band_slots):
        assert plane[b] == n_planes // 2
        # as many band slots before the gateway as after it, or one fewer
        assert (slot[b] - start) in ((stop - 1 - slot[b]), (stop - 1 - slot[b]) - 1)


def test_median_gateway_minimises_total_delay_brute_force():
    rng = np.random.default_rng(3)
    part = ring_partition(GridShape(4, 9), 3)
    xy = rng.random((36, 2))
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    got = choose_gateways(part, "median", delays=lambda s: dist[s])
    for b in range(3):
        members = part.members(b)
        best = min(members, key=lambda m: sum(dist[m, o] for o in members))
        assert got[b] == best


def test_median_skips_members_never_connected_and_needs_delays():
    part = ring_partition(GridShape(2, 2), 1)
    dist = np.array([[0, 1, 1, np.inf], [1, 0, 5, 1], [1, 5, 0, 1], [np.inf, 1, 1, 0.0]])
    assert choose_gateways(part, "median", delays=lambda s: dist[s]).tolist() == [1]
    with pytest.raises(InputError, match="median gateway rule needs expected delays"):
        choose_gateways(part, "median")


def test_random_gateway_is_seeded_and_inside_its_band():
    part = ring_partition(GridShape(6, 20), 5)
    a = choose_gateways(part, "random", seed=11)
    assert (a == choose_gateways(part, "random", seed=11)).all()
    assert (part.band_of()[a] == np.arange(5)).all()
    draws = {tuple(choose_gateways(part, "random", seed=s)) for s in range(20)}
    assert len(draws) > 15


def test_unknown_rule_lists_valid_names():
    with pytest.raises(ValueError, match="valid rules: center, median, random"):
        choose_gateways(ring_partition(GridShape(2, 2), 1), "middle")


@pytest.mark.parametrize("method", ["RandPlace", "RandIntra", "RandIntra-CG"])
def test_baselines_are_seeded_reproducible_and_valid(method):
    part = ring_partition(GridShape(5, 12), 6)
    a = baseline_placement(part, 8, method=method, seed=5)
    b = baseline_placement(part, 8, method=method, seed=5)
    c = baseline_placement(part, 8, method=method, seed=6)
    assert all(x.gateway == y.gateway and (x.experts == y.experts).all() for x, y in zip(a, b))
    assert any(x.gateway != y.gateway or (x.experts != y.experts).any() for x, y in zip(a, c))
    band_of = part.band_of()
    for layer, lp in enumerate(a):
        assert lp.layer == layer and len(lp.experts) == 8
        assert len(set(lp.experts.tolist()) | {lp.gateway}) == 9
        inside = band_of[np.append(lp.experts, lp.gateway)] == part.layer_band[layer]
        assert inside.all() if method != "RandPlace" else True
    if method == "RandIntra-CG":
        assert [lp.gateway for lp in a] == choose_gateways(part, "center").tolist()
    if method == "RandPlace":  # room for 6 x 9 roles on 60 satellites: all distinct
        roles = np.concatenate([np.append(lp.experts, lp.gateway) for lp in a])
        assert len(np.unique(roles)) == len(roles)
        assert (band_of[roles] != np.repeat(part.layer_band, 9)).any()


def test_randplace_reuses_satellites_across_layers_only_when_short_of_room():
    part = ring_partition(GridShape(3, 4), 2)  # 12 satellites, 2 x 8 roles
    placement = baseline_placement(part, 7, method="RandPlace", seed=0)
    for lp in placement:
        assert len(set(lp.experts.tolist()) | {lp.gateway}) == 8


def test_rand_intra_experts_are_uniform_over_the_band():
    part = ring_partition(GridShape(3, 2), 2)  # bands of 3 satellites
    counts = np.zeros(6)
    for seed in range(3000):
        for lp in baseline_placement(part, 1, method="RandIntra", seed=seed):
            counts[lp.experts] += 1
            counts[lp.gateway] += 1
    # every satellite is gateway or expert with probability 2/3 in its band
    assert np.allclose(counts / 3000, 2 / 3, atol=0.04)


def test_baseline_errors():
    part = ring_partition(GridShape(3, 4), 2)
    with pytest.raises(InputError, match="layer 0: 6 experts but only 5 satellites in band 0 besides the gateway"):
        baseline_placement(part, 6, method="RandIntra", seed=0)
    with pytest.raises(ValueError, match="valid baselines: RandPlace, RandIntra, RandIntra-CG"):
        baseline_placement(part, 2, method="Random")
