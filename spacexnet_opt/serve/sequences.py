"""The experts every token of every request activates, drawn in blocks of requests both engines share.

Requests are drawn :data:`BLOCK` at a time from ``default_rng([seed, 7,
block])`` in a fixed order (per layer: the prompt rows of the block's
requests, then their decode tokens), so the draws do not depend on when, or by
which engine, a request is simulated. A block is drawn when one of its
requests is admitted and dropped once all of them are done.

>>> import numpy as np
>>> from spacexnet_opt.evaluate.sets import TraceLaw
>>> d = Draws([TraceLaw([[0, 1], [2, 2]], [1.0, 1.0])], n_experts=3, prompt=np.array([4]), output=np.array([3]),
...           seed=0)
>>> int(d.prefill(0).sum()) <= 8, d.decode(0, 1).shape   # a padded set {2, 2} counts expert 2 once
(True, (1, 2))
>>> pass_experts(pass_counts([d.decode(0, 0), d.decode(0, 1)], [], n_experts=3))[0] in (
...     [(0, 2), (1, 2)], [(2, 2)], [(0, 1), (1, 1), (2, 1)])
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "Draws", "pass_counts", "pass_experts", "token_experts"]

BLOCK = 64
"""Requests drawn together."""


def _rows_per_expert(owner: np.ndarray, sets: np.ndarray, n_owners: int, n_experts: int) -> np.ndarray:
    """(n_owners, E): rows of each owner activating each expert (an expert listed twice in a row counts once)."""
    keys = np.unique(np.arange(len(sets))[:, None] * n_experts + sets)
    return np.bincount(owner[keys // n_experts] * n_experts + keys % n_experts,
                       minlength=n_owners * n_experts).reshape(n_owners, n_experts)


class Draws:
    """Activated experts of the requests with lengths ``prompt`` and ``output`` (arrays (n,))."""

    def __init__(self, laws, *, n_experts: int, prompt: np.ndarray, output: np.ndarray, seed: int):
        self.laws, self.n_experts, self.seed = laws, n_experts, seed
        self.prompt, self.output = np.asarray(prompt), np.asarray(output)
        self._blocks: dict = {}
        self._left: dict = {}

    def _block(self, r: int):
        b = r // BLOCK
        if b not in self._blocks:
            self._blocks[b] = self._draw(b)
            self._left[b] = len(self._blocks[b][0])
        return self._blocks[b], r - b * BLOCK

    def _draw(self, b: int):
        rng = np.random.default_rng([self.seed, 7, b])
        prompt, n_dec = self.prompt[b * BLOCK:(b + 1) * BLOCK], self.output[b * BLOCK:(b + 1) * BLOCK] - 1
        owner = np.repeat(np.arange(len(prompt)), prompt)
        start = np.concatenate([[0], np.cumsum(n_dec)])
        prefill = np.empty((len(prompt), len(self.laws), self.n_experts), dtype=np.int64)
        decode = []
        for l, law in enumerate(self.laws):
            prefill[:, l] = _rows_per_expert(owner, law.sample(int(prompt.sum()), rng), len(prompt), self.n_experts)
            decode.append(law.sample(int(start[-1]), rng))
        return prefill, np.stack(decode, axis=1), start

    def prefill(self, r: int) -> np.ndarray:
        """(L, E): prompt rows of request ``r`` activating each expert."""
        (prefill, _, _), i = self._block(r)
        return prefill[i]

    def decode(self, r: int, j: int) -> np.ndarray:
        """(L, k): the sets of decode token ``j`` (0-based) of request ``r``."""
        (_, decode, start), i = self._block(r)
        return decode[start[i] + j]

    def release(self, r: int) -> None:
        """Request ``r`` is done (or rejected): drop its block once all of the block's requests are."""
        b = r // BLOCK
        if b in self._left:
            self._left[b] -= 1
            if self._left[b] == 0:
                del self._blocks[b], self._left[b]


def pass_counts(decode_sets: list, prefills: list, *, n_experts: int) -> np.ndarray:
    """Rows (L, E) of a pass activating each expert: decode tokens' sets (L, k) each, prefills' counts (L, E)."""
    if len(prefills) == 1 and not decode_sets:
        return prefills[0]
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
    if counts.size <= 512:  # small layers: plain Python is faster than numpy's fixed costs
        return [[(e, c) for e, c in enumerate(row) if c] for row in counts.tolist()]
    ls, es = np.nonzero(counts)
    ns = counts[ls, es]
    bounds = np.searchsorted(ls, np.arange(len(counts) + 1))
    pairs = list(zip(es.tolist(), ns.tolist()))
    return [pairs[bounds[l]:bounds[l + 1]] for l in range(len(counts))]


def token_experts(sets: np.ndarray) -> list:
    """:func:`pass_experts` of a pass of one decode token with sets ``sets`` (L, k)."""
    return [[(e, 1) for e in dict.fromkeys(row)] for row in sets.tolist()]
