"""The serving simulator against derived values: evaluate's s/token at vanishing load, queueing formulas, a hand
computed ring, Little's law, the SimPy reference, memory admission, ground access."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from spacexnet_opt.evaluate.sets import TraceLaw
from spacexnet_opt.serve import engine, reference
from spacexnet_opt.serve.api import serve_model
from spacexnet_opt.serve.inputs import load_inputs
from spacexnet_opt.serve.model import GroupLayer, ServeModel, build_model
from spacexnet_opt.serve.requests import RequestSet

from test_evaluate_cli import TINY

# the evaluate tests' tiny scenario (10 x 32 star, LLaMA-MoE 2/8, 6 snapshots) with the snapshots 10 s apart, so
# that requests spread over time meet every snapshot
SERVE_TINY = TINY.replace("count = 6", "count = 6\nduration_s = 60.0")
EXTRA = {"replicas": ["--replicas", "8"], "capacity": ["--capacity", "2"]}


@pytest.fixture(scope="module")
def deployments(tmp_path_factory):
    """Every scheme of ``reproduce paper`` on the tiny scenario, optimised deployments with replicas and with two
    experts per satellite, and one on satellites of two speeds (7.28 and 3.7 GFLOPS)."""
    from typer.testing import CliRunner

    from spacexnet_opt.cli.app import app

    d = tmp_path_factory.mktemp("serve")
    (d / "tiny.toml").write_text(SERVE_TINY)
    res = CliRunner().invoke(app, ["reproduce", "paper", "--scenario", str(d / "tiny.toml"), "--out", str(d),
                                   "--seeds", "2", "--tokens", "2"])
    assert res.exit_code == 0, res.output
    out = {p.stem.removeprefix("deployment-"): p for p in d.glob("deployment-*.json")}
    (d / "mixed.toml").write_text(SERVE_TINY + '[seeds]\ncompute = 0\n[compute]\nsatellite_gflops = 7.28\n'
                                  'gflops = { choices = [7.28, 3.7], shares = [0.5, 0.5] }\n')
    for name, (scenario, options) in {**{k: ("tiny.toml", v) for k, v in EXTRA.items()},
                                      "mixed-speeds": ("mixed.toml", [])}.items():
        res = CliRunner().invoke(app, ["optimize", str(d / scenario), "-o", str(d / f"{name}.json"), *options])
        assert res.exit_code == 0, res.output
        out[name] = d / f"{name}.json"
    return out


@pytest.fixture(scope="module")
def models(deployments):
    return {name: build_model(load_inputs(path)) for name, path in deployments.items()}


def check_run(requests, res):
    """What every run must satisfy: Little's law within 2 %, every request accounted for."""
    m = res.metrics
    assert m["littles_law"]["ratio"] == pytest.approx(1.0, abs=0.02)
    r = m["requests"]
    assert r["completed"] + r["rejected"] + r["pending_admitted"] + r["pending_waiting"] + r["not_arrived"] == len(requests)


def spaced(n, gap, prompt, output, origin=-1):
    return RequestSet(np.arange(n) * gap, np.full(n, prompt), np.full(n, output), np.full(n, origin))


SCHEMES = ["RandPlace", "RandIntra", "RandIntra-CG", "Space-XNet", "Space-XNet-median", "Space-XNet-top2",
           "Space-XNet-opt", "Space-XNet-opt-tp", *EXTRA, "mixed-speeds"]


def vanishing_load(cli, deployment, model, tmp_path, *, spacing_s: float):
    """Lone requests of 1 prompt token and 20 output tokens: decode token j attends to 1 + j keys (j = 1..19), so
    the mean TPOT is evaluate's s/token at --context-len 11 (attention is linear in the context). Requests
    ``spacing_s`` apart never meet, and spread over the snapshots."""
    assert cli("evaluate", deployment, "--context-len", "11", "--tokens", "20000",
               "--json", tmp_path / "ev.json").exit_code == 0
    ev = json.loads((tmp_path / "ev.json").read_text())
    exact = ev["snapshot_exact_s_per_token"]
    gap = max(spacing_s, 25 * exact)  # a request takes about 21 s/token
    requests = spaced(200, gap, 1, 20)
    res = serve_model(model, requests)
    check_run(requests, res)
    assert (res.trace.admitted_s[1:] > res.trace.done_s[:-1]).all()  # one request at a time
    lo, hi = res.metrics["tpot_ci95_s"]
    assert abs(res.metrics["tpot_s"]["mean"] - exact) <= 1.7 * (hi - lo) / 2  # within the 99.9 % interval
    mc_lo, mc_hi = ev["ci95_s"]
    assert lo <= mc_hi and mc_lo <= hi  # the two Monte Carlo intervals overlap


@pytest.mark.parametrize("scheme", SCHEMES)
def test_vanishing_load_tpot_is_evaluate_s_per_token(cli, deployments, models, scheme, tmp_path):
    vanishing_load(cli, deployments[scheme], models[scheme], tmp_path, spacing_s=41.3)


def one_server(service_work: np.ndarray) -> ServeModel:
    """One layer, one expert of no work on its own satellite, no delays: the gateway (1 GFLOPS) is the only server,
    a request's service is its prompt's context sum (a1 = 1 GFLOP per unit of context)."""
    return ServeModel(1, 1, [0], [1.0, 1.0], math.inf, 1, 0.0, 0.0, [(0.0, 1.0)], [None], [[[0.0]]], [[[0.0]]],
                      [[[1]]], [TraceLaw([[0]])], None, np.zeros(2), np.zeros(2), None)


@pytest.mark.parametrize("law", ["exponential", "deterministic"])
def test_one_server_poisson_arrivals_match_pollaczek_khinchine(law):
    """M/G/1: mean wait = lambda E[S^2] / (2 (1 - rho)); service S = P (P + 1) / 2 GFLOP at 1 GFLOPS for a prompt of
    P tokens, P drawn so that S is about exponential (M/M/1) or fixed (M/D/1); rho = 0.5."""
    rng = np.random.default_rng(1)
    n = 200_000
    if law == "exponential":
        pool = np.rint((np.sqrt(1 + 8 * rng.exponential(60.0, 4000)) - 1) / 2).astype(int) + 1
        prompt = pool[rng.integers(len(pool), size=n)]
        s = pool * (pool + 1) / 2.0
        es, es2 = s.mean(), (s ** 2).mean()
    else:
        prompt = np.full(n, 10)
        es, es2 = 55.0, 55.0 ** 2
    lam = 0.5 / es
    requests = RequestSet(np.cumsum(rng.exponential(1 / lam, n)), prompt, np.ones(n, dtype=int), np.full(n, -1))
    res = serve_model(one_server(None), requests)
    check_run(requests, res)
    service = prompt * (prompt + 1) / 2.0
    wait = res.metrics["ttft_s"]["mean"] - service.mean()
    assert wait == pytest.approx(lam * es2 / (2 * (1 - lam * es)), rel=0.02)


def ring() -> ServeModel:
    """Three layers on gateways 0, 1, 2, one expert each on 3, 4, 5: gateway 1 s, expert 0.5 s, legs 0.25 s."""
    return ServeModel(3, 1, [0, 1, 2], [1.0] * 6, math.inf, 1, 0.0, 0.5, [(1.0, 0.0)] * 3, [None] * 3,
                      [[[0.25]] * 3], [[[0.25]] * 3], [[[3], [4], [5]]], [TraceLaw([[0]])] * 3, None, np.zeros(6),
                      np.zeros(6), None)


def test_ring_of_deterministic_servers_matches_hand_computation():
    """A at 0, B at 0.5, two tokens each. A pass alone takes 3 x (1 + 0.25 + 0.5 + 0.25) = 6 s. B waits 0.5 s at
    gateway 0 and then follows A 1 s behind at every gateway: A's tokens at 6 and 12, B's at 7 and 13."""
    requests = RequestSet(np.array([0.0, 0.5]), np.array([1, 1]), np.array([2, 2]), np.array([-1, -1]))
    for run in (engine.run, reference.run):
        trace = run(ring(), requests)
        assert trace.first_s.tolist() == [6.0, 7.0] and trace.done_s.tolist() == [12.0, 13.0]
        assert trace.busy_s.tolist() == [4.0, 4.0, 4.0, 2.0, 2.0, 2.0]


def test_batching_window_matches_hand_computation():
    """Max batch 2, window 1 s: A waits for B (0.5 s); the batch of 2 rows takes 2 s per gateway and 2 x 0.5 s at
    each expert, 3 x (2 + 0.25 + 1 + 0.25) = 10.5 s a pass, so both first tokens at 11 and last at 21.5. The
    compute is the same as unbatched (8 s per gateway); only the legs are shared."""
    requests = RequestSet(np.array([0.0, 0.5]), np.array([1, 1]), np.array([2, 2]), np.array([-1, -1]))
    for run in (engine.run, reference.run):
        trace = run(ring(), requests, max_batch=2, window_s=1.0)
        assert trace.first_s.tolist() == [11.0, 11.0] and trace.done_s.tolist() == [21.5, 21.5]
        assert trace.busy_s.tolist() == [4.0, 4.0, 4.0, 2.0, 2.0, 2.0] and trace.passes == 2


def test_compute_group_rounds_match_hand_computation():
    """One layer whose gateway 0 splits the work 3 : 1 with member 1, 0.5 s away: the round is max(0.75 x 4 s, 2 x 0.5 +
    0.25 x 4 s) = 3 s, then the router 1 s at the gateway and the expert (0.25 + 0.5 + 0.25): 5 s a token."""
    group = GroupLayer([0, 1], [0.75, 0.25], [[0.0, 0.5]], [(4.0, 0.0, 0.0, 0.0)], 1)
    m = ServeModel(1, 1, [0], [1.0] * 3, math.inf, 1, 0.0, 0.5, [(1.0, 0.0)], [group], [[[0.25]]], [[[0.25]]],
                   [[[2]]], [TraceLaw([[0]])], None, np.zeros(3), np.zeros(3), None)
    requests = RequestSet(np.array([0.0]), np.array([1]), np.array([3]), np.array([-1]))
    for run in (engine.run, reference.run):
        trace = run(m, requests)
        assert trace.first_s.tolist() == [5.0] and trace.done_s.tolist() == [15.0]


@pytest.mark.parametrize("scheme, batching", [("Space-XNet", (1, 0.0)), ("Space-XNet", (4, 0.3)),
                                              ("Space-XNet-opt-tp", (2, 0.1)), ("capacity", (1, 0.0))])
def test_simpy_reference_gives_the_same_times(models, scheme, batching):
    rng = np.random.default_rng(3)
    n = 40
    requests = RequestSet(np.cumsum(rng.exponential(1.5, n)), rng.integers(1, 12, n), rng.integers(1, 8, n),
                          np.full(n, -1))
    a = engine.run(models[scheme], requests, seed=5, max_batch=batching[0], window_s=batching[1])
    b = reference.run(models[scheme], requests, seed=5, max_batch=batching[0], window_s=batching[1])
    assert len(a.waits) > 50  # the requests do queue
    assert (a.window_tokens, a.passes, a.batched_rows) == (b.window_tokens, b.passes, b.batched_rows)
    # symmetric compute-group members (equal shares, equal delays) finish at exactly the same time, and the two
    # engines may take such tied events in different orders (docs/serving.md): times then agree to 1e-3, not 1e-12
    tied = scheme.endswith("-tp")
    for x, y in [(a.first_s, b.first_s), (a.done_s, b.done_s), (a.busy_s, b.busy_s)]:
        np.testing.assert_allclose(x, y, rtol=1e-3 if tied else 1e-12, atol=1e-9)


def test_same_seed_same_result_and_pending_requests_are_reported(models):
    rng = np.random.default_rng(4)
    n = 60
    requests = RequestSet(np.cumsum(rng.exponential(0.5, n)), np.full(n, 4), np.full(n, 10), np.full(n, -1))
    one, two = (serve_model(models["Space-XNet"], requests, seed=9) for _ in range(2))
    assert one.to_json() == two.to_json()
    other = serve_model(models["Space-XNet"], requests, seed=10)
    assert other.metrics["tpot_s"] != one.metrics["tpot_s"]
    cut = serve_model(models["Space-XNet"], requests, seed=9, until_s=20.0)
    check_run(requests, cut)
    r = cut.metrics["requests"]
    assert r["pending_admitted"] > 0 and r["not_arrived"] > 0 and cut.metrics["throughput"]["makespan_s"] == 20.0


def test_memory_admission_holds_at_most_what_fits(models):
    """Capacity for exactly two requests' KV cache (plus the weights): never more than two active at once, the
    peak memory stays within the capacity, and a request longer than the memory is rejected, not squeezed in."""
    m = models["Space-XNet"]
    need = 30 * m.kv_per_token
    capacity = m.weights + np.where(need > 0, 2.5 * need, 1e18)
    m = dataclasses.replace(m, capacity=capacity)
    n = 12
    requests = RequestSet(np.arange(n) * 0.1, np.full(n, 10), np.r_[np.full(n - 1, 20), 80], np.full(n, -1))
    trace = engine.run(m, requests)
    assert trace.rejected.tolist() == [False] * (n - 1) + [True]
    start, end = trace.admitted_s[:-1], trace.done_s[:-1]
    active = [((start <= t) & (t < end)).sum() for t in np.r_[start, end]]
    assert max(active) == 2
    assert ((m.weights + trace.peak_kv) <= capacity).all()
    res = serve_model(m, requests)
    check_run(requests, res)
    assert res.metrics["requests"]["rejected"] == 1 and max(res.metrics["queues"]["waiting_admission"]) > 0


def test_ground_access_is_the_nearest_satellite_above_the_mask():
    """Against an independent computation: elevation from the central angle between point and sub-satellite point."""
    from spacexnet_opt.constellation import WalkerShell
    from spacexnet_opt.serve.ground import EARTH_ROTATION_RAD_S, ground_access

    shell = WalkerShell("t", 10, 32, 550.0, 87.0, pattern="star")
    times = np.array([0.0, 700.0])
    points = [(0.0, 0.0), (48.1, 11.6), (-33.9, 151.2)]
    sat, delay = ground_access(shell, times, points, mask_deg=25.0)
    pos, _ = shell.positions_velocities(times)
    re, c = 6_378_137.0, 299_792_458.0
    for t in range(len(times)):
        r = np.linalg.norm(pos[t], axis=1)
        sub_lat = np.arcsin(pos[t][:, 2] / r)
        sub_lon = np.arctan2(pos[t][:, 1], pos[t][:, 0])
        for p, (lat, lon) in enumerate(points):
            lat, lon = math.radians(lat), math.radians(lon) + EARTH_ROTATION_RAD_S * times[t]
            cos_g = np.sin(lat) * np.sin(sub_lat) + np.cos(lat) * np.cos(sub_lat) * np.cos(sub_lon - lon)
            slant = np.sqrt(re ** 2 + r ** 2 - 2 * re * r * cos_g)
            elev = np.degrees(np.arcsin((r * cos_g - re) / slant))
            visible = np.flatnonzero(elev >= 25.0)
            best = visible[np.argmin(slant[visible])]
            assert sat[t, p] == best and delay[t, p] == pytest.approx(slant[best] / c, rel=1e-9)


def test_ground_users_add_their_links_at_vanishing_load(models):
    """From a ground point, a lone request's first token is later by the uplink and the downlink of its snapshot."""
    from spacexnet_opt.serve.inputs import load_inputs  # noqa: F401  (models built from the same file)

    m = models["Space-XNet"]
    access = [[0.004], [0.006], [0.005], [0.007], [0.003], [0.008]]
    ground = dataclasses.replace(m, access_s=access)
    requests = spaced(6, 41.3, 1, 1)
    plain = engine.run(m, requests)
    far = engine.run(ground, dataclasses.replace(requests, origin=np.zeros(6, dtype=int)))
    up = [access[m.snapshot(t)][0] for t in requests.arrival_s]
    down = [access[m.snapshot(t)][0] for t in far.first_s]
    np.testing.assert_allclose(far.first_s - plain.first_s, np.add(up, down), rtol=0, atol=0.02)


def test_vanishing_load_on_the_paper_space_xnet_deployment(cli, tmp_path):
    """The slower check, on the paper's scenario (200 snapshots 28.7 s apart)."""
    from conftest import REPO

    dep = tmp_path / "paper.json"
    assert cli("optimize", REPO / "instances" / "paper.toml", "-o", dep).exit_code == 0
    vanishing_load(cli, dep, build_model(load_inputs(dep)), tmp_path, spacing_s=28.9)


def test_max_active_caps_the_sequences_admitted_at_once(models):
    n = 10
    requests = RequestSet(np.arange(n) * 0.2, np.full(n, 3), np.full(n, 6), np.full(n, -1))
    for run in (engine.run, reference.run):
        trace = run(models["Space-XNet"], requests, max_active=2)
        start, end = trace.admitted_s, trace.done_s
        assert max(((start <= t) & (t < end)).sum() for t in start) == 2
        assert (start[2:] >= np.sort(end)[:n - 2]).all()  # the third waits for the first to finish, and so on
