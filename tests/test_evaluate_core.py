"""Evaluation math: exact set-law expectations, Monte Carlo agreement, monotonicity."""

from itertools import combinations

import numpy as np
import pytest

from spacexnet_opt.evaluate import (ComputeTimes, CpsLaw, PairLaw, TraceLaw, analytic_latency, simulate,
                                    snapshot_latency)
from spacexnet_opt.moe import synthetic_correlated


def _cps_brute(law, x):
    """E max over every k-subset, weighted by the CPS set probability."""
    return sum(law.set_probability(a) * x[list(a)].max() for a in combinations(range(len(x)), law.k))


@pytest.mark.parametrize("p,k", [
    ([0.9, 0.6, 0.3, 0.2], 2),
    ([0.7, 0.4, 0.3, 0.3, 0.2, 0.1], 2),
    ([1.0, 0.8, 0.5, 0.3, 0.25, 0.15], 3),   # one expert always fires
    ([0.95, 0.9, 0.6, 0.3, 0.15, 0.05, 0.05], 3),
])
def test_cps_expected_max_equals_enumeration(p, k):
    law = CpsLaw(np.array(p), k)
    rng = np.random.default_rng(1)
    x = rng.random((5, len(p)))
    x[0, 1] = x[0, 2]  # ties are harmless
    got = law.expected_max(x)
    assert np.allclose(got, [_cps_brute(law, row) for row in x], rtol=1e-12)
    # the set probabilities are a distribution with the prescribed marginals
    incl = np.zeros(len(p))
    for a in combinations(range(len(p)), k):
        incl[list(a)] += law.set_probability(a)
    assert np.allclose(incl, p, atol=1e-9)


def test_pair_and_trace_laws_equal_enumeration():
    stats = synthetic_correlated(1, 6, 2, seed=3)
    c = stats.pair_coactivation()[0]
    x = np.random.default_rng(2).random(6)
    brute = sum(c[a, b] * max(x[a], x[b]) for a, b in combinations(range(6), 2))
    assert PairLaw(c).expected_max(x) == pytest.approx(brute, rel=1e-12)
    sets, w = [[0, 1], [2, 3, 4], [5, 0]], [1.0, 2.0, 1.0]
    assert TraceLaw(sets, w).expected_max(x) == pytest.approx(
        (max(x[0], x[1]) + 2 * max(x[2:5]) + max(x[5], x[0])) / 4)


@pytest.mark.parametrize("make", [
    lambda: CpsLaw(np.array([0.8, 0.5, 0.3, 0.2, 0.1, 0.1]), 2),
    lambda: PairLaw(synthetic_correlated(1, 6, 2, seed=0).pair_coactivation()[0]),
    lambda: TraceLaw([[0, 1], [2, 5], [3, 4]], [3.0, 1.0, 1.0]),
])
def test_samplers_follow_their_law(make):
    law = make()
    x = np.random.default_rng(5).random(6)
    sets = law.sample(200_000, np.random.default_rng(6))
    assert sets.shape == (200_000, law.k)
    sample = x[sets].max(axis=1)
    err = 4 * sample.std() / np.sqrt(len(sample))
    assert abs(sample.mean() - law.expected_max(x)) < err


def test_montecarlo_agrees_with_exact_snapshot_mean():
    rng = np.random.default_rng(7)
    delay = rng.gamma(2.0, 0.01, size=(30, 4, 6))
    laws = [CpsLaw(np.array([0.8, 0.5, 0.3, 0.2, 0.1, 0.1]), 2)] * 4
    times = ComputeTimes(0.02, 0.005, 0.001)
    exact = snapshot_latency(delay, laws, times)
    mc = simulate(delay, laws, times, n_tokens=60_000, seed=1)
    lo, hi = mc.ci95_s
    half = hi - lo
    assert lo - half < exact.total_s < hi + half  # 2x the 95 % interval: a 1-in-10^4 false alarm
    assert np.allclose(mc.propagation_s, exact.propagation_s, atol=4 * mc.std_s / np.sqrt(60_000) + 1e-9)
    assert mc.p50_s <= mc.p95_s <= mc.p99_s
    # paper formula on expected delays: a lower bound (Jensen), equal when delays do not vary
    assert analytic_latency(delay.mean(axis=0), laws, times).total_s <= exact.total_s + 1e-12
    flat = np.broadcast_to(delay.mean(axis=0), delay.shape)
    assert snapshot_latency(flat, laws, times).total_s == pytest.approx(
        analytic_latency(delay.mean(axis=0), laws, times).total_s)


def test_montecarlo_cdf_matches_its_quantiles_and_pools_by_token_count():
    from spacexnet_opt.evaluate.montecarlo import pooled_cdf

    rng = np.random.default_rng(3)
    laws = [CpsLaw(np.array([0.8, 0.5, 0.3, 0.2, 0.1, 0.1]), 2)] * 3
    times = ComputeTimes(0.02, 0.005, 0.001)
    fast = simulate(rng.gamma(2.0, 0.01, size=(20, 3, 6)), laws, times, n_tokens=20_000, seed=1)
    slow = simulate(rng.gamma(2.0, 0.03, size=(20, 3, 6)), laws, times, n_tokens=60_000, seed=2)
    q = fast.quantiles_s
    assert len(q) == 101 and np.all(np.diff(q) >= 0)
    assert (q[50], q[95], q[99]) == pytest.approx((fast.p50_s, fast.p95_s, fast.p99_s))
    cdf = pooled_cdf([fast, slow])
    x, frac = np.array(cdf["s_per_token"]), np.array(cdf["fraction"])
    assert frac[0] == 0 and frac[-1] == 1 and np.all(np.diff(frac) >= 0)
    # at the fast run's median: half its tokens, weighted 1 : 3 against the slow run's share below it
    slow_share = np.interp(fast.p50_s, slow.quantiles_s, np.linspace(0, 1, 101))
    at = np.interp(fast.p50_s, x, frac)
    assert at == pytest.approx((0.5 + 3 * slow_share) / 4, abs=0.02)


def test_faster_satellites_never_slower():
    rng = np.random.default_rng(11)
    laws = [CpsLaw(np.array([0.6, 0.5, 0.4, 0.3, 0.2]), 2), PairLaw(synthetic_correlated(1, 5, 2, seed=1)
                                                                     .pair_coactivation()[0])]
    times = ComputeTimes(0.01, 0.002)
    for _ in range(50):
        delay = rng.random((8, 2, 5))
        faster = delay * rng.uniform(0.0, 1.0, size=delay.shape)  # every path no slower, in every snapshot
        assert snapshot_latency(faster, laws, times).total_s <= snapshot_latency(delay, laws, times).total_s + 1e-12
        assert (analytic_latency(faster.mean(0), laws, times).total_s
                <= analytic_latency(delay.mean(0), laws, times).total_s + 1e-12)


def test_compute_times_follow_flops_and_throughput():
    from spacexnet_opt.evaluate import ComputeModel
    from spacexnet_opt.moe import get_profile

    prof = get_profile("llama-moe-3.5b-2of8")
    t = ComputeModel(satellite_gflops=7.28, context_len=4096).times(prof)
    assert t.gateway_s == pytest.approx(prof.gateway_gflop_per_token(4096) / 7.28)
    assert t.expert_s == pytest.approx(prof.expert_gflop_per_token() / 7.28)
    assert ComputeModel(satellite_gflops=14.56).times(prof).gateway_s == pytest.approx(t.gateway_s / 2)
    # the whole token's FLOPs at 7.28 GFLOPS exceed the paper's Space-XNet latency on their own
    assert prof.total_gflop_per_token(4096) / 7.28 > 1.07
