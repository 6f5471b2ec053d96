"""Evaluate plans with compute groups: per-snapshot scatter/compute/gather before every layer's expert legs.

The layer time of a token in snapshot ``t`` becomes
``P_t,l + max_{i in A} (D_t(g_l, s_i) + D_t(s_i, g_{l+1}) + t_exp(s_i))`` with
``P_t,l`` the group's non-expert phase (:mod:`.compute_group`), every member
charged its whole attention units (:func:`~.heads.charged_group`); layer 0 also
carries the once-per-token phase (dense layers) of its group. Both are added to
every expert leg of the layer in that snapshot, so the analytic value, the
exact snapshot mean and the Monte Carlo simulation of :mod:`.evaluation` all
charge them on the token's own snapshot. A member without a path to its
gateway in a snapshot is charged its mean round trip over the connected
snapshots (the builder's rule) and counted as disconnected.

Reported ``compute_s`` is the compute of the slowest member per round plus the
router and one expert; everything else the group adds (round trips, the
gateway's serialisation) is reported as propagation. Plans whose groups are
all the gateway alone are not touched here: they are today's model exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constellation import RouteTable, connected_mean
from ..errors import InputError
from ..progress import Progress, no_progress
from .compute_group import compute_only, round_times, world_work
from .heads import charged_group

__all__ = ["GroupPhases", "group_phases", "trivial_groups"]


def trivial_groups(deployment) -> bool:
    """True when ``deployment`` has no groups or every group is its gateway alone."""
    if deployment.groups is None:
        return True
    return all(gr.size == 1 and gr.members[0] == g for gr, g in zip(deployment.groups, deployment.gateways))


@dataclass(frozen=True, eq=False)
class GroupPhases:
    """Per snapshot: phase (T, L), once-per-token phase (T,), disconnected (T, L); compute parts (L,) and once."""

    phase: np.ndarray
    once: np.ndarray
    disconnected: np.ndarray
    compute: np.ndarray
    once_compute: float


def _member_delays(snapshots, gateways, groups, progress: Progress = no_progress) -> list[np.ndarray]:
    """One-way delays (T, n_l) from each layer's gateway to its group members (the snapshots' route table)."""
    sources = np.unique(gateways)
    row = np.searchsorted(sources, gateways)
    dist = RouteTable.of(snapshots).delays(sources, progress=progress)
    out = [dist[:, row[l]][:, gr.members] for l, gr in enumerate(groups)]
    for l, d in enumerate(out):
        ok = np.isfinite(d)
        if not ok.any(axis=0).all():
            j = int(np.argmin(ok.any(axis=0)))
            raise InputError(f"layer {l}: group member {int(groups[l].members[j])} has no path to gateway "
                             f"{int(gateways[l])} in any snapshot", field=f"layers[{l}].compute_group")
    return out


def group_phases(world, gateways, groups, *, progress: Progress = no_progress) -> GroupPhases:
    """The non-expert phases of ``groups`` (one per layer) on every snapshot of ``world``."""
    gateways = np.asarray(gateways, dtype=np.int64)
    work, compute = world_work(world), world.compute
    groups = [charged_group(gr, work.units) for gr in groups]
    sigma = world.snapshots.config.serialisation_s
    delays = _member_delays(world.snapshots, gateways, groups, progress)
    n_t = world.snapshots.n_snapshots
    phase, disc, comp = np.empty((n_t, len(groups))), np.zeros((n_t, len(groups)), dtype=bool), np.empty(len(groups))
    once, once_comp = np.zeros(n_t), 0.0
    for l, (gr, g, d) in enumerate(zip(groups, gateways, delays)):
        filled, bad, _ = connected_mean(d)
        rtt = 2.0 * filled
        f, f_g = compute.gflops(gr.members), float(compute.gflops([g])[0])
        phase[:, l] = round_times(rtt, gr, f, work.rounds, sigma, g) + work.router / f_g
        disc[:, l] = bad.any(axis=1)
        comp[l] = compute_only(gr, f, work.rounds) + work.router / f_g
        if l == 0:
            once = round_times(rtt, gr, f, work.once_rounds, sigma, g) + work.once_unsplit / f_g
            once_comp = compute_only(gr, f, work.once_rounds) + work.once_unsplit / f_g
    return GroupPhases(phase, once, disc, comp, once_comp)
