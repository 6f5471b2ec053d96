"""The compiled part of the engine: the event heap and every job a pass makes on its way round the ring.

:mod:`.engine` keeps the decisions that happen once per request or pass in
Python (admission, batching, the experts a pass activates, tokens delivered);
this module runs, compiled with numba, what happens many times per pass:
the heap of events, the FIFO servers (Lindley's recursion: a job arriving at
``a`` starts at ``max(a, free)``), and the stages of a pass (the gateway job
or the compute-group rounds, then the expert jobs). :func:`run_jobs` handles
job events until it pops another kind of event, which it returns to Python.

Events are rows ``(time, tick, code, x, y, slot)`` of a float array kept as a
binary heap ordered by ``(time, tick)``; ``code >= 0`` is a job of ``x`` GFLOP
arriving at satellite ``code`` whose result travels ``y`` seconds on, for the
pass in ``slot``; negative codes are the Python side's (arrivals, the batcher's
timer, a pass back at the first gateway). The arithmetic is the one of
:mod:`.reference`, term for term, so the two engines give the same times.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["push", "start_layer", "run_jobs", "fill_sets", "fill_counts", "EMPTY", "PAST", "DONE"]

EMPTY, PAST, DONE = -100, -101, -3
_FIELDS = 6


@njit(cache=True)
def _before(heap, i, j):
    return heap[i, 0] < heap[j, 0] or (heap[i, 0] == heap[j, 0] and heap[i, 1] < heap[j, 1])


@njit(cache=True)
def push(heap, state, time, code, x, y, slot):
    """Add an event; ``state`` = [size, next tick]. Returns the heap (a larger copy when it was full)."""
    size = state[0]
    if size == heap.shape[0]:
        grown = np.empty((2 * size, _FIELDS))
        grown[:size] = heap
        heap = grown
    heap[size, 0], heap[size, 1], heap[size, 2] = time, state[1], code
    heap[size, 3], heap[size, 4], heap[size, 5] = x, y, slot
    state[0], state[1] = size + 1, state[1] + 1
    i = size
    while i > 0:
        parent = (i - 1) // 2
        if not _before(heap, i, parent):
            break
        for f in range(_FIELDS):
            heap[i, f], heap[parent, f] = heap[parent, f], heap[i, f]
        i = parent
    return heap


@njit(cache=True)
def _pop(heap, state, out):
    """Move the earliest event into ``out`` (6,)."""
    size = state[0] - 1
    out[:] = heap[0]
    heap[0] = heap[size]
    state[0] = size
    i = 0
    while True:
        left, best = 2 * i + 1, i
        if left < size and _before(heap, left, best):
            best = left
        if left + 1 < size and _before(heap, left + 1, best):
            best = left + 1
        if best == i:
            return
        for f in range(_FIELDS):
            heap[i, f], heap[best, f] = heap[best, f], heap[i, f]
        i = best


@njit(cache=True)
def _start_round(heap, state, m, p, slot, l, now):
    (interval, n_snap, sigma, expert_gflop, gw_work, host, leg_in, leg_out, grp_size, grp_members, grp_shares,
     grp_delay, grp_rounds, grp_nrounds, grp_remote, gateways, gflops) = m
    (p_layer, p_stage, p_pending, p_latest, p_rows, p_ctx, p_ne, p_e, p_n) = p
    r = p_stage[slot]
    rows, ctx = p_rows[slot], p_ctx[slot]
    split = grp_rounds[l, r, 0] * rows + grp_rounds[l, r, 1] * ctx
    rep = grp_rounds[l, r, 2] * rows + grp_rounds[l, r, 3] * ctx
    extra = (rows - 1) * sigma
    t = int(now // interval) % n_snap
    p_pending[slot] = grp_size[l]
    for j in range(grp_size[l]):
        d = grp_delay[t, l, j]
        leg = d + extra if d > 0 else 0.0
        heap = push(heap, state, now + leg, grp_members[l, j], grp_shares[l, j] * split + rep, leg, slot)
    return heap


@njit(cache=True)
def start_layer(heap, state, m, p, slot, l, now):
    """The pass in ``slot`` reaches the gateway of layer ``l`` at ``now``: its non-expert work arrives there."""
    gw_work, grp_size, gateways = m[4], m[8], m[15]
    p_layer, p_stage, p_pending, p_latest, p_rows, p_ctx = p[0], p[1], p[2], p[3], p[4], p[5]
    p_layer[slot], p_latest[slot] = l, now
    if grp_size[l] == 0:
        p_stage[slot], p_pending[slot] = -1, 1
        return push(heap, state, now, gateways[l], gw_work[l, 0] * p_rows[slot] + gw_work[l, 1] * p_ctx[slot], 0.0,
                    slot)
    p_stage[slot] = 0
    return _start_round(heap, state, m, p, slot, l, now)


@njit(cache=True)
def _step(heap, state, m, p, slot, now, n_layers):
    """The stage of the pass in ``slot`` ending at ``now`` is done: schedule the next one."""
    (interval, n_snap, sigma, expert_gflop, gw_work, host, leg_in, leg_out, grp_size, grp_members, grp_shares,
     grp_delay, grp_rounds, grp_nrounds, grp_remote, gateways, gflops) = m
    (p_layer, p_stage, p_pending, p_latest, p_rows, p_ctx, p_ne, p_e, p_n) = p
    l, stage = p_layer[slot], p_stage[slot]
    if stage == -1:  # non-expert work done: the experts
        t = int(now // interval) % n_snap
        p_stage[slot], p_pending[slot] = -2, p_ne[slot, l]
        for i in range(p_ne[slot, l]):
            e, rows = p_e[slot, l, i], p_n[slot, l, i]
            extra = (rows - 1) * sigma
            heap = push(heap, state, now + leg_in[t, l, e] + extra, host[t, l, e], rows * expert_gflop,
                        leg_out[t, l, e] + extra, slot)
    elif stage == -2:  # the experts' results are at the next gateway
        if l + 1 < n_layers:
            heap = start_layer(heap, state, m, p, slot, l + 1, now)
        else:
            heap = push(heap, state, now, DONE, 0.0, 0.0, slot)
    else:  # a compute-group round
        now += 2 * grp_remote[l] * p_rows[slot] * sigma
        p_stage[slot], p_latest[slot] = stage + 1, now
        if stage + 1 < grp_nrounds[l]:
            heap = _start_round(heap, state, m, p, slot, l, now)
        else:
            p_stage[slot], p_pending[slot] = -1, 1
            heap = push(heap, state, now, gateways[l], gw_work[l, 0] * p_rows[slot] + gw_work[l, 1] * p_ctx[slot],
                        0.0, slot)
    return heap


@njit(cache=True)
def run_jobs(heap, state, m, p, servers, waits, until, n_layers, out):
    """Handle job events until another kind comes first; it is left in ``out`` (``EMPTY``/``PAST`` codes when the
    heap is empty or the next event is after ``until``). ``servers`` = (free, busy, jobs); ``waits`` (W, 2) the
    arrival and start of every job that queued, ``state[2]`` how many. Returns the heap and the waits (grown)."""
    free, busy, jobs = servers
    p_pending, p_latest = p[2], p[3]
    gflops = m[16]
    while True:
        if state[0] == 0:
            out[2] = EMPTY
            return heap, waits
        if heap[0, 0] > until:
            out[2] = PAST
            return heap, waits
        _pop(heap, state, out)
        state[3] += 1
        sat = int(out[2])
        if sat < 0:
            return heap, waits
        now, slot = out[0], int(out[5])
        start = free[sat]
        if start > now:
            w = state[2]
            if w == waits.shape[0]:
                grown = np.empty((2 * w, 2))
                grown[:w] = waits
                waits = grown
            waits[w, 0], waits[w, 1] = now, start
            state[2] = w + 1
        else:
            start = now
        service = out[3] / gflops[sat]
        end = start + service
        free[sat] = end
        busy[sat] += service
        jobs[sat] += 1
        end += out[4]
        if end > p_latest[slot]:
            p_latest[slot] = end
        p_pending[slot] -= 1
        if p_pending[slot] == 0:
            heap = _step(heap, state, m, p, slot, p_latest[slot], n_layers)


@njit(cache=True)
def fill_sets(p, slot, sets):
    """The experts of a one-token pass in ``slot`` from its sets (L, k); an expert listed twice counts once."""
    p_ne, p_e, p_n = p[6], p[7], p[8]
    for l in range(sets.shape[0]):
        count = 0
        for j in range(sets.shape[1]):
            e = sets[l, j]
            seen = False
            for i in range(count):
                if p_e[slot, l, i] == e:
                    seen = True
            if not seen:
                p_e[slot, l, count], p_n[slot, l, count] = e, 1
                count += 1
        p_ne[slot, l] = count


@njit(cache=True)
def fill_counts(p, slot, counts):
    """The experts of the pass in ``slot`` from the rows (L, E) activating each expert."""
    p_ne, p_e, p_n = p[6], p[7], p[8]
    for l in range(counts.shape[0]):
        count = 0
        for e in range(counts.shape[1]):
            if counts[l, e] > 0:
                p_e[slot, l, count], p_n[slot, l, count] = e, counts[l, e]
                count += 1
        p_ne[slot, l] = count
