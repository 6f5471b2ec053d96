"""Synthetic generators: closed forms, seeds, and correlated pairs that marginals cannot explain."""

import numpy as np
import pytest

from spacexnet_opt.errors import InputError
from spacexnet_opt.moe import TopKSampler, synthetic_correlated, synthetic_dirichlet, synthetic_zipf, water_fill


def test_zipf_closed_form_and_seeded_shuffle():
    s = synthetic_zipf(1, 5, 1, exponent=2.0, shuffle=False)
    w = 1 / np.arange(1, 6) ** 2
    np.testing.assert_allclose(s.p[0], w / w.sum())
    a, b = synthetic_zipf(4, 16, 4, seed=3), synthetic_zipf(4, 16, 4, seed=3)
    np.testing.assert_array_equal(a.p, b.p)
    assert not np.array_equal(a.p[0], a.p[1])  # each layer has its own order
    np.testing.assert_allclose(np.sort(a.p[0]), np.sort(a.p[1]))


def test_strong_skew_is_capped_at_one_and_noted():
    s = synthetic_zipf(2, 8, 2, exponent=3.0, seed=0)
    assert s.p.max() == 1.0 and s.notes and "capped at p = 1" in s.notes[0]
    np.testing.assert_allclose(s.p.sum(axis=1), 2)


def test_water_fill_is_proportional_below_the_cap():
    p, capped = water_fill(np.array([[8.0, 4, 2, 1, 1]]), 3)
    assert capped.tolist() == [[True, False, False, False, False]]
    np.testing.assert_allclose(p[0, 1:], np.array([4, 2, 1, 1]) * 2 / 8)


def test_dirichlet_skew_follows_alpha():
    spiky = synthetic_dirichlet(20, 32, 4, alpha=0.2, seed=1)
    flat = synthetic_dirichlet(20, 32, 4, alpha=50.0, seed=1)
    assert np.median(spiky.skew()) > 2 * np.median(flat.skew())
    assert (spiky.p > 0).all() and np.allclose(spiky.p.sum(axis=1), 4)


@pytest.mark.parametrize("k", [2, 3])
def test_correlated_exact_statistics_match_its_own_trace(k):
    s = synthetic_correlated(2, 8, k, n_pairs=2, pair_share=0.5, n_tokens=60_000, seed=4)
    for l in range(2):
        tr = s.trace[l].sets
        freq = np.bincount(tr.ravel(), minlength=8) / len(tr)
        np.testing.assert_allclose(freq, s.p[l], atol=5 * np.sqrt(0.25 / len(tr)))
        onehot = np.zeros((len(tr), 8))
        np.put_along_axis(onehot, tr.astype(int), 1.0, axis=1)
        empirical = onehot.T @ onehot / len(tr)
        np.fill_diagonal(empirical, 0)
        np.testing.assert_allclose(empirical, s.coactivation[l], atol=5 * np.sqrt(0.25 / len(tr)))
    if k == 2:
        np.testing.assert_allclose(np.triu(s.coactivation, 1).sum(axis=(1, 2)), 1.0)


def test_bonded_pairs_fire_together_far_more_than_marginals_predict():
    s = synthetic_correlated(3, 16, 2, n_pairs=4, pair_share=0.6, seed=5)
    independent = TopKSampler(s.p, 2).pair_coactivation()  # same marginals, no extra correlation
    ratios = [s.coactivation[l, a, b] / independent[l, a, b]
              for l, pairs in enumerate(s.info["bonded_pairs"]) for a, b in pairs]
    assert min(ratios) > 2 and np.median(ratios) > 4
    # ... while the marginals alone still look like an ordinary skewed layer.
    np.testing.assert_allclose(s.p.sum(axis=1), 2)


def test_generator_argument_errors():
    with pytest.raises(InputError, match="k: k=9 exceeds n_experts=8"):
        synthetic_zipf(1, 8, 9)
    with pytest.raises(InputError, match="alpha"):
        synthetic_dirichlet(1, 8, 2, alpha=0)
    with pytest.raises(InputError, match="n_pairs: must be in 1..4"):
        synthetic_correlated(1, 8, 2, n_pairs=5)
    with pytest.raises(InputError, match="k: pairs need k >= 2"):
        synthetic_correlated(1, 8, 1)
