"""Steady-state serving capacity of deployments as a linear programme (formulations/throughput.md).

Every satellite is a FIFO server of ``f_s`` GFLOPS (the serving simulator's
model, :mod:`spacexnet_opt.serve`), so a set of rings sustains ``lambda_r``
requests per second each only if no satellite is asked for more than its
speed. A request of ``P`` prompt and ``O`` output tokens runs ``rows = P + O - 1``
passes (the prompt as one, then one per further token) attending
``keys = P(P+1)/2 + sum_{j<O} (P + j)`` context positions in all, so its work at
every satellite is linear in ``(rows, keys)``:

- a gateway's own work (router, and at layer 0 the unsplit once-per-token work);
- a compute-group member ``j`` of layer ``l``: its share ``w_lj`` of the split
  work ``S_l`` plus the replicated work ``R_l``;
- an expert host: ``p_le x rows x expert_gflop`` for every expert ``e`` whose
  copy it serves (``p_le`` the expert's activation probability; with replicas,
  the share of snapshots in which the simulator's rule picks that copy).

With ``u_lj = lambda_r w_lj`` the capacity is the LP::

    max  sum_r lambda_r
    s.t. sum_r F_r(s) lambda_r + sum_(r,l,j: m_rlj = s) S_rl u_rlj <= f_s   for every satellite s
         sum_j u_rlj = lambda_r                                               for every ring r and layer l
         lambda, u >= 0

exact for the utilisation condition (every satellite below one) at the given
members and expert hosts: its optimum is the largest sustainable rate, its
shares ``w = u / lambda`` the split reaching it.

Two satellites of 1 GFLOPS, one layer whose group {0, 1} shares 6 GFLOP a request while satellite 1 also
runs 3 GFLOP of experts: balanced, satellite 0 takes 3/4 of the split (4.5 GFLOP) and 1 the rest plus its
experts (1.5 + 3), so the bound is 1 / 4.5 requests/s:

>>> work = RingWork(np.array([0.0, 3.0]), [np.array([0, 1])], [6.0])
>>> bound = capacity_bound([work], [1.0, 1.0], output=3)
>>> round(bound.requests_per_s * 4.5, 9), bound.shares[0][0].round(6).tolist(), round(bound.tokens_per_s, 4)
(1.0, [0.75, 0.25], 0.6667)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, SolverError
from ..serve.model import context_work

__all__ = ["CapacityBound", "RingWork", "request_load", "capacity_bound", "capacity_model", "compute_limit",
           "ring_work"]


def request_load(prompt, output) -> tuple[float, float]:
    """``(rows, keys)`` of one request, or their means over arrays of requests: passes' rows and the context
    positions they attend.

    >>> request_load(2, 3)   # prefill 2 rows (1 + 2 keys), then 2 decode tokens (3 and 4 keys)
    (4.0, 10.0)
    >>> request_load([2, 2], [3, 1])   # the second request is its prefill alone: 2 rows, 3 keys
    (3.0, 6.5)
    """
    p, o = np.asarray(prompt, dtype=float), np.asarray(output, dtype=float)
    if not (np.isfinite(p).all() and np.isfinite(o).all() and (p >= 1).all() and (o >= 1).all()):
        raise InputError("prompt and output need at least one token each", field="workload")
    d = o - 1.0
    return float(np.mean(p + d)), float(np.mean(p * (p + 1) / 2 + d * p + d * (d + 1) / 2))


@dataclass(frozen=True, eq=False)
class RingWork:
    """GFLOP one request puts on each satellite of one ring: ``fixed`` (N,) whatever the shares, and per
    group layer its ``members`` and the ``split`` work they share."""

    fixed: np.ndarray
    members: list
    split: list


def ring_work(inputs, activation: np.ndarray, *, prompt: float, output: float, hosts=None) -> RingWork:
    """The :class:`RingWork` of a deployment (:class:`~spacexnet_opt.serve.inputs.Inputs`).

    ``hosts`` (T, L, E): the copy of every expert the simulator uses in each snapshot
    (:class:`~spacexnet_opt.serve.model.ServeModel`'s ``host``); needed only with replicas, otherwise
    every expert runs on its one copy.
    """
    rows, keys = request_load(prompt, output)
    if hosts is None:
        if (inputs.hosts[:, :, 1:] >= 0).any():
            raise InputError("a deployment with replicas needs the copies used per snapshot", field="hosts")
        hosts = inputs.hosts[None, :, :, 0]
    hosts = np.asarray(hosts, dtype=np.int64)
    fixed = np.zeros(inputs.n_sats)
    gw_work, rounds = context_work(inputs)
    members, split = [], []
    for l, (grp, coeffs) in enumerate(zip(inputs.groups, rounds)):
        a0, a1 = gw_work[l]
        fixed[inputs.gateways[l]] += a0 * rows + a1 * keys
        if grp is not None:
            m = np.asarray(grp[0], dtype=np.int64)
            fixed[m] += sum(r0 * rows + r1 * keys for _, _, r0, r1 in coeffs)
            members.append(m)
            split.append(sum(s0 * rows + s1 * keys for s0, s1, _, _ in coeffs))
    per_use = np.asarray(activation, float) * rows * inputs.profile.expert_gflop_per_token() / len(hosts)
    np.add.at(fixed, hosts.ravel(), np.broadcast_to(per_use[None], hosts.shape).ravel())
    return RingWork(fixed, members, split)


@dataclass(frozen=True, eq=False)
class CapacityBound:
    """The LP's optimum: ``rates`` (R,) requests/s per ring, the group ``shares`` of every ring's group layers,
    ``load`` (N,) GFLOP/s at the optimum, the busiest satellite and output tokens/s."""

    rates: np.ndarray
    shares: list
    load: np.ndarray
    gflops: np.ndarray
    output: float

    @property
    def requests_per_s(self) -> float:
        return float(self.rates.sum())

    @property
    def tokens_per_s(self) -> float:
        return self.requests_per_s * self.output

    @property
    def bottleneck(self) -> int:
        return int(np.argmax(self.load / self.gflops))

    @property
    def split(self) -> np.ndarray:
        """The request split over the rings that reaches the bound."""
        return self.rates / self.rates.sum() if self.rates.sum() > 0 else np.full(len(self.rates), 1 / len(self.rates))


def _matrices(works, n: int):
    """``(a_ub, a_eq, blocks)`` of the LP: variables ``lambda_r`` (one per ring) then ``u`` (one per member of
    every group layer, ``blocks[r]`` their indices per layer); rows of ``a_ub`` the satellites."""
    from scipy.sparse import coo_matrix

    n_rings = len(works)
    rows, cols, vals = [], [], []
    eq_rows, eq_cols, eq_vals = [], [], []
    var, n_eq, blocks = n_rings, 0, []
    for r, w in enumerate(works):
        used = np.flatnonzero(w.fixed)
        rows += used.tolist()
        cols += [r] * len(used)
        vals += w.fixed[used].tolist()
        ring_blocks = []
        for m, s in zip(w.members, w.split):
            idx = np.arange(var, var + len(m))
            rows += m.tolist()
            cols += idx.tolist()
            vals += [s] * len(m)
            eq_rows += [n_eq] * (len(m) + 1)
            eq_cols += [*idx.tolist(), r]
            eq_vals += [1.0] * len(m) + [-1.0]
            ring_blocks.append(idx)
            var, n_eq = var + len(m), n_eq + 1
        blocks.append(ring_blocks)
    a_ub = coo_matrix((vals, (rows, cols)), shape=(n, var)).tocsr()
    a_eq = coo_matrix((eq_vals, (eq_rows, eq_cols)), shape=(n_eq, var)).tocsr()
    return a_ub, a_eq, blocks


def capacity_bound(works, gflops, *, output: float) -> CapacityBound:
    """Solve the capacity LP (module docstring) of the rings' :class:`RingWork` ``works`` on satellites of
    ``gflops`` (N,) with HiGHS; ``output`` tokens per request turn requests/s into tokens/s."""
    from scipy.optimize import linprog

    f = np.asarray(gflops, dtype=float)
    n_rings = len(works)
    a_ub, a_eq, blocks = _matrices(works, len(f))
    c = np.zeros(a_ub.shape[1])
    c[:n_rings] = -1.0
    eq = {"A_eq": a_eq, "b_eq": np.zeros(a_eq.shape[0])} if a_eq.shape[0] else {}
    res = linprog(c, A_ub=a_ub, b_ub=f, bounds=(0, None), method="highs", **eq)
    if res.status != 0:
        raise SolverError(f"the capacity LP did not solve: {res.message}")
    x = res.x
    rates = x[:n_rings]
    shares = [[x[idx] / rates[r] if rates[r] > 0 else np.full(len(idx), 1 / len(idx)) for idx in ring_blocks]
              for r, ring_blocks in enumerate(blocks)]
    return CapacityBound(rates, shares, a_ub @ x, f, float(output))


def capacity_model(works, gflops, *, name: str = "capacity"):
    """The same LP as a PuLP problem (``lam_r``, ``u_j``; one row ``sat_s`` per busy satellite, ``share_k`` per
    group layer), for export to LP/MPS files (``formulations/throughput.md``)."""
    import pulp

    f = np.asarray(gflops, dtype=float)
    a_ub, a_eq, _ = _matrices(works, len(f))
    n_rings = len(works)
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    x = [prob.add_variable(f"lam_{j}" if j < n_rings else f"u_{j - n_rings}", lowBound=0)
         for j in range(a_ub.shape[1])]
    prob += pulp.lpSum(x[:n_rings])
    for label, a, rhs in (("sat", a_ub, f), ("share", a_eq, np.zeros(a_eq.shape[0]))):
        for i in range(a.shape[0]):
            row = a.getrow(i)
            if row.nnz == 0:
                continue
            expr = pulp.lpSum(v * x[j] for j, v in zip(row.indices, row.data))
            prob += (expr <= rhs[i]) if label == "sat" else (expr == rhs[i]), f"{label}_{i}"
    return prob


def compute_limit(gflops, work: RingWork, *, output: float) -> float:
    """Output tokens/s if every satellite of ``gflops`` computed without rest: total GFLOPS over one request's
    GFLOP (``work`` of any deployment of the model), times the request's output tokens."""
    return float(np.sum(gflops) / (work.fixed.sum() + sum(work.split)) * output)

