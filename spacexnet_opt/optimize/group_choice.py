"""Choose every layer's compute group (members and shares) for a deployment's gateways.

Given the gateways, a layer's non-expert phase is added to every expert leg of
that layer in each snapshot (:mod:`.group_eval`), so the token's expected time
is the sum over layers of ``E_t[P_t,l]`` plus the expert part, and each
layer's group is chosen on its own, exactly on the snapshot objective
``E_t[P_t,l]`` (see ``formulations/compute-group.md``):

``exact``
    Every subset of the ``n_candidates`` satellites nearest the gateway with at
    most ``max_size`` members; for each subset the shares minimising
    ``E_t sum_r max_j (rtt_tj + (w_j S_r + R_r) / f_j)`` by a linear programme
    (HiGHS through scipy). Exact for the candidate set; small cases only.
``waterfill``
    Candidates sorted by expected round trip (plus replicated work); prefixes
    grow while the water level on expected delays (the shares that equalise
    the members' expected finish times) still gives the next candidate a
    positive share; every prefix is scored on the snapshot objective with
    those shares, and the two best prefixes (plus the next larger one) get
    their shares set exactly on the snapshot objective by the same linear
    programme; the best is kept.

Draws (:func:`fit_snapshots`): the shares are fitted on the link-failure draws of snapshots built again from
the same geometry with a seed derived from the evaluation's (:func:`fit_seed`), not on the evaluation's own
draws, so the snapshot objective they minimise is not the one they are scored on (``in_sample=True`` fits
on the evaluation's own draws, to measure the in-sample bias).

Bound (reported per layer beside either method): ``sum_r WF_r``, the water
level over *every* satellite with the expected round trips and no
serialisation, is a lower bound of any group's ``E_t[P_t,l]`` (Jensen:
``E max >= max E``). Memory enters as upper bounds on the shares (``caps``).

>>> import numpy as np
>>> water_level(np.array([0.0, 2.0, 10.0]), np.array([1.0, 1.0, 1.0]), 4.0)   # (4 + 0 + 2) / 2
3.0
"""

from __future__ import annotations

import itertools
import math
import time
import weakref
from dataclasses import dataclass

import numpy as np

from ..status import Status
from ..budget import MAX_EXACT_GROUP_S
from ..constellation import IslSnapshots, RouteTable, build_snapshots, connected_mean
from ..errors import InputError, ResourceError
from ..progress import Progress, no_progress
from ..evaluate.deployment import ComputeGroup
from ..evaluate.compute_group import round_times, world_work
from ..evaluate.heads import fastest_unit_group

__all__ = ["GROUP_METHODS", "GroupChoice", "water_level", "waterfill_shares", "layer_group", "choose_groups",
           "gateway_delays", "check_exact_work", "fit_seed", "fit_snapshots"]

GROUP_METHODS = ("waterfill", "exact")
FIT_STREAM = 0x67726F7570
"""The stream (``b"group"``) the fitting draws' seed is derived on, apart from the evaluation's link seed."""
_FITTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()   # evaluation snapshots -> fitting snapshots


def fit_seed(link_seed: int | None) -> int | None:
    """The link-failure seed the group shares are fitted on, derived from the evaluation's ``link_seed``
    (None, fresh entropy, stays None).

    >>> fit_seed(0) != 0, fit_seed(0) == fit_seed(0), fit_seed(None)
    (True, True, None)
    """
    if link_seed is None:
        return None
    return int(np.random.SeedSequence([int(link_seed), FIT_STREAM]).generate_state(1, dtype=np.uint64)[0] >> 1)


def fit_snapshots(world, *, in_sample: bool = False) -> IslSnapshots:
    """The snapshots the compute-group shares of ``world`` are fitted on (built once per world's snapshots).

    The evaluation's snapshots (``world.snapshots``) with ``in_sample``; otherwise the same shell, times and
    link model with the link failures drawn again with :func:`fit_seed` of the evaluation's seed.
    """
    snaps = world.snapshots
    if in_sample or snaps.config.survival >= 1.0:
        return snaps
    if snaps not in _FITTED:
        setting = world.setting
        _FITTED[snaps] = build_snapshots(setting.shell, n_snapshots=snaps.n_snapshots,
                                         duration_s=setting.spec.snapshots.duration_s, config=snaps.config,
                                         seed=fit_seed(snaps.seed))
    return _FITTED[snaps]


def water_level(offset, gflops, work: float) -> float:
    """Least ``T`` with ``sum_j f_j (T - o_j)^+ = work``: the finish time of ``work`` GFLOP split optimally."""
    order = np.argsort(offset, kind="stable")
    o, f = np.asarray(offset, dtype=float)[order], np.asarray(gflops, dtype=float)[order]
    level = np.inf
    for n in range(1, len(o) + 1):
        level = (work + (f[:n] * o[:n]).sum()) / f[:n].sum()
        if n == len(o) or level <= o[n]:
            break
    return float(level)


def waterfill_shares(offset, gflops, work: float) -> np.ndarray:
    """Shares (sum 1) finishing every used member at the water level; zero for members above it."""
    level = water_level(offset, gflops, work)
    share = np.maximum(0.0, level - np.asarray(offset, dtype=float)) * np.asarray(gflops, dtype=float) / work
    return share / share.sum()


@dataclass(frozen=True, eq=False)
class GroupChoice:
    """Chosen group of one layer, its snapshot objective ``E_t[P_t,l]`` (s) and the lower bound."""

    group: ComputeGroup
    objective: float
    bound: float
    status: Status


def gateway_delays(snapshots, gateways, *, keep: bool = True, progress: Progress = no_progress) -> np.ndarray:
    """One-way delays (T, L, N) from each layer's gateway, ``inf`` where no path (the snapshots' route table;
    ``keep=False`` for many one-off gateways, which are then not kept in the table)."""
    return RouteTable.of(snapshots).delays(np.asarray(gateways, dtype=np.int64), keep=keep, progress=progress)


def _round_trips(delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round trips (T, N) under the disconnection rule, and their means (N,) (inf: never connected)."""
    filled, _, mean = connected_mean(delays)
    return 2.0 * filled, 2.0 * mean


def _objective(rtt, group, f, work, sigma, gateway) -> float:
    return float(round_times(rtt, group, f, work.rounds, sigma, gateway).mean())


def _lp_shares(rtt, f, rounds, cap=None) -> tuple[np.ndarray, float] | None:
    """Shares minimising ``mean_t sum_r max_j (rtt_tj + (w_j S_r + R_r)/f_j)``, ``w_j <= cap_j`` (scipy HiGHS LP).

    None when the caps (what each member's memory can hold) cannot add up to 1.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n_t, n = rtt.shape
    n_r = len(rounds)
    n_z = n_t * n_r
    cost = np.concatenate([np.zeros(n), np.full(n_z, 1.0 / n_t)])
    # one row per (round r, member j, snapshot t): w_j S_r / f_j - z_{t,r} <= -(rtt_tj + R_r / f_j)
    r_idx, j_idx, t_idx = (a.ravel() for a in np.meshgrid(np.arange(n_r), np.arange(n), np.arange(n_t),
                                                           indexing="ij"))
    split = np.array([s for s, _ in rounds])[r_idx] / f[j_idx]
    rows = np.arange(len(r_idx))
    a_ub = coo_matrix((np.concatenate([split, -np.ones(len(rows))]),
                       (np.concatenate([rows, rows]), np.concatenate([j_idx, n + r_idx * n_t + t_idx]))),
                      shape=(len(rows), n + n_z)).tocsr()
    b_ub = -(rtt[t_idx, j_idx] + np.array([r for _, r in rounds])[r_idx] / f[j_idx])
    eq = np.concatenate([np.ones(n), np.zeros(n_z)])[None, :]
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=eq, b_eq=[1.0],
                  bounds=[(0, 1 if cap is None else min(1.0, c)) for c in (cap if cap is not None else [1] * n)]
                  + [(None, None)] * n_z, method="highs")
    if res.status != 0:
        return None
    return np.clip(res.x[:n], 0.0, None), float(res.fun)


def _group(members, shares) -> ComputeGroup:
    keep = shares > 1e-9
    return ComputeGroup(np.asarray(members)[keep], shares[keep] / shares[keep].sum())


def _exact(rtt, cands, f, work, sigma, gateway, max_size, cap) -> tuple[ComputeGroup | None, float]:
    best, best_obj = None, np.inf
    for size in range(1, max_size + 1):
        for subset in itertools.combinations(range(len(cands)), size):
            idx = np.array(subset)
            solved = _lp_shares(rtt[:, idx], f[idx], work.rounds, cap[idx])
            if solved is None:
                continue
            keep = idx[solved[0] > 1e-9]
            group = _group(cands[idx], solved[0])
            obj = _objective(rtt[:, keep], group, f[keep], work, sigma, gateway)
            if obj < best_obj - 1e-15:
                best, best_obj = group, obj
    return best, best_obj


def check_exact_work(n_layers: int, n_candidates: int, max_size: int, n_snapshots: int, rounds) -> float:
    """Seconds the ``exact`` method would take, estimated before it starts; refused over
    :data:`~spacexnet_opt.budget.MAX_EXACT_GROUP_S`.

    It solves one share LP per subset of at most ``max_size`` of the ``n_candidates`` per layer; the time of
    one LP of the largest subset over ``n_snapshots`` is measured here, on random data of that shape, so the
    estimate holds for this machine.

    >>> check_exact_work(2, 4, 2, 10, [(1.0, 0.1)]) < 1
    True
    """
    size = min(max_size, n_candidates)
    lps = n_layers * sum(math.comb(n_candidates, k) for k in range(1, size + 1))
    rng = np.random.default_rng(0)
    rtt, f = rng.uniform(0.001, 0.01, (n_snapshots, size)), np.full(size, 7.28)
    _lp_shares(rtt, f, rounds)  # imports and warms up the solver
    start = time.perf_counter()
    for _ in range(3):
        _lp_shares(rtt, f, rounds)
    per_lp = (time.perf_counter() - start) / 3
    seconds = lps * per_lp
    if seconds > MAX_EXACT_GROUP_S:
        raise ResourceError(f"exact compute groups would solve {n_layers} layers x {lps // n_layers:,} subsets "
                            f"(of at most {size} of {n_candidates} candidates) = {lps:,} LPs over {n_snapshots} "
                            f"snapshots, about {seconds:,.0f} s at {per_lp * 1e3:.1f} ms each (ceiling "
                            f"{MAX_EXACT_GROUP_S} s); lower the group candidates or size, or use waterfill",
                            field="group_candidates")
    return seconds


def _prefix(rtt, cands, f, work, sigma, gateway, n, shares):
    keep = np.flatnonzero(shares[:n] > 1e-9)
    group = _group(cands[:n], shares[:n])
    return group, _objective(rtt[:, keep], group, f[keep], work, sigma, gateway)


def _waterfill(rtt, mean_rtt, cands, f, work, sigma, gateway, max_size, cap,
               refine: int = 2) -> tuple[ComputeGroup | None, float]:
    split = sum(s for s, _ in work.rounds)
    offset = len(work.rounds) * mean_rtt + sum(r for _, r in work.rounds) / f
    tried: list[tuple[float, int]] = []   # (objective with water-filling shares, n): cheap, every prefix
    for n in range(1, min(max_size, len(cands)) + 1):
        shares = waterfill_shares(offset[:n], f[:n], split)
        if tried and (shares <= 1e-9).any():
            break   # the water level stays below the next candidate: larger prefixes add nothing
        fits = (shares <= cap[:n] + 1e-12).all()
        tried.append((_prefix(rtt, cands, f, work, sigma, gateway, n, shares)[1] if fits else np.inf, n))
    best, best_obj = None, np.inf
    for _, n in sorted(tried)[:refine] + ([(0, len(tried) + 1)] if len(tried) < min(max_size, len(cands)) else []):
        solved = _lp_shares(rtt[:, :n], f[:n], work.rounds, cap[:n])
        if solved is None:   # the members' memory cannot hold the whole layer
            continue
        group, obj = _prefix(rtt, cands, f, work, sigma, gateway, n, solved[0])
        if obj < best_obj:
            best, best_obj = group, obj
    return best, best_obj


def _bound(mean_rtt, f, work, f_g) -> float:
    """Lower bound of ``E_t[P_t,l]`` for any group: per round the water level over every satellite."""
    ok = np.isfinite(mean_rtt)
    return float(sum(water_level(mean_rtt[ok] + rep / f[ok], f[ok], split) for split, rep in work.rounds)) \
        + work.router / f_g


def layer_group(delays, gateway: int, compute, work, sigma: float, *, method: str = "waterfill",
                max_size: int = 16, n_candidates: int = 32, caps=None, layer: int = 0) -> GroupChoice:
    """The best group of one layer; ``delays`` (T, N) one-way from ``gateway``.

    ``caps`` (N,), optional: the largest share each satellite's free memory
    holds (0: not a member); :func:`~.memory.share_caps` computes them.
    """
    rtt, mean_rtt = _round_trips(delays)
    n_sats = rtt.shape[1]
    f = compute.gflops(np.arange(n_sats))
    # a member holds whole heads: a cap is a whole number of them, so a group within the caps rounds within them
    cap = np.ones(n_sats) if caps is None else np.floor(np.asarray(caps, dtype=float) * work.units + 1e-9) / work.units
    offset = np.where(cap > 0, len(work.rounds) * mean_rtt + sum(r for _, r in work.rounds) / f, np.inf)
    cands = np.argsort(offset, kind="stable")[:n_candidates]
    cands = cands[np.isfinite(offset[cands])]
    f_g = float(f[gateway])
    args = (rtt[:, cands], cands, f[cands], work, sigma, gateway)
    if method == "exact":
        group, obj = _exact(*args, min(max_size, len(cands)), cap[cands])
    else:
        group, obj = _waterfill(rtt[:, cands], mean_rtt[cands], *args[1:], max_size, cap[cands])
    whole = True   # the fractional optimum already in whole heads stays optimal among whole-head groups
    if group is not None:   # whole attention heads (evaluate/heads.py), scored on the snapshot objective
        m = group.members
        rounded = fastest_unit_group(group, work.units, mean_rtt=mean_rtt[m], gflops=f[m], rounds=work.rounds,
                                     cap=cap[m], score=lambda g: _objective(rtt[:, g.members], g, f[g.members],
                                                                            work, sigma, gateway))
        whole = rounded is not None and rounded.size == group.size and np.allclose(rounded.shares, group.shares)
        group = rounded
        if group is not None:
            obj = _objective(rtt[:, group.members], group, f[group.members], work, sigma, gateway)
    if group is None:
        raise InputError(f"layer {layer}: no group of at most {max_size} of the {len(cands)} nearest satellites "
                         f"holds the layer in the satellites' free memory", field=f"layers[{layer}].compute_group")
    obj += work.router / f_g
    return GroupChoice(group, obj, _bound(mean_rtt, f, work, f_g),
                       Status.OPTIMAL if method == "exact" and whole else Status.FEASIBLE)


def choose_groups(world, gateways, *, method: str = "waterfill", max_size: int = 16, n_candidates: int = 32,
                  caps=None, delays=None, in_sample: bool = False,
                  progress: Progress = no_progress) -> list[GroupChoice]:
    """One :class:`GroupChoice` per layer for ``gateways`` on ``world`` (see the module docstring).

    ``caps``: None, or a callable ``caps(l) -> (N,)`` share limits of layer ``l``
    (called in layer order, so it can account for the groups already chosen). ``delays`` (T, L, N): the
    gateways' one-way delays to fit on (default: on :func:`fit_snapshots` of ``world`` and ``in_sample``).
    """
    if method not in GROUP_METHODS:
        raise InputError(f"unknown compute-group method {method!r}; valid: {', '.join(GROUP_METHODS)}",
                         field="group_method")
    if max_size < 1 or n_candidates < 1:
        raise InputError(f"group size and candidates must be at least 1, got {max_size} and {n_candidates}",
                         field="group_size")
    if method == "exact" and n_candidates > 12:
        raise InputError(f"exact enumeration is for small cases: at most 12 candidates, got {n_candidates}",
                         field="group_candidates")
    gateways = np.asarray(gateways, dtype=np.int64)
    work, sigma = world_work(world), world.snapshots.config.serialisation_s
    if method == "exact":
        check_exact_work(len(gateways), min(n_candidates, world.n_sats), max_size, world.snapshots.n_snapshots,
                         work.rounds)
    if delays is None:
        delays = gateway_delays(fit_snapshots(world, in_sample=in_sample), gateways, progress=progress)
    out: list[GroupChoice] = []
    for l, g in enumerate(gateways):
        progress("groups: layers", l, len(gateways))
        out.append(layer_group(delays[:, l], int(g), world.compute, work, sigma, method=method, max_size=max_size,
                               n_candidates=n_candidates, caps=None if caps is None else caps(l, out), layer=l))
    progress("groups: layers", len(gateways), len(gateways))
    return out
