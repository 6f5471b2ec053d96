"""Per-sequence draws both engines share: the experts every token of a request activates.

A request's draws come from ``default_rng([seed, 7, request])`` in a fixed
order (per layer: the prompt's sets, then the decode tokens' sets), so they do
not depend on when, or by which engine, the request is simulated.

>>> import numpy as np
>>> from spacexnet_opt.evaluate.sets import TraceLaw
>>> d = draw_sequence([TraceLaw([[0, 1], [2, 2]], [1.0, 1.0])], n_experts=3, prompt=4, output=3, seed=0, request=0)
>>> int(d.prefill.sum()) <= 8, d.decode.shape   # a padded set {2, 2} counts expert 2 once
(True, (2, 1, 2))
>>> pass_experts(pass_counts([d.decode[0], d.decode[1]], [], n_experts=3))[0] in ([(0, 2), (1, 2)], [(2, 2)],
...                                                                                  [(0, 1), (1, 1), (2, 1)])
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SequenceDraws", "draw_sequence", "pass_counts", "pass_experts"]


@dataclass(frozen=True, eq=False)
class SequenceDraws:
    """``prefill`` (L, E): prompt rows activating each expert; ``decode[j]`` (L, k): the sets of decode token j."""

    prefill: np.ndarray
    decode: np.ndarray


def _rows_per_expert(sets: np.ndarray, n_experts: int) -> np.ndarray:
    """How many rows of ``sets`` (n, k) activate each expert (an expert listed twice in a row counts once)."""
    keys = np.unique(np.arange(len(sets))[:, None] * n_experts + sets)
    return np.bincount(keys % n_experts, minlength=n_experts)


def draw_sequence(laws, *, n_experts: int, prompt: int, output: int, seed: int, request: int) -> SequenceDraws:
    """The activated experts of a request's prompt rows and of its ``output - 1`` decode tokens."""
    rng = np.random.default_rng([seed, 7, request])
    n_dec = output - 1
    prefill = np.zeros((len(laws), n_experts), dtype=np.int64)
    decode = []
    for l, law in enumerate(laws):
        prefill[l] = _rows_per_expert(law.sample(prompt, rng), n_experts)
        decode.append(law.sample(n_dec, rng) if n_dec else np.zeros((0, law.k), dtype=np.int64))
    return SequenceDraws(prefill, np.stack(decode, axis=1))


def pass_counts(decode_sets: list, prefills: list, *, n_experts: int) -> np.ndarray:
    """Rows (L, E) of a pass activating each expert: decode tokens' sets (L, k) each, prefills' counts (L, E)."""
    if decode_sets:
        sets = np.stack(decode_sets)  # (b, L, k)
        b, n_layers, _ = sets.shape
        keys = np.unique((np.arange(b * n_layers).reshape(b, n_layers, 1)) * n_experts + sets)
        counts = np.bincount(keys % (n_layers * n_experts), minlength=n_layers * n_experts).reshape(n_layers, n_experts)
    else:
        counts = np.zeros(prefills[0].shape, dtype=np.int64)
    for p in prefills:
        counts = counts + p
    return counts


def pass_experts(counts: np.ndarray) -> list:
    """Per layer, ``[(expert, rows), ...]`` of a pass whose rows activate ``counts`` (L, E)."""
    ls, es = np.nonzero(counts)
    ns = counts[ls, es]
    bounds = np.searchsorted(ls, np.arange(len(counts) + 1))
    pairs = list(zip(es.tolist(), ns.tolist()))
    return [pairs[bounds[l]:bounds[l + 1]] for l in range(len(counts))]
