"""Breakout local search for the QAP (after Benlic & Hao 2013), compiled with numba; status FEASIBLE.

A steepest descent in the swap neighbourhood (swap costs kept up to date in
``O(n^2)`` per move, :mod:`.qap_swaps`) alternates with perturbations of ``L``
swaps. ``L`` starts at ``0.15 n``, grows by one each time the descent returns
to the local optimum it left, and resets otherwise. The perturbation is
*directed* (the best swap that is not tabu; a swap is tabu while both
facilities would return to locations they left within the last
``0.9 n .. 1.1 n`` moves, unless it improves the best solution) with
probability ``max(exp(-w / T), 0.75)``, random otherwise, where ``w`` counts
descents since the last improvement; after ``T`` such descents the search
jumps by ``0.5 n`` random swaps from the best solution found.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from ..result import BackendOutput, Status
from .qap_common import square_qap
from .qap_swaps import apply_swap, best_swap, init_deltas, is_symmetric

__all__ = ["solve_bls", "MOVES_PER_FACILITY"]

MOVES_PER_FACILITY = 2000
"""Without a time limit the search makes ``MOVES_PER_FACILITY * n`` moves (reproducible per seed)."""

PARAMS = np.array([0.15, 0.5, 2500.0, 0.75])
"""``L0 / n``, ``Lmax / n``, ``T`` (descents without improvement before a restart from the best solution), ``P0``."""

CHUNK_WORK = 4_000_000
"""About ``n^2`` operations per move: a compiled call makes ``CHUNK_WORK / n^2`` moves between two clock checks."""


@njit(cache=True)
def _perturb(a, b, p, delta, tabu, state, cost, best, best_p, length, directed, m, sym):
    """``length`` swaps, directed (best non-tabu, aspiration by objective) or random; returns ``(cost, best)``."""
    n = len(p)
    it = state[0]
    low, high = max(2, (9 * n) // 10), max(3, (11 * n) // 10 + 1)
    for _ in range(length):
        if directed:
            r, s, d = -1, -1, np.inf
            for i in range(min(m, n)):
                for j in range(i + 1, n):
                    dij = delta[i, j]
                    free = tabu[i, p[j]] <= it or tabu[j, p[i]] <= it
                    if dij < d and (free or cost + dij < best):
                        r, s, d = i, j, dij
            if r < 0:
                r, s, d = best_swap(delta, m)
        else:
            r = np.random.randint(0, min(m, n))
            s = np.random.randint(0, n - 1)
            s += s >= r
        it += 1
        tabu[r, p[r]] = it + np.random.randint(low, high)
        tabu[s, p[s]] = it + np.random.randint(low, high)
        cost += apply_swap(a, b, p, delta, r, s, sym)
        if cost < best:
            best = cost
            best_p[:] = p
    state[0] = it
    return cost, best


@njit(cache=True)
def _run(a, b, p, delta, tabu, best_p, state, values, moves, m, seed, params, sym):
    """Continue the search for about ``moves`` moves; ``state = [it, w, L, seeded]``, ``values = [cost, best, prev]``."""
    if state[3] == 0:
        np.random.seed(seed)
        state[3] = 1
    n = len(p)
    cost, best, prev = values[0], values[1], values[2]
    l0, lmax = max(1, int(params[0] * n)), max(2, int(params[1] * n))
    stagnation, p0 = params[2], params[3]
    stop = state[0] + moves
    while state[0] < stop:
        r, s, d = best_swap(delta, m)
        tol = 1e-9 * max(1.0, abs(best))
        if d < -tol:  # descent step
            cost += apply_swap(a, b, p, delta, r, s, sym)
            state[0] += 1
            continue
        if cost < best - tol:
            best = cost
            best_p[:] = p
            state[1] = 0
        else:
            state[1] += 1
        state[2] = min(state[2] + 1, lmax) if abs(cost - prev) <= tol else l0
        prev = cost
        if state[1] > stagnation:  # restart from the best solution with a strong random jump
            p[:] = best_p
            init_deltas(a, b, p, delta, sym)
            cost = best
            state[1] = 0
            cost, best = _perturb(a, b, p, delta, tabu, state, cost, best, best_p, lmax, False, m, sym)
            continue
        directed = np.random.random() < max(np.exp(-state[1] / stagnation), p0)
        cost, best = _perturb(a, b, p, delta, tabu, state, cost, best, best_p, state[2], directed, m, sym)
    values[0], values[1], values[2] = cost, best, prev


def solve_bls(problem, *, time_limit=None, rng=None) -> BackendOutput:
    """Breakout local search on a QAP (``top2`` or QAPLIB), seeded by ``rng``.

    Runs until ``time_limit`` seconds have passed, or without one for
    :data:`MOVES_PER_FACILITY` ``* n`` moves.

    Examples
    --------
    Two facilities exchanging flow 5 belong on the two locations 1 apart:

    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> d = np.array([[0, 9, 1, 9], [9, 0, 9, 9], [1, 9, 0, 9], [9, 9, 9, 0]])
    >>> out = solve_bls(QAPProblem(np.array([[0, 5], [5, 0]]), d), rng=0)
    >>> sorted(out.assignment.tolist()), out.status.value
    ([0, 2], 'FEASIBLE')
    """
    flow, distance, columns, reduced = square_qap(problem, "bls")
    m, n = reduced.shape
    rng = np.random.default_rng(rng)
    perm = rng.permutation(n)
    if n < 2 or m < 1:
        return BackendOutput(columns[perm[:m]], Status.FEASIBLE)
    a, b = np.ascontiguousarray(flow, float), np.ascontiguousarray(distance, float)
    search = _Search(a, b, perm, m, int(rng.integers(2**31)))
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    total = MOVES_PER_FACILITY * n
    while (time.perf_counter() < deadline) if deadline is not None else search.moves < total:
        chunk = max(64, CHUNK_WORK // (n * n))
        search.run(chunk if deadline is not None else min(chunk, total - search.moves))
    return BackendOutput(columns[search.best_p[:m]], Status.FEASIBLE)


class _Search:
    """A breakout local search from ``perm``: swap costs, tabu list, best permutation and the state of :func:`_run`."""

    def __init__(self, a, b, perm, m: int, seed: int, symmetric: bool | None = None):
        n = len(perm)
        self.a, self.b, self.p, self.m, self.seed = a, b, perm, m, seed
        self.symmetric = is_symmetric(a, b) if symmetric is None else symmetric
        self.delta = np.zeros((n, n))
        init_deltas(a, b, perm, self.delta, self.symmetric)
        cost = float((a * b[np.ix_(perm, perm)]).sum())
        self.values = np.array([cost, cost, np.nan])
        self.state = np.array([0, 0, max(1, int(PARAMS[0] * n)), 0], dtype=np.int64)
        self.tabu, self.best_p = np.zeros((n, n), dtype=np.int64), perm.copy()

    @property
    def moves(self) -> int:
        """Moves made so far."""
        return int(self.state[0])

    def run(self, moves: int) -> None:
        """Continue for about ``moves`` moves."""
        _run(self.a, self.b, self.p, self.delta, self.tabu, self.best_p, self.state, self.values, moves, self.m,
             self.seed, PARAMS, self.symmetric)


def _load_kernels() -> None:
    """Run the kernels once on a tiny problem at import, so no time limit pays for loading them.

    numba loads them from its on-disk cache (or compiles them on first use ever).
    """
    a = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    for symmetric in (False, True):
        _Search(a, a, np.arange(3), 3, 0, symmetric).run(10)

_load_kernels()
