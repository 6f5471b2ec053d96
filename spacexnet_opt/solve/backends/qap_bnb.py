"""Exact branch and bound for the QAP with the level-1 RLT dual-ascent bound.

Depth-first search over partial assignments of facilities to locations,
started from a breakout-local-search incumbent (:mod:`.bls`). Each node keeps
an equivalent form of its subproblem (constant, reduced linear costs,
reduced quadratic costs) raised by the Hahn–Grant dual ascent of
:mod:`.qap_rlt`; a child inherits its parent's reduced costs, so a few ascent
passes per node suffice. The reduced linear cost ``L[i, k]`` bounds the child
"``i`` on ``k``" before it is built, and the node branches on the facility
*or location* whose children these cheap bounds prune most (ties: the largest
sum of reduced costs); children are explored best cheap bound first.
Several threads share the tree and the incumbent (the compiled kernels
release the GIL). See ``formulations/qap-bnb.md``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ...errors import SolverError
from ..result import BackendOutput, Status
from .bls import solve_bls
from .qap_common import default_workers, square_qap, symmetrised
from .qap_rlt import ascend, child_form, initial_form
from .qap_symmetry import automorphisms, orbits

__all__ = ["MAX_LOCATIONS", "INCUMBENT_SHARE", "INCUMBENT_SECONDS", "ROOT_PASSES", "NODE_PASSES", "solve_bnb"]

LOG = logging.getLogger(__name__)
"""Each search logs its node count and root bound at DEBUG level (``args``: nodes, root bound)."""

MAX_LOCATIONS = 40
"""Largest square size (locations after the ``top2`` reduction) :func:`solve_bnb` accepts."""

INCUMBENT_SHARE, INCUMBENT_SECONDS = 0.1, 1.0
"""Share of a time limit, and its cap in seconds, spent on the local-search incumbent."""

ROOT_PASSES, NODE_PASSES = 200, 16
"""Most dual-ascent passes at the root and at any other node."""

MIN_GAIN = 1e-2
"""A node's ascent stops when a pass raises its bound by less than this share of the root's gap."""


def solve_bnb(problem, *, time_limit=None, rng=None, workers=None) -> BackendOutput:
    """Prove a QAP optimum by depth-first branch and bound with the RLT-1 dual-ascent bound.

    Handles QAPLIB-style problems, rectangular ones (zero-flow dummy
    facilities) and ``top2`` problems (reduced to the ``m`` fastest candidates).
    Returns OPTIMAL with the incumbent, or TIME_LIMIT with the incumbent and the
    smallest bound of the unexplored nodes when ``time_limit`` ends the search;
    ``iterations`` counts the expanded nodes. ``workers`` threads (default:
    the cores this process may use; 1: sequential) explore the tree together:
    a worker that runs out of work takes the untried children of the
    shallowest node another worker is in, and all share the incumbent.

    Examples
    --------
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> f = np.array([[0, 5, 2], [5, 0, 3], [2, 3, 0]]); d = np.array([[0, 8, 15], [8, 0, 13], [15, 13, 0]])
    >>> out = solve_bnb(QAPProblem(f, d), rng=0)
    >>> out.status.value, out.bound, QAPProblem(f, d).objective(out.assignment)
    ('OPTIMAL', 218.0, 218.0)
    """
    flow, distance, columns, reduced = square_qap(problem, "bnb")
    m, n = reduced.shape
    if n > MAX_LOCATIONS:
        raise SolverError(
            f"bnb proves QAPs of at most {MAX_LOCATIONS} locations, this one has {n}; "
            "use bls or tabu, or cpsat with a time limit"
        )
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    perm = _incumbent(reduced, n, time_limit, rng)
    order, active = _flow_free_last(flow, m)
    search = _Search(flow[np.ix_(order, order)], distance, active, perm[order], deadline)
    search.run(workers or default_workers())
    LOG.debug("bnb explored %d nodes, root bound %.10g", search.nodes, search.root_bound)
    best = np.empty(n, dtype=np.int64)
    best[order] = search.best_perm
    assignment = columns[best[:m]]
    status = Status.OPTIMAL if search.finished else Status.TIME_LIMIT
    return BackendOutput(assignment, status, search.bound(), iterations=search.nodes)


def _flow_free_last(flow, m):
    """Facility order putting the ``active`` facilities with some flow first; the others are interchangeable dummies."""
    has_flow = np.any(flow != 0, axis=0) | np.any(flow != 0, axis=1)
    has_flow[m:] = False
    return np.concatenate([np.flatnonzero(has_flow), np.flatnonzero(~has_flow)]), int(has_flow.sum())


def _incumbent(reduced, n: int, time_limit, rng) -> np.ndarray:
    """Starting permutation of the square problem (dummy facilities on the unused locations).

    Breakout local search runs :data:`INCUMBENT_SHARE` of a time limit (at most
    :data:`INCUMBENT_SECONDS`), or its fixed number of moves without one (then
    the whole search is reproducible for a seed).
    """
    if reduced.shape[0] < 2:
        return np.arange(n)
    budget = None if time_limit is None else min(INCUMBENT_SHARE * time_limit, INCUMBENT_SECONDS)
    a = solve_bls(reduced, time_limit=budget, rng=rng).assignment
    return np.concatenate([a, np.setdiff1d(np.arange(n), a)])


class _Search:
    """Depth-first branch and bound state: incumbent, bound of the pruned and of the unexplored subtrees."""

    def __init__(self, flow, distance, m, perm, deadline):
        # integer data whose objectives floats hold exactly: every objective is an integer
        self.integral = bool(
            np.all(flow == np.round(flow))
            and np.all(distance == np.round(distance))
            and np.abs(flow).sum() * np.abs(distance).max(initial=0) < 2**52
        )
        # symmetrising spreads the flow of a pair over both rows, which tightens the bound
        flow, distance = symmetrised(flow, distance)
        self.flow, self.distance, self.m = np.ascontiguousarray(flow, float), np.ascontiguousarray(distance, float), m
        self.n = flow.shape[0]
        self.loc_group, self.fac_group = automorphisms(self.distance), automorphisms(self.flow[:m, :m])
        self.deadline = deadline
        self.best_perm = perm
        self.best = self._value(perm)
        self.pruned_bound = np.inf  # smallest bound of a pruned subtree
        self.open_bound = np.inf  # smallest bound of the subtrees left unexplored at the time limit
        self.finished = self.timed_out = False
        self.nodes, self.root_bound, self.min_gain = 0, -np.inf, 0.0
        self.lock = threading.Lock()  # guards the incumbent, the bounds and the node count
        self.pool = _Pool(1)  # replaced by run's pool of its workers

    def _value(self, perm) -> float:
        return float((self.flow * self.distance[np.ix_(perm, perm)]).sum())

    def _cutoff(self) -> float:
        """Subtrees with a bound above this cannot beat the incumbent."""
        if self.integral:
            return self.best - 0.5  # every objective is an integer
        return self.best - 1e-10 * max(1.0, abs(self.best))

    def _late(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def run(self, workers: int = 1):
        """Raise the root bound, then explore the tree with ``workers`` threads."""
        n = self.n
        everything = np.arange(n)
        if n < 2 or not self.m:  # one location or no real facility: the incumbent is the only map that matters
            self.finished = True
            return
        bound, lin, quad = self._root()
        if bound > self._cutoff():
            self.pruned_bound = bound
        else:
            root = self._expand(bound, lin, quad, everything, everything, np.full(n, -1))
            if root is not None:
                self.pool = _Pool(workers)
                self.pool.put(root)
                with ThreadPoolExecutor(workers) as threads:
                    for done in [threads.submit(self._work) for _ in range(workers)]:
                        done.result()
        self.finished = not self.timed_out

    def _root(self):
        """Root form after at most :data:`ROOT_PASSES` ascent passes (stopping when a pass gains nothing)."""
        lin, quad = initial_form(self.flow, self.distance)
        bound = 0.0
        for it in range(ROOT_PASSES):  # one pass per call, so the clock is watched
            lin_before, quad_before = lin.copy(), quad.copy()
            new = ascend(bound, lin, quad, 1 if it == 0 else 2, self._cutoff(), 0.0)
            if it and new - bound <= 1e-9 * max(1.0, abs(bound)):
                lin, quad = lin_before, quad_before
                break
            bound = new
            if bound > self._cutoff() or self._late():
                break
        self.root_bound = bound
        self.min_gain = MIN_GAIN * max(self.best - bound, 0.0)
        return bound, lin, quad

    def _work(self):
        """One thread: explore frames from the pool until every worker is out of work."""
        try:
            stack = []
            while (frame := self.pool.get()) is not None:
                self._explore(frame, stack)
        except BaseException:
            self.pool.retire()
            raise

    def bound(self) -> float:
        """Proven lower bound: every solution not yet seen lies in a pruned or open subtree."""
        lowest = min(self.pruned_bound, self.open_bound)
        if self.integral:
            lowest = np.ceil(lowest - 1e-9)  # integer data: the optimum is an integer
        return float(min(self.best, lowest))

    def _labels(self, fac, loc, pos):
        """Orbit labels of the node's facilities (rows) and locations (columns) under the automorphisms fixing it."""
        taken = pos[pos >= 0]
        group = self.loc_group[np.all(self.loc_group[:, taken] == taken, axis=1)]
        loc_label = orbits(group, self.n)[loc] if len(group) > 1 else loc
        placed = np.flatnonzero(pos[: self.m] >= 0)
        group = self.fac_group[np.all(self.fac_group[:, placed] == placed, axis=1)]
        fac_label = orbits(group, self.m) if len(group) > 1 else np.arange(self.m)
        return np.where(fac < self.m, fac_label[np.minimum(fac, self.m - 1)], self.m), loc_label

    def _branching(self, bound, lin, fac, loc, pos):
        """Children ``(i, k)`` (indices into the node) of the facility or location leaving fewest, best first.

        One child per orbit: facilities (locations) that an automorphism fixing
        the node maps onto each other, and all dummies, give mirrored subtrees.
        """
        alive = (lin <= self._cutoff() - bound).astype(np.int64)
        fac_label, loc_label = self._labels(fac, loc, pos)
        labels = np.arange(self.n + 1)
        rows = ((alive @ (loc_label[:, None] == labels)) > 0).sum(axis=1)  # surviving orbits per facility
        cols = ((alive.T @ (fac_label[:, None] == labels)) > 0).sum(axis=1)
        weight = lin.sum() + 1.0
        rows = np.where(fac < self.m, rows - lin.sum(axis=1) / weight, np.inf)  # ties: largest reduced costs
        cols = cols - lin.sum(axis=0) / weight
        if rows.min() <= cols.min():
            i = int(np.argmin(rows))
            pairs = [(i, k) for k in np.argsort(lin[i], kind="stable")]
            label = loc_label
        else:
            k = int(np.argmin(cols))
            pairs = [(i, k) for i in np.argsort(lin[:, k], kind="stable")]
            label = fac_label
        seen, children = set(), []
        for pair in pairs:  # cheapest member of each orbit
            key = label[pair[1] if label is loc_label else pair[0]]
            if key not in seen:
                seen.add(key)
                children.append(pair)
        return children

    def _expand(self, bound, lin, quad, fac, loc, pos):
        """Count the node; complete it when it is small (returns None), else return its frame of children."""
        with self.lock:
            self.nodes += 1
        if len(fac) <= 3 or not np.any(fac < self.m):
            self._complete(pos, fac, loc)
            return None
        return _Frame(bound, lin, quad, fac, loc, pos, self._branching(bound, lin, fac, loc, pos))

    def _explore(self, frame, stack):
        """Depth first through the children of ``frame``; ``stack`` holds this thread's frames, root side first."""
        stack.append(frame)
        while frame.next < len(frame.children):
            self.pool.share(stack)
            i, k = frame.children[frame.next]
            frame.next += 1
            cheap = frame.bound + frame.lin[i, k]
            if cheap > self._cutoff():
                self._discard(cheap)
                continue
            if self._late():  # this child and the later ones stay unexplored
                self._leave_open(frame)
                break
            lin2, quad2 = child_form(frame.lin, frame.quad, i, k)
            child = ascend(cheap, lin2, quad2, NODE_PASSES, self._cutoff(), self.min_gain)
            if child > self._cutoff():
                self._discard(child)
                continue
            pos2 = frame.pos.copy()
            pos2[frame.fac[i]] = frame.loc[k]
            sub = self._expand(child, lin2, quad2, np.delete(frame.fac, i), np.delete(frame.loc, k), pos2)
            if sub is not None:
                self._explore(sub, stack)
        stack.pop()

    def _discard(self, bound):
        """A subtree whose ``bound`` cannot beat the incumbent."""
        with self.lock:
            self.pruned_bound = min(self.pruned_bound, bound)

    def _leave_open(self, frame):
        """The time limit leaves the children of ``frame`` from the one just taken on unexplored."""
        lowest = min(frame.bound + frame.lin[ik] for ik in frame.children[frame.next - 1:])
        with self.lock:
            self.timed_out = True
            self.open_bound = min(self.open_bound, lowest)

    def _complete(self, pos, fac, loc):
        """Evaluate every completion of a node with at most three facilities (or only dummies) left."""
        real = fac < self.m
        for chosen in itertools.permutations(loc, int(real.sum()) if real.all() else len(loc)):
            full = pos.copy()
            full[fac] = chosen
            value = self._value(full)
            if value < self.best:
                with self.lock:
                    if value < self.best:
                        self.best, self.best_perm = value, full


class _Frame:
    """A node's form and its children ``(i, k)`` in exploration order; ``next`` is the first one not yet taken."""

    __slots__ = ("bound", "lin", "quad", "fac", "loc", "pos", "children", "next")

    def __init__(self, bound, lin, quad, fac, loc, pos, children):
        self.bound, self.lin, self.quad, self.fac, self.loc, self.pos = bound, lin, quad, fac, loc, pos
        self.children, self.next = children, 0


class _Pool:
    """Frames waiting for a worker thread, handed out by :meth:`get` and fed by :meth:`share`."""

    def __init__(self, workers: int):
        self.frames, self.workers, self.idle = [], workers, 0
        self.cond = threading.Condition()

    def put(self, frame):
        with self.cond:
            self.frames.append(frame)
            self.cond.notify()

    def get(self):
        """The next frame, or None once every worker waits for one (the search is over)."""
        with self.cond:
            self.idle += 1
            while not self.frames and self.idle < self.workers:
                self.cond.wait()
            if not self.frames:  # this worker leaves
                self.idle, self.workers = self.idle - 1, self.workers - 1
                self.cond.notify_all()
                return None
            self.idle -= 1
            return self.frames.pop()

    def retire(self):
        """A worker failed and leaves: the others must not wait for it."""
        with self.cond:
            self.workers -= 1
            self.cond.notify_all()

    def share(self, stack):
        """If a worker waits and none is queued, move the untried children of the shallowest frame of ``stack`` to the pool.

        The current (deepest) frame keeps at least the child it is about to take.
        """
        if not self.idle or self.frames:  # unlocked read: a hint, checked once per child
            return
        for depth, frame in enumerate(stack):
            keep = frame.next + (depth == len(stack) - 1)
            if keep < len(frame.children):
                rest = _Frame(frame.bound, frame.lin, frame.quad, frame.fac, frame.loc, frame.pos, frame.children[keep:])
                frame.children = frame.children[:keep]
                self.put(rest)
                return
