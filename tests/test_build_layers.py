"""Per-layer subproblems from a partition, gateways and (fake) routed delays."""

import json

import numpy as np
import pytest

from spacexnet_opt.setting import expected_path_latency, layer_subproblems
from spacexnet_opt.errors import InputError
from spacexnet_opt.formats.instance import Instance, dumps_instance, load_instance, save_instance
from spacexnet_opt.partition import GridShape, choose_gateways, ring_partition


def _line_delays(n_sats: int, sources, n_snapshots: int, rng, p_fail: float = 0.0):
    """Fake snapshots: satellites on a line with jittered spacing; pairs fail at random."""
    out = []
    for _ in range(n_snapshots):
        x = np.cumsum(rng.uniform(0.5, 1.5, n_sats))
        d = np.abs(x[sources][:, None] - x[None, :]) * 1e-3
        d[rng.random(d.shape) < p_fail] = np.inf
        out.append(d)
    return out


def test_tau_is_the_mean_over_snapshots_where_both_legs_connect_brute_force():
    rng = np.random.default_rng(0)
    part = ring_partition(GridShape(3, 8), 4)
    gw = choose_gateways(part, "center")
    sources = np.unique(gw)
    snaps = _line_delays(24, sources, 7, rng, p_fail=0.2)
    p = np.full((4, 3), 2 / 3)
    layers, dropped = layer_subproblems(part, gw, iter(snaps), p, 2)
    row = {int(g): i for i, g in enumerate(sources)}
    for layer in layers:
        members = set(part.members(part.layer_band[layer.layer]).tolist()) - {layer.gateway}
        nxt = int(gw[part.next_band(layer.layer)])
        assert layer.next_gateway == nxt
        kept = []
        for s in sorted(members):
            legs = [d[row[layer.gateway], s] + d[row[nxt], s] for d in snaps]
            ok = [v for v in legs if np.isfinite(v)]
            if not ok:
                continue
            kept.append(s)
            i = layer.satellites.index(s)
            assert layer.tau_s[i] == pytest.approx(np.mean(ok), rel=1e-8)
            assert layer.disconnect_prob[i] == pytest.approx(1 - len(ok) / 7, abs=1e-9)
        assert sorted(layer.satellites) == kept
    assert dropped == sum(len(part.members(part.layer_band[i])) - 1 for i in range(4)) - sum(
        lay.n_candidates for lay in layers)


def test_last_layer_hands_over_to_the_first_gateway():
    part = ring_partition(GridShape(3, 6), 3)
    gw = choose_gateways(part, "center")
    snaps = _line_delays(18, np.unique(gw), 2, np.random.default_rng(1))
    layers, _ = layer_subproblems(part, gw, snaps, np.full((3, 2), 0.5), 1)
    assert [lay.next_gateway for lay in layers] == [layers[1].gateway, layers[2].gateway, layers[0].gateway]


def test_folded_layers_share_band_and_gateway():
    part = ring_partition(GridShape(3, 2), 4, fold="auto")
    gw = choose_gateways(part, "center")
    snaps = _line_delays(6, np.unique(gw), 2, np.random.default_rng(2))
    layers, _ = layer_subproblems(part, gw, snaps, np.full((4, 2), 0.5), 1)
    assert layers[0].gateway == layers[0].next_gateway == layers[1].gateway
    assert layers[0].satellites == layers[1].satellites
    assert layers[1].next_gateway == layers[2].gateway != layers[1].gateway


def test_fewer_candidates_than_experts_names_layer_and_sizes():
    part = ring_partition(GridShape(3, 4), 2)  # 6 satellites per band -> 5 candidates
    gw = choose_gateways(part, "center")
    with pytest.raises(InputError) as info:
        layer_subproblems(part, gw, [], np.full((2, 6), 1 / 6), 1)
    assert str(info.value) == (
        "constellation: layer 0: subnet (band 0) has 5 candidate satellites besides its gateway "
        "but the layer has 6 experts"
    )


def test_gateway_disconnected_from_all_candidates_is_an_error():
    part = ring_partition(GridShape(2, 4), 2)
    gw = choose_gateways(part, "center")
    d = np.full((2, 8), np.inf)
    d[np.arange(2), gw] = 0.0
    with pytest.raises(InputError, match=r"layer 0: gateway 4 \(with next gateway 6\) is disconnected from all 3 "
                                         r"candidates in every snapshot"):
        layer_subproblems(part, gw, [d, d], np.full((2, 2), 0.5), 1)


def test_too_few_connected_candidates_is_an_error():
    part = ring_partition(GridShape(2, 4), 2)
    gw = choose_gateways(part, "center")
    d = np.ones((2, 8))
    d[:, [0, 1]] = np.inf  # only candidate 5 of layer 0 stays
    with pytest.raises(InputError, match="layer 0: only 1 candidate satellites are ever connected to the gateways "
                                         "but the layer has 2 experts"):
        layer_subproblems(part, gw, [d], np.full((2, 2), 0.5), 1)


def test_rounded_output_stays_valid_and_round_trips(tmp_path):
    rng = np.random.default_rng(5)
    part = ring_partition(GridShape(5, 12), 6)
    gw = choose_gateways(part, "random", seed=3)
    snaps = _line_delays(60, np.unique(gw), 3, rng)
    p = rng.dirichlet(np.ones(7), size=6) * 2
    while (p > 1).any():
        p = rng.dirichlet(np.ones(7), size=6) * 2
    layers, _ = layer_subproblems(part, gw, snaps, p, 2, coactivation=np.zeros((6, 7, 7)), expert_gflop=1 / 3)
    inst = Instance(scenario={"name": "t"}, layers=layers)
    save_instance(inst, tmp_path / "i.json")
    text = (tmp_path / "i.json").read_text()
    assert text == dumps_instance(inst) and text.count("\n") == 6 + 2
    assert load_instance(tmp_path / "i.json") == inst
    for lay in json.loads(text)["layers"]:
        assert all(float(f"{v:.9g}") == v for v in lay["tau_s"] + lay["activation"])
        assert sum(lay["activation"]) == pytest.approx(2, abs=1e-8)
        assert lay["expert_gflop"] == [0.333333333] * 7


def test_expected_path_latency_closed_form():
    a = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    b = np.array([[0.0, np.inf, 4.0], [4.0, 3.0, 0.0]])
    mean, disc = expected_path_latency([a[0] + a[1], b[0] + b[1]])
    assert mean.tolist() == [3.0, 2.0, 3.0] and disc.tolist() == [0.0, 0.5, 0.0]
