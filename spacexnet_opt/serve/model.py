"""What the serving engines need, precomputed once: per-snapshot legs, work per token, memory per token.

:func:`build_model` turns a deployment (:class:`~.inputs.Inputs`) and the
ground points of a workload into plain tables both engines read
(:mod:`.engine`, :mod:`.reference`):

- ``leg_in[t][l][e]``, ``leg_out[t][l][e]``, ``host[t][l][e]``: in snapshot
  ``t`` the copy of expert ``e`` of layer ``l`` a token uses (the one with the
  least ``D_t(g_l, c) + D_t(c, g_{l+1})``, the evaluator's rule), the delay
  from the gateway to it and from it to the next gateway. A leg without a path
  in a snapshot is charged the mean of the whole leg over the connected
  snapshots (the evaluator's rule), split in half at the expert.
- work in GFLOP, linear in the context (attention grows with it): a layer's
  non-expert work for ``n`` rows whose contexts sum to ``c`` is
  ``a0 n + a1 c`` at the gateway, or in rounds over its compute group
  (:mod:`spacexnet_opt.evaluate.compute_group`); an expert costs
  ``expert_gflop`` per row.
- ``kv_per_token`` (N,) bytes of KV cache a sequence holds per token of
  context on each satellite (:mod:`spacexnet_opt.evaluate.memory`), ``weights``
  (N,) and ``capacity`` (N,) bytes (``None``: the scenario sets no memory).

The snapshot active at simulated time ``x`` is ``floor(x / interval) mod T``,
``interval`` the spacing of the scenario's snapshots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constellation.routing import connected_mean
from .inputs import Inputs, shortest_delays

__all__ = ["ServeModel", "GroupLayer", "build_model", "context_work"]


@dataclass(frozen=True, eq=False)
class GroupLayer:
    """A layer's compute group: members, shares, one-way delays ``delay[t][j]`` from the gateway, rounds
    ``(s0, s1, r0, r1)`` (split and replicated GFLOP per row and per unit of context), remote members."""

    members: list
    shares: list
    delay: list
    rounds: list
    n_remote: int


@dataclass(frozen=True, eq=False)
class ServeModel:
    """Plain tables of one deployment for the serving engines (see the module docstring)."""

    n_layers: int
    n_experts: int
    gateways: list
    gflops: list
    interval_s: float
    n_snapshots: int
    sigma_s: float
    expert_gflop: float
    gw_work: list          # per layer (a0, a1): GFLOP at the gateway alone (tail after the rounds for groups)
    groups: list           # per layer GroupLayer or None
    leg_in: list
    leg_out: list
    host: list
    laws: list
    access_s: list | None  # [t][p]: ground point p to the first gateway, one way
    kv_per_token: np.ndarray
    weights: np.ndarray
    capacity: np.ndarray | None
    name: str = ""

    def snapshot(self, time_s: float) -> int:
        """Index of the snapshot active at ``time_s``."""
        return int(time_s // self.interval_s) % self.n_snapshots if self.n_snapshots > 1 else 0


def _linear(f) -> tuple[float, float]:
    """``(f(0), f(1) - f(0))`` of a function linear in the context."""
    a0 = f(0)
    return a0, f(1) - a0


def _connected_mean(x: np.ndarray) -> np.ndarray:
    """``x`` (T, ...) with non-finite entries replaced by the mean of the finite ones along axis 0 (the
    disconnection rule, :func:`~spacexnet_opt.constellation.routing.connected_mean`)."""
    return x if np.isfinite(x).all() else connected_mean(x)[0]


def context_work(inputs: Inputs):
    """Per layer ``(a0, a1)`` gateway GFLOP and the group rounds, both linear in the context."""
    works = [inputs.group_work(c) for c in (0, 1)]
    rounds_of = [[*w.rounds] for w in works]
    once_of = [[*w.once_rounds] for w in works]
    gw_work, rounds = [], []
    for l, grp in enumerate(inputs.groups):
        layer_rounds = [(*once_of[0][i], *once_of[1][i]) for i in range(len(once_of[0]))] if l == 0 else []
        layer_rounds += [(*rounds_of[0][i], *rounds_of[1][i]) for i in range(len(rounds_of[0]))]
        coeffs = [(s0, s1 - s0, r0, r1 - r0) for s0, r0, s1, r1 in layer_rounds]
        tail = (works[0].router + (works[0].once_unsplit if l == 0 else 0.0), 0.0)
        if grp is None:  # the gateway runs everything: one job
            gw_work.append((tail[0] + sum(c[0] + c[2] for c in coeffs), sum(c[1] + c[3] for c in coeffs)))
            rounds.append(None)
        else:
            gw_work.append(tail)
            rounds.append(coeffs)
    return gw_work, rounds


def build_model(inputs: Inputs, *, points=(), mask_deg: float = 25.0) -> ServeModel:
    """The :class:`ServeModel` of ``inputs``; ``points`` [(lat, lon)] of the workload's ground origins."""
    from ..errors import InputError

    snaps = inputs.snapshots
    n_t, L = snaps.n_snapshots, len(inputs.gateways)
    gateways, nxt, hosts = inputs.gateways, inputs.next_gateways, inputs.hosts
    groups = inputs.groups
    sources = np.unique(gateways)
    row = {int(g): i for i, g in enumerate(sources)}
    acc_sat = acc_delay = None
    if points:
        from .ground import ground_access

        acc_sat, acc_delay = ground_access(inputs.shell, snaps.times_s, points, mask_deg=mask_deg)
    valid = hosts >= 0
    safe = np.where(valid, hosts, 0)
    g_in, g_out = np.array([row[int(g)] for g in gateways]), np.array([row[int(g)] for g in nxt])
    d_in, d_out = np.empty((n_t, *hosts.shape)), np.empty((n_t, *hosts.shape))
    member_d = [np.empty((n_t, len(g[0]))) for g in groups if g is not None]
    access = np.empty((n_t, len(points)))
    for t, dist in enumerate(shortest_delays(snaps, sources)):
        d_in[t] = np.where(valid, dist[g_in[:, None, None], safe], np.inf)
        d_out[t] = np.where(valid, dist[g_out[:, None, None], safe], np.inf)
        for arr, grp, g in zip(member_d, [g for g in groups if g is not None],
                               [g for g, grp in zip(gateways, groups) if grp is not None]):
            arr[t] = dist[row[int(g)], grp[0]]
        if points:
            access[t] = dist[row[int(gateways[0])], acc_sat[t]]
    path = d_in + d_out
    best = np.argmin(np.where(np.isfinite(path), path, np.inf), axis=3)[..., None]
    whole = np.take_along_axis(path, best, axis=3)[..., 0]
    first = np.take_along_axis(d_in, best, axis=3)[..., 0]
    chosen = np.take_along_axis(np.broadcast_to(hosts, path.shape), best, axis=3)[..., 0]
    bad = ~np.isfinite(whole)
    if bad.all(axis=0).any():
        l, e = np.argwhere(bad.all(axis=0))[0]
        raise InputError(f"layer {l}: no copy of expert {e} has a path to its gateways in any snapshot",
                         field=f"layers[{l}].experts[{e}]")
    whole = _connected_mean(whole)
    first = np.where(bad, whole / 2, first)
    gw_work, rounds = context_work(inputs)
    group_layers, k = [], 0
    for l, grp in enumerate(groups):
        if grp is None:
            group_layers.append(None)
            continue
        d = _connected_mean(member_d[k])
        k += 1
        if not np.isfinite(d).all():
            raise InputError(f"layer {l}: a group member has no path to its gateway in any snapshot",
                             field=f"layers[{l}].compute_group")
        members = [int(m) for m in grp[0]]
        group_layers.append(GroupLayer(members, [float(w) for w in grp[1]], d.tolist(), rounds[l],
                                       sum(m != int(gateways[l]) for m in members)))
    if points:
        access = _connected_mean(access) + acc_delay
    mem = inputs.memory_bytes(1)
    weights = inputs.memory_bytes(0).weights
    capacity = None if inputs.memory_gb is None else np.broadcast_to(np.asarray(inputs.memory_gb, float) * 1e9,
                                                                     (inputs.n_sats,)).copy()
    times = snaps.times_s
    interval = float(times[1] - times[0]) if n_t > 1 else math.inf
    return ServeModel(
        n_layers=L, n_experts=hosts.shape[1], gateways=[int(g) for g in gateways],
        gflops=inputs.compute.gflops(np.arange(inputs.n_sats)).tolist(), interval_s=interval, n_snapshots=n_t,
        sigma_s=float(snaps.config.serialisation_s), expert_gflop=float(inputs.profile.expert_gflop_per_token()),
        gw_work=gw_work, groups=group_layers, leg_in=first.tolist(), leg_out=(whole - first).tolist(),
        host=chosen.tolist(), laws=list(inputs.laws), access_s=access.tolist() if points else None,
        kv_per_token=mem.kv, weights=weights, capacity=capacity, name=inputs.name)
