"""Whole attention heads per compute-group member: fractional shares rounded to units, min-max exact.

A layer's attention splits over a group in whole *units*
(:func:`~spacexnet_opt.moe.flops.attention_units`, :attr:`~.compute_group.GroupWork.units`): a key/value head with its
query heads (multi-head and grouped-query attention), or one query head (latent
attention, every head reading the whole latent). Member ``j`` with ``h_j``
units finishes a layer's rounds at ``o_j + h_j c_j``: ``o_j`` its fixed time
(a round trip per round and the replicated work), ``c_j`` the split work of one
unit at its speed. A member with no unit takes no part.

:func:`whole_units` picks the ``H`` units minimising the latest finish: the
``H`` smallest of the slot times ``o_j + k c_j`` (``k = 1..H``). It is exact:
any assignment uses the first ``h_j`` slots of each member it uses, so its
latest finish is at least the ``H``-th smallest slot time, which this choice
attains. The optimiser's groups (:func:`fastest_unit_group`) store shares
``h_j / H``; the evaluator charges any group in whole units
(:func:`charged_group`: a file's fractional shares rounded by largest
remainder, whole-unit shares unchanged), so every member's time is that of its
whole units.

>>> whole_units([0.0, 1.0], [1.0, 1.0], 4).tolist()   # slots 1, 2, 3 on the first; 2 on the second
[3, 1]
"""

from __future__ import annotations

import itertools

import numpy as np

from .deployment import ComputeGroup
from ..setting.onboard import exact_share_counts

__all__ = ["whole_units", "fastest_unit_group", "charged_group"]


def whole_units(offset, per_unit, n_units: int, limit=None) -> np.ndarray | None:
    """Units per member (sum ``n_units``) minimising ``max_{h_j > 0} offset_j + h_j per_unit_j`` (ties: first member).

    ``per_unit`` must be positive; ``limit`` (n,), optional: the most units each member holds (its memory).
    None when the limits add up to fewer than ``n_units``.
    """
    offset, per_unit = np.asarray(offset, dtype=float), np.asarray(per_unit, dtype=float)
    k = np.arange(1, n_units + 1)[None, :]
    slots = offset[:, None] + k * per_unit[:, None]
    if limit is not None:
        if np.sum(np.minimum(limit, n_units)) < n_units:
            return None
        slots = np.where(k <= np.asarray(limit)[:, None], slots, np.inf)
    chosen = np.argsort(slots, axis=None, kind="stable")[:n_units] // n_units
    return np.bincount(chosen, minlength=len(offset))


def fastest_unit_group(group: ComputeGroup, n_units: int, *, mean_rtt, gflops, rounds, cap=None,
                       score=None) -> ComputeGroup | None:
    """``group``'s members given ``n_units`` whole attention units: the fastest whole split found.

    Candidates: the min-max split on expected times (:func:`whole_units`) and the largest-remainder
    rounding of ``group``'s shares. With ``score`` (a group -> seconds callable, e.g. the snapshot objective
    ``E_t[P_t]``), the better candidate is then improved by moving one unit at a time between members while
    the score falls; without it the min-max split is returned. ``mean_rtt`` (n,) expected round trips and
    ``gflops`` (n,) speeds of the members; ``rounds``: the ``(split, replicated)`` GFLOP of each round
    (:func:`~.compute_group.group_work`); ``cap`` (n,), optional: the largest share each member's memory
    holds (None returned when whole units cannot fit). Members left without a unit leave the group.

    >>> g = ComputeGroup([3, 8, 9], [0.5, 0.3, 0.2])
    >>> r = fastest_unit_group(g, 8, mean_rtt=np.array([0.0, 1.0, 9.0]), gflops=np.ones(3), rounds=[(8.0, 0.0)])
    >>> r.members.tolist(), (r.shares * 8).tolist()   # 8 KV heads of 1 s each; the third member is too far
    ([3, 8], [5.0, 3.0])
    """
    gflops = np.asarray(gflops, dtype=float)
    limit = np.full(group.size, n_units) if cap is None else \
        np.floor(np.asarray(cap, dtype=float) * n_units + 1e-9).astype(np.int64)
    offset = len(rounds) * np.asarray(mean_rtt, dtype=float) + sum(rep for _, rep in rounds) / gflops
    best = whole_units(offset, sum(split for split, _ in rounds) / n_units / gflops, n_units, limit)
    if best is None:
        return None
    if score is None:
        return _units_group(group, best, n_units)

    def scored(counts: np.ndarray) -> float:
        return score(_units_group(group, counts, n_units))

    value, nearest = scored(best), exact_share_counts(group.shares, n_units)
    if (nearest <= limit).all() and (near := scored(nearest)) < value:
        best, value = nearest, near
    moved = True
    while moved:   # one unit from member i to member j while the score falls
        moved = False
        for i, j in itertools.permutations(range(group.size), 2):
            if best[i] == 0 or best[j] >= limit[j]:
                continue
            trial = best.copy()
            trial[i] -= 1
            trial[j] += 1
            got = scored(trial)
            if got < value - 1e-15:
                best, value, moved = trial, got, True
    return _units_group(group, best, n_units)


def charged_group(group: ComputeGroup, n_units: int) -> ComputeGroup:
    """``group`` as the evaluator charges it: shares rounded to ``n_units`` whole attention units by largest
    remainder (unchanged when already whole); members left without a unit leave the group.

    >>> (charged_group(ComputeGroup([3, 8], [0.7, 0.3]), 8).shares * 8).tolist()   # 5.6 and 2.4 of 8 KV heads
    [6.0, 2.0]
    """
    return _units_group(group, exact_share_counts(group.shares, n_units), n_units)


def _units_group(group: ComputeGroup, counts: np.ndarray, n_units: int) -> ComputeGroup:
    keep = counts > 0
    return ComputeGroup(group.members[keep], counts[keep] / n_units)
