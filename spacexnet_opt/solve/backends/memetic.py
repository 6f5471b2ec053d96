"""Memetic search for the QAP: crossover of good permutations, each child improved by a tabu walk.

A population of ``population`` permutations, each the best point of a robust
tabu walk (:mod:`.qap_walk`) of ``walk * n`` moves from a random start, evolves
in rounds. In a round every worker thread breeds one child: two parents drawn
at random, uniform crossover (locations the parents agree on are kept, every
other facility takes the location of one parent at random if still free, the
rest are placed at random), then a tabu walk of ``walk * n`` moves. After the
round the children enter in a fixed order: a child replaces the worst member
when it is better and not already in the population. The children of one
round are bred in parallel threads, so the sequence of rounds (and, without a
time limit, the result) depends only on the seed and ``workers``. When
``patience`` children in a row are turned away the population has converged
around one basin: it is dropped and bred anew from random starts (the best
permutation found is kept aside as the answer). On the random-uniform tai-a
instances, full restarts did better than restarts that kept the best member
in the new population (development trials, described in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from ..result import BackendOutput, Status
from .qap_common import default_workers, square_qap
from .qap_walk import Walk, seed_thread, symmetric_form

__all__ = ["solve_memetic", "CHILDREN_PER_FACILITY"]

CHILDREN_PER_FACILITY = 8
"""Without a time limit the search breeds ``CHILDREN_PER_FACILITY * n`` children after the first population."""

CHUNK_WORK = 2_000_000
"""About ``n^2 / 2`` operations per move: a walk watches the clock every ``CHUNK_WORK / n^2`` moves."""


@njit(cache=True, nogil=True)
def crossover(p1, p2, child):
    """Uniform crossover of two permutations into ``child`` (numba's generator of the calling thread)."""
    n = len(p1)
    used = np.zeros(n, dtype=np.bool_)
    child[:] = -1
    for i in range(n):
        if p1[i] == p2[i]:
            child[i] = p1[i]
            used[p1[i]] = True
    for i in range(n):
        if child[i] < 0:
            c = p1[i] if np.random.random() < 0.5 else p2[i]
            if not used[c]:
                child[i] = c
                used[c] = True
    free = np.flatnonzero(~used)
    np.random.shuffle(free)
    child[child < 0] = free


class _Breeder:
    """One worker's walk state; breeds a child from a start or two parents, watching the deadline."""

    def __init__(self, a, b, m, symmetric, fast, walk_moves, tenure, deadline):
        self.state = Walk(a, b, m, symmetric, fast)
        self.walk_moves, self.tenure, self.deadline = walk_moves, tenure, deadline
        self.chunk = max(16, CHUNK_WORK // (len(a) ** 2))

    def breed(self, seed, start, parents):
        """``(best permutation, objective)`` of a walk from ``start`` or from the crossover of ``parents``."""
        seed_thread(seed)
        if parents is not None:
            start = np.empty_like(parents[0])
            crossover(parents[0], parents[1], start)
        best = self.state.reset(start)
        done = 0
        while done < self.walk_moves and (self.deadline is None or time.perf_counter() < self.deadline):
            step = min(self.chunk, self.walk_moves - done)
            best = self.state.run(step, self.tenure)
            done += step
        return self.state.best_p.copy(), best


class _Population:
    """Members and their objectives, and the best permutation ever offered.

    A child replaces the worst member when it is better and not already in.
    After ``patience`` children in a row are turned away the population has
    converged: it is emptied, to be bred anew from random starts.
    """

    def __init__(self, size: int, patience: int):
        self.size, self.patience, self.members, self.values = size, patience, [], []
        self.stalled, self.best, self.best_value = 0, None, np.inf

    def full(self) -> bool:
        return len(self.members) >= self.size

    def parents(self, rng) -> tuple[np.ndarray, np.ndarray]:
        i, j = rng.choice(len(self.members), 2, replace=False)
        return self.members[i], self.members[j]

    def offer(self, perm: np.ndarray, value: float) -> None:
        if value < self.best_value:
            self.best, self.best_value = perm, value
        if not self.full():
            self.members.append(perm)
            self.values.append(value)
            return
        worst = int(np.argmax(self.values))
        if value < self.values[worst] and not any(
            v == value and np.array_equal(p, perm) for p, v in zip(self.members, self.values)
        ):
            self.members[worst], self.values[worst] = perm, value
            self.stalled = 0
            return
        self.stalled += 1
        if self.stalled >= self.patience:
            self.members, self.values, self.stalled = [], [], 0


def solve_memetic(problem, *, time_limit=None, rng=None, population=10, walk=10, patience=40, workers=None) -> BackendOutput:
    """Memetic search on a QAP (``top2`` or QAPLIB): crossover plus robust tabu walks, seeded by ``rng``.

    Runs until ``time_limit`` seconds have passed, or without one until
    :data:`CHILDREN_PER_FACILITY` ``* n`` children have been bred after the
    first population (reproducible per seed and ``workers``).

    Parameters
    ----------
    population : int
        Members of the population (at least 2).
    walk : int
        Length of a child's tabu walk, in multiples of ``n`` moves.
    patience : int
        Children turned away in a row before the population is bred anew.
    workers : int, optional
        Threads, each breeding one child per round (default: the cores this
        process may use).

    Examples
    --------
    The heaviest flow (5, between facilities 0 and 1) goes on the shortest
    distance (8, locations 0 and 1): 218, the optimum ``bnb`` proves.

    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> qap = QAPProblem([[0, 5, 2], [5, 0, 3], [2, 3, 0]], [[0, 8, 15], [8, 0, 13], [15, 13, 0]])
    >>> out = solve_memetic(qap, rng=0, workers=2)
    >>> qap.objective(out.assignment), out.status.value
    (218.0, 'FEASIBLE')
    """
    if population < 2 or walk < 1 or (workers is not None and workers < 1):
        raise ValueError(f"memetic needs population >= 2, walk >= 1 and workers >= 1, "
                         f"not {population}, {walk} and {workers}")
    flow, distance, columns, reduced = square_qap(problem, "memetic")
    m, n = reduced.shape
    rng = np.random.default_rng(rng)
    if n < 2 or m < 1:
        return BackendOutput(columns[rng.permutation(n)[:m]], Status.FEASIBLE)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    a, b, symmetric, fast = symmetric_form(flow, distance)
    tenure = np.array([max(1, (9 * n) // 10), max(2, (11 * n) // 10)])
    workers = workers or default_workers()
    breeders = [_Breeder(a, b, m, symmetric, fast, walk * n, tenure, deadline) for _ in range(workers)]
    budget = population + CHILDREN_PER_FACILITY * n
    pool, bred = _Population(population, patience), 0
    with ThreadPoolExecutor(workers) as executor:
        while pool.best is None or (time.perf_counter() < deadline if deadline else bred < budget):
            jobs = []
            for breeder in breeders:
                parents = pool.parents(rng) if pool.full() else None
                start = None if parents else rng.permutation(n)
                jobs.append(executor.submit(breeder.breed, int(rng.integers(2**31)), start, parents))
            for job in jobs:
                pool.offer(*job.result())
            bred += len(jobs)
    return BackendOutput(columns[pool.best[:m]], Status.FEASIBLE)


def _load_kernels() -> None:
    """Run the kernels once on tiny problems at import, so no time limit pays for loading them.

    numba loads them from its on-disk cache (or compiles them on first use
    ever). They run in this thread: compiling in a worker thread while this
    module's import holds the import lock would deadlock.
    """
    sym = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    parents = (np.arange(3), np.array([2, 0, 1]))
    for flow, distance in ((sym, sym), (sym + np.eye(3), sym), (np.triu(sym + 1), np.tril(sym + 2))):
        a, b, symmetric, fast = symmetric_form(flow, distance)
        _Breeder(a, b, 3, symmetric, fast, 2, np.array([1, 2]), None).breed(0, None, parents)


_load_kernels()
