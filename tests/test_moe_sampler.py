"""The calibrated top-k sampler: exact inclusion and pair probabilities, Monte Carlo agreement."""

import itertools

import numpy as np
import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.moe import TopKSampler, cps_pairs, load_expert_load, sample_sequential, synthetic_zipf

DEEPSEEK_FILE = "moe-load/deepseek-v3/prefill_in4096.json"


def _z_scores(sets: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Standardised inclusion frequencies: each expert's count is Binomial(n, p) under the target."""
    sets, p = (sets[None] if sets.ndim == 2 else sets), np.atleast_2d(p)
    n = sets.shape[1]
    freq = np.stack([np.bincount(s.ravel(), minlength=p.shape[1]) for s in sets]) / n
    return (freq - p) / np.sqrt(p * (1 - p) / n)


def _within_mc_error(z: np.ndarray) -> bool:
    """Every |z| < 5.5 and sum z^2 below the chi-square 99.99 % point (false alarm < 1e-3 per call)."""
    from scipy.stats import chi2

    z = np.ravel(z)
    return bool(np.abs(z).max() < 5.5 and (z**2).sum() < chi2.ppf(1 - 1e-4, z.size))


def _brute_force(w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Inclusion and pair probabilities of P(A) proportional to prod w over all k-subsets."""
    n = len(w)
    subsets = list(itertools.combinations(range(n), k))
    prob = np.array([np.prod(w[list(s)]) for s in subsets])
    prob /= prob.sum()
    incl, pairs = np.zeros(n), np.zeros((n, n))
    for s, q in zip(subsets, prob):
        incl[list(s)] += q
        for a, b in itertools.combinations(s, 2):
            pairs[a, b] += q
            pairs[b, a] += q
    return incl, pairs


@pytest.fixture(scope="module")
def deepseek(shared_data):
    return load_expert_load(shared_data / DEEPSEEK_FILE)


@pytest.fixture(scope="module")
def skewed8():
    stats = synthetic_zipf(1, 8, 2, exponent=1.0, seed=7)
    assert stats.p.max() > 0.7 and stats.p.min() < 0.1  # strongly skewed, nothing capped
    return stats.p[0]


def test_deepseek_inclusion_frequencies_within_monte_carlo_error(deepseek):
    sampler = deepseek.sampler()
    np.testing.assert_allclose(sampler.inclusion(), deepseek.p, atol=1e-9)
    sets = sampler.sample(20_000, rng=np.random.default_rng(1))
    assert sets.shape == (58, 20_000, 8)
    assert (np.diff(np.sort(sets, axis=-1), axis=-1) > 0).all()  # k distinct experts per token
    assert _within_mc_error(_z_scores(sets, deepseek.p))


def test_sequential_proportional_sampling_fails_on_deepseek(deepseek):
    rows = np.argsort(deepseek.p.max(axis=1))[-4:]  # the four most skewed layers keep this fast
    sets = sample_sequential(deepseek.p[rows], 8, 20_000, rng=np.random.default_rng(1))
    assert not _within_mc_error(_z_scores(sets, deepseek.p[rows]))


def test_skewed_top2_of_8_matches_and_sequential_does_not(skewed8):
    rng = np.random.default_rng(5)
    sets = TopKSampler(skewed8, 2).sample(100_000, rng=rng)
    assert sets.shape == (100_000, 2) and (sets[:, 0] != sets[:, 1]).all()
    assert _within_mc_error(_z_scores(sets, skewed8))
    naive = sample_sequential(skewed8, 2, 100_000, rng=rng)
    z = _z_scores(naive, skewed8)
    assert not _within_mc_error(z)
    # The naive inclusion of expert a for k = 2 is q_a + sum_b q_b q_a / (1 - q_b), q = p / 2: hot experts lose.
    q = skewed8 / 2
    naive_exact = q + q * (q / (1 - q)).sum() - q * q / (1 - q)
    freq = np.bincount(naive.ravel(), minlength=8) / 100_000
    np.testing.assert_allclose(freq, naive_exact, atol=0.006)
    assert naive_exact[np.argmax(skewed8)] < skewed8.max() - 0.05


@pytest.mark.parametrize("n, k", [(6, 1), (6, 2), (6, 3), (7, 4)])
def test_inclusion_and_pairs_equal_brute_force(n, k):
    p = synthetic_zipf(1, n, k, exponent=0.3, seed=n + k).p[0]
    assert p.max() < 1
    sampler = TopKSampler(p, k)
    incl, pairs = _brute_force(sampler.weights[0], k)
    np.testing.assert_allclose(incl, p, atol=1e-9)
    np.testing.assert_allclose(sampler.pair_coactivation(), pairs, atol=1e-9)
    np.testing.assert_allclose(cps_pairs(sampler.weights[0], k), pairs, atol=1e-9)


def test_top2_pair_matrix_is_the_pair_distribution(skewed8):
    pairs = TopKSampler(skewed8, 2).pair_coactivation()
    assert np.triu(pairs, 1).sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pairs.sum(axis=1), skewed8, atol=1e-9)  # rows sum to (k - 1) p
    sets = np.sort(TopKSampler(skewed8, 2).sample(100_000, rng=np.random.default_rng(2)), axis=1)
    freq = np.bincount(sets[:, 0] * 8 + sets[:, 1], minlength=64).reshape(8, 8) / 100_000
    se = np.sqrt(np.triu(pairs, 1) * (1 - np.triu(pairs, 1)) / 100_000) + 1e-12
    assert np.abs((freq - np.triu(pairs, 1)) / se).max() < 5


def test_low_acceptance_path_and_certain_and_impossible_experts():
    # k = 4 of 6 makes distinct draws rare, so the exact sequential pass is used.
    p = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.0])
    sampler = TopKSampler(p, 4)
    sets = sampler.sample(60_000, rng=np.random.default_rng(3))
    assert (sets == 0).any(axis=1).all() and not (sets == 5).any()
    z = (np.bincount(sets.ravel(), minlength=6)[1:5] / 60_000 - p[1:5]) / np.sqrt(p[1:5] * (1 - p[1:5]) / 60_000)
    assert _within_mc_error(z)
    pairs = sampler.pair_coactivation()
    _, brute = _brute_force(np.where(p >= 1, 1e9, sampler.weights[0]), 4)
    np.testing.assert_allclose(pairs, brute, atol=1e-6)
    np.testing.assert_allclose(pairs.sum(axis=1), 3 * p, atol=1e-9)


def test_deepseek_pair_rows_sum_to_k_minus_1_times_p(deepseek):
    sampler = TopKSampler(deepseek.p[:3], 8)
    pairs = sampler.pair_coactivation()
    assert pairs.shape == (3, 256, 256)
    np.testing.assert_allclose(pairs.sum(axis=2), 7 * deepseek.p[:3], atol=1e-8)
    np.testing.assert_allclose(pairs, pairs.transpose(0, 2, 1), atol=1e-12)


def test_same_seed_same_sets_and_bad_input():
    p = np.array([0.5, 0.5, 0.5, 0.5])
    a = TopKSampler(p, 2).sample(100, rng=4)
    assert np.array_equal(a, TopKSampler(p, 2).sample(100, rng=4))
    for bad, k in (([0.5, 0.5, 0.5], 2), ([1.5, 0.5, 0.0], 2), ([np.nan, 1.0, 1.0], 2), ([0.5, 0.5], 3)):
        with pytest.raises(InputError):
            TopKSampler(bad, k)
    with pytest.raises(InputError, match=r"p\[1\]: probabilities sum to 1.5"):
        TopKSampler([[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.0]], 2)
