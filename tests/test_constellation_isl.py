"""+Grid candidate links, seam rules, link feasibility, failures and snapshot graphs."""

import math

import numpy as np
import pytest

from spacexnet_opt.constellation import IslConfig, WalkerShell, build_snapshots, plus_grid_edges
from spacexnet_opt.errors import InputError

C = 299792458.0
R_EARTH = 6378137.0


def _edge_set(shell):
    return {tuple(e) for e in plus_grid_edges(shell).tolist()}


def _expected_edges(shell):
    """+Grid written out link by link, independently of the vectorised code."""
    P, S, F = shell.n_planes, shell.sats_per_plane, shell.phasing
    out = set()
    for p in range(P):
        for s in range(S):
            out.add(tuple(sorted((p * S + s, p * S + (s + 1) % S))))
            if p + 1 < P:
                out.add(tuple(sorted((p * S + s, (p + 1) * S + s))))
            elif shell.pattern == "delta":
                out.add(tuple(sorted((p * S + s, (s + F) % S))))
    return out


@pytest.mark.parametrize("pattern", ["star", "delta"])
@pytest.mark.parametrize("P, S, F", [(5, 7, 0), (5, 7, 3), (6, 10, 5)])
def test_plus_grid_matches_definition_and_seam_rule(pattern, P, S, F):
    shell = WalkerShell("t", P, S, 550.0, 70.0, phasing=F, pattern=pattern)
    edges = _edge_set(shell)
    assert edges == _expected_edges(shell)
    seam = {(u, v) for u, v in edges if {u // S, v // S} == {0, P - 1}}
    if pattern == "star":
        assert seam == set() and len(edges) == 2 * P * S - S
    else:
        assert seam == {tuple(sorted(((P - 1) * S + s, (s + F) % S))) for s in range(S)}
        assert len(edges) == 2 * P * S
        degree = np.bincount(np.array(sorted(edges)).ravel(), minlength=P * S)
        assert np.all(degree == 4)


@pytest.mark.parametrize("F", [0, 3, 7])
def test_delta_seam_link_is_an_ordinary_inter_plane_link(F):
    # Walker delta symmetry: plane p+1 is plane p rotated by 360°/P and advanced by
    # F * 360°/T, so the seam (P-1, s) -> (0, s+F) must be as long as
    # (P-2, s) -> (P-1, s) a time 2*pi*F/(T*n) later; a wrong offset breaks this.
    P, S = 8, 12
    shell = WalkerShell("t", P, S, 550.0, 53.0, phasing=F, pattern="delta")
    lag = (2 * math.pi * F / (P * S)) / (2 * math.pi / shell.period_s)
    pos, _ = shell.positions_velocities([300.0, 300.0 + lag])
    seam = [(u, v) for u, v in plus_grid_edges(shell).tolist() if u < S and v >= (P - 1) * S]
    assert len(seam) == S
    for u, v in seam:
        s = v - (P - 1) * S
        assert u == (s + F) % S
        ordinary = np.linalg.norm(pos[1, (P - 1) * S + s] - pos[1, (P - 2) * S + s])
        assert np.linalg.norm(pos[0, u] - pos[0, v]) == pytest.approx(ordinary, rel=1e-9)


def _brute_force_state(pos_u, pos_v, vel_u, vel_v, config):
    """Feasibility by sampling the segment and by differentiating the pointing direction numerically."""
    seg = pos_u + np.linspace(0, 1, 2001)[:, None] * (pos_v - pos_u)
    clear = np.linalg.norm(seg, axis=1).min() >= R_EARTH + 1e3 * config.min_clearance_km - 5.0
    h = 1e-3
    d0 = (pos_v - pos_u) / np.linalg.norm(pos_v - pos_u)
    pu1, pv1 = pos_u + h * vel_u, pos_v + h * vel_v
    d1 = (pv1 - pu1) / np.linalg.norm(pv1 - pu1)
    rate = np.linalg.norm(d1 - d0) / h
    return clear, rate


def test_feasibility_agrees_with_brute_force():
    shell = WalkerShell("t", 6, 9, 550.0, 87.0, phasing=2, pattern="star")  # 40° spacing: some links graze the Earth
    config = IslConfig(max_angular_rate=0.0015, survival=1.0)
    snaps = build_snapshots(shell, n_snapshots=6, config=config)
    pos, vel = shell.positions_velocities(snaps.times_s)
    seen = set()
    for t in range(6):
        for k, (u, v) in enumerate(snaps.edges):
            clear, rate = _brute_force_state(pos[t, u], pos[t, v], vel[t, u], vel[t, v], config)
            if abs(rate - 0.0015) < 1e-6:
                continue  # too close to the threshold for the numerical derivative
            assert snaps.feasible[t, k] == (clear and rate < 0.0015)
            seen.add((clear, rate < 0.0015))
    assert len(seen) >= 2  # both outcomes occur, so the test can fail


def test_line_of_sight_blocked_for_sparse_planes():
    # 6 slots: neighbours 60° apart at 550 km, the chord passes a*cos(30°) < R_E from the centre.
    blocked = build_snapshots(WalkerShell("t", 1, 6, 550.0, 53.0), n_snapshots=2, config=IslConfig(max_angular_rate=None, survival=1.0))
    assert not blocked.feasible.any()
    a = R_EARTH + 550e3
    s = math.ceil(math.pi / math.acos((R_EARTH + 80e3) / a))  # fewest slots that clear 80 km
    clear = build_snapshots(WalkerShell("t", 1, s, 550.0, 53.0), n_snapshots=2, config=IslConfig(max_angular_rate=None, survival=1.0))
    assert clear.feasible.all()
    grazing = build_snapshots(WalkerShell("t", 1, s - 1, 550.0, 53.0), n_snapshots=2, config=IslConfig(max_angular_rate=None, survival=1.0))
    assert not grazing.feasible.any()


def test_max_range_and_delay_formula():
    shell = WalkerShell("t", 4, 20, 550.0, 53.0, phasing=1)
    a = R_EARTH + 550e3
    chord = 2 * a * math.sin(math.pi / 20)
    cfg = IslConfig(max_range_km=chord / 1e3 + 1, max_angular_rate=None, survival=1.0, message_bits=1e6, link_rate_bps=1e9)
    snaps = build_snapshots(shell, n_snapshots=4, config=cfg)
    plane = snaps.edges // 20
    intra = plane[:, 0] == plane[:, 1]
    np.testing.assert_allclose(snaps.delay_s[:, intra], chord / C + 1e-3, rtol=1e-12)
    pos, _ = shell.positions_velocities(snaps.times_s)
    length = np.linalg.norm(pos[:, snaps.edges[:, 1]] - pos[:, snaps.edges[:, 0]], axis=-1)
    np.testing.assert_array_equal(snaps.feasible, length <= chord + 1e3)
    assert not snaps.feasible[:, ~intra].all()  # some inter-plane links are longer than the range


@pytest.mark.parametrize("survival", [0.95, 0.7])
def test_failure_rate_matches_survival_and_is_seeded(survival):
    shell = WalkerShell("t", 10, 20, 550.0, 53.0, phasing=1)
    snaps = build_snapshots(shell, n_snapshots=50, config=IslConfig(survival=survival), seed=7)
    n = snaps.feasible.sum()
    rate = 1 - snaps.up.sum() / n
    sigma = math.sqrt(survival * (1 - survival) / n)
    assert abs(rate - (1 - survival)) < 4 * sigma
    assert not (snaps.up & ~snaps.feasible).any()
    again = build_snapshots(shell, n_snapshots=50, config=IslConfig(survival=survival), seed=7)
    np.testing.assert_array_equal(again.delay_s, snaps.delay_s)
    other = build_snapshots(shell, n_snapshots=50, config=IslConfig(survival=survival), seed=8)
    assert not np.array_equal(other.up, snaps.up)


def test_graph_is_symmetric_csr_of_the_links_up():
    shell = WalkerShell("t", 5, 12, 550.0, 87.0, phasing=0, pattern="star")
    snaps = build_snapshots(shell, n_snapshots=3, config=IslConfig(survival=0.8), seed=3)
    for t in range(3):
        g = snaps.graph(t)
        assert g.format == "csr" and g.shape == (60, 60)
        dense = g.toarray()
        np.testing.assert_array_equal(dense, dense.T)
        up = np.isfinite(snaps.delay_s[t])
        assert g.nnz == 2 * up.sum()
        u, v = snaps.edges[up].T
        np.testing.assert_array_equal(dense[u, v], snaps.delay_s[t, up])
    with pytest.raises(InputError, match="snapshot"):
        snaps.graph(3)


def test_snapshot_times_span_one_period():
    shell = WalkerShell("t", 3, 12, 550.0, 53.0)
    snaps = build_snapshots(shell, n_snapshots=200)
    assert snaps.times_s[0] == 0 and snaps.times_s[-1] < shell.period_s
    np.testing.assert_allclose(np.diff(snaps.times_s), shell.period_s / 200)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_snapshots": 0}, "n_snapshots"),
        ({"duration_s": -1.0}, "duration_s"),
    ],
)
def test_bad_snapshot_parameters(kwargs, field):
    with pytest.raises(InputError) as err:
        build_snapshots(WalkerShell("t", 3, 12, 550.0, 53.0), **kwargs)
    assert err.value.field == field


@pytest.mark.parametrize("kwargs, field", [({"survival": 0.0}, "survival"), ({"survival": 1.5}, "survival"), ({"max_angular_rate": -1}, "max_angular_rate"), ({"link_rate_bps": 0}, "link_rate_bps"), ({"min_clearance_km": float("nan")}, "min_clearance_km")])
def test_bad_isl_config(kwargs, field):
    with pytest.raises(InputError) as err:
        IslConfig(**kwargs)
    assert err.value.field == field
