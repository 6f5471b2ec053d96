"""The event-driven serving engine: Python for requests and passes, :mod:`.core` (numba) for the jobs.

Every satellite is a FIFO server of its GFLOPS: a job arriving at time ``a``
starts at ``max(a, free)`` and keeps the server busy for its GFLOP / GFLOPS
(Lindley's recursion, exact for FIFO because every arrival is an event handled
in time order). The jobs, the event heap and the stages of a pass run compiled
(:mod:`.core`); what happens once per request or pass stays here. A *pass* is one iteration of the model over a batch of
sequences: it enters layer 0 at the first gateway, and in every layer

1. the non-expert work runs at the gateway (one job), or in rounds over the
   layer's compute group (the hidden states go out to each member, its share
   runs there, the partial sums come back; the gateway's interface sends and
   receives ``2 x remote members x rows`` messages of ``sigma`` each), then
   the router (and layer 0's once-per-token work) at the gateway;
2. every activated expert gets the rows that chose it: they reach its
   satellite after the leg's delay (``sigma`` more per extra row: messages
   pipeline along the path), run there, and go on to the next gateway; the
   layer ends when the last of them arrives.

After the last layer (back at the first gateway) every sequence of the pass has
one more token; a sequence with tokens left rejoins the batcher at once (its
next token enters layer 0 only after its previous token left the last layer).
Requests wait in a FIFO admission queue until the KV cache of their whole
context (prompt + output) fits on every satellite running their attention
(and fewer than ``max_active`` sequences are active); a request that could not
fit even alone is rejected and reported. Batching: a batch leaves the batcher
when it holds ``max_batch`` sequences or ``window_s`` after its first one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .model import ServeModel
from .requests import RequestSet
from . import core
from .sequences import Draws, pass_counts

__all__ = ["Trace", "run"]

# codes of the events the Python side handles (:mod:`.core` handles the jobs): an arrival (x the request, y 0 at
# the user, 1 at the first gateway) and the batcher's timer (x its batch); a pass done is ``core.DONE``
_ARRIVE, _FIRE = -1, -2


@dataclass(frozen=True, eq=False)
class Trace:
    """What one run recorded (times in seconds; ``nan`` where a request did not get that far).

    ``admitted_s``, ``first_s``, ``done_s`` (n,): admission, first token and last token delivered to the
    user; ``tokens`` (n,) delivered; ``rejected`` (n,) bool; ``busy_s`` and ``jobs`` (N,) per satellite;
    ``waits`` (m, 2) arrival and start of every job that queued; ``peak_kv`` (N,) bytes; ``end_s``; ``passes``
    and ``batched_rows``; ``events``; ``window_tokens``: tokens delivered by the last arrival (steady state).
    """

    admitted_s: np.ndarray
    first_s: np.ndarray
    done_s: np.ndarray
    tokens: np.ndarray
    rejected: np.ndarray
    busy_s: np.ndarray
    jobs: np.ndarray
    waits: np.ndarray
    peak_kv: np.ndarray
    end_s: float
    passes: int
    batched_rows: int
    events: int
    window_tokens: int = 0


def _tables(m: ServeModel) -> tuple:
    """The model as the arrays :mod:`.core` reads (its ``m`` tuple)."""
    L = m.n_layers
    size = [0 if g is None else len(g.members) for g in m.groups]
    width, n_rounds = max(1, *size), max(1, *(0 if g is None else len(g.rounds) for g in m.groups))
    members, shares = np.zeros((L, width), dtype=np.int64), np.zeros((L, width))
    delay, rounds = np.zeros((m.n_snapshots, L, width)), np.zeros((L, n_rounds, 4))
    for l, g in enumerate(m.groups):
        if g is not None:
            members[l, :size[l]], shares[l, :size[l]] = g.members, g.shares
            delay[:, l, :size[l]] = g.delay
            rounds[l, :len(g.rounds)] = g.rounds
    return (float(m.interval_s), int(m.n_snapshots), float(m.sigma_s), float(m.expert_gflop),
            np.array(m.gw_work, dtype=float).reshape(L, 2), np.array(m.host, dtype=np.int64), np.array(m.leg_in),
            np.array(m.leg_out), np.array(size, dtype=np.int64), members, shares, delay, rounds,
            np.array([0 if g is None else len(g.rounds) for g in m.groups], dtype=np.int64),
            np.array([0 if g is None else g.n_remote for g in m.groups], dtype=np.int64),
            np.array(m.gateways, dtype=np.int64), np.array(m.gflops, dtype=float))


class _Slots:
    """Per-pass state arrays of :mod:`.core` (its ``p`` tuple), grown as more passes are in flight."""

    def __init__(self, n_layers: int, n_experts: int, size: int = 16):
        self.n_layers, self.n_experts, self.free, self.seqs = n_layers, n_experts, [], {}
        self.arrays = self._empty(size)
        self.free = list(range(size - 1, -1, -1))

    def _empty(self, size: int) -> tuple:
        L, E = self.n_layers, self.n_experts
        ints = [np.zeros(size, dtype=np.int64) for _ in range(3)]
        return (*ints, np.zeros(size), np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64),
                np.zeros((size, L), dtype=np.int64), np.zeros((size, L, E), dtype=np.int64),
                np.zeros((size, L, E), dtype=np.int64))

    def take(self, seqs: list) -> int:
        if not self.free:
            old = self.arrays
            size = len(old[0])
            self.arrays = self._empty(2 * size)
            for new, a in zip(self.arrays, old):
                new[:size] = a
            self.free = list(range(2 * size - 1, size - 1, -1))
        slot = self.free.pop()
        self.seqs[slot] = seqs
        return slot

    def give(self, slot: int) -> list:
        self.free.append(slot)
        return self.seqs.pop(slot)


def run(model: ServeModel, requests: RequestSet, *, seed: int = 0, max_batch: int = 1, window_s: float = 0.0,
        max_active: int | None = None, until_s: float = float("inf"), progress=None) -> Trace:
    """Simulate ``requests`` on ``model`` until every request is done (or ``until_s``)."""
    m, n = model, len(requests)
    L, E = m.n_layers, m.n_experts
    tables, slots = _tables(m), _Slots(L, E)
    interval, n_snap = m.interval_s, m.n_snapshots
    prompt, output = requests.prompt.tolist(), requests.output.tolist()
    origin = requests.origin.tolist()
    n_sats = len(m.gflops)
    servers = (np.zeros(n_sats), np.zeros(n_sats), np.zeros(n_sats, dtype=np.int64))
    waits = np.empty((1024, 2))
    heap, state, out = np.empty((max(16, 2 * n), 6)), np.zeros(4, dtype=np.int64), np.zeros(6)
    admitted, first, done = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    tokens, rejected = [0] * n, np.zeros(n, dtype=bool)
    draws = Draws(m.laws, n_experts=E, prompt=requests.prompt, output=requests.output, seed=seed)
    kv = m.kv_per_token
    attn = np.flatnonzero(kv > 0)
    kv_a = kv[attn]
    room = None if m.capacity is None else (m.capacity - m.weights)[attn]
    reserved = np.zeros(len(attn))
    peak = np.zeros(len(attn))
    queue: deque = deque()
    active = 0
    batch: list = []
    batch_gen = 0
    stats = {"passes": 0, "rows": 0, "window": 0}
    last_arrival = float(requests.arrival_s[-1])

    def push(time, code, x, y=0.0):
        nonlocal heap
        heap = core.push(heap, state, time, code, x, y, -1)

    def access(t, r):
        return 0.0 if origin[r] < 0 else m.access_s[int(t // interval) % n_snap][origin[r]]

    def admit(now):
        nonlocal active
        while queue and (max_active is None or active < max_active):
            r = queue[0]
            need = (prompt[r] + output[r]) * kv_a
            if room is not None and (reserved + need > room).any():
                if active:
                    return
                queue.popleft()
                rejected[r] = True
                draws.release(r)
                continue
            queue.popleft()
            reserved[:] += need
            np.maximum(peak, reserved, out=peak)
            active += 1
            admitted[r] = now
            join(r, now)

    def join(r, now):
        batch.append(r)
        if len(batch) >= max_batch:
            fire(now)
        elif len(batch) == 1:
            push(now + window_s, _FIRE, batch_gen)

    def fire(now):
        nonlocal batch, batch_gen, heap
        seqs, batch = batch, []
        batch_gen += 1
        rows = ctx = 0
        dec, pre = [], []
        for r in seqs:
            made = tokens[r]
            if made == 0:
                rows += prompt[r]
                ctx += prompt[r] * (prompt[r] + 1) // 2
                pre.append(draws.prefill(r))
            else:
                rows += 1
                ctx += prompt[r] + made
                dec.append(draws.decode(r, made - 1))
        slot = slots.take(seqs)
        p = slots.arrays
        p[4][slot], p[5][slot] = rows, ctx
        if rows == 1 and dec:
            core.fill_sets(p, slot, dec[0])
        else:
            core.fill_counts(p, slot, pass_counts(dec, pre, n_experts=E))
        stats["passes"] += 1
        stats["rows"] += rows
        heap = core.start_layer(heap, state, tables, p, slot, 0, now)

    def finish_pass(slot, now):
        nonlocal active
        for r in slots.give(slot):
            tokens[r] += 1
            seen = now + access(now, r)
            if seen <= last_arrival:
                stats["window"] += 1
            if tokens[r] == 1:
                first[r] = seen
            if tokens[r] == output[r]:
                done[r] = seen
                draws.release(r)
                reserved[:] -= (prompt[r] + output[r]) * kv_a
                active -= 1
            else:
                join(r, now)
        admit(now)

    for r, a in enumerate(requests.arrival_s.tolist()):
        push(a, _ARRIVE, r)
    report = max(1, n // 100)
    finished = 0
    while True:
        heap, waits = core.run_jobs(heap, state, tables, slots.arrays, servers, waits, until_s, L, out)
        code, now = int(out[2]), float(out[0])
        if code == core.EMPTY:
            break
        if code == core.PAST:
            now = until_s
            break
        if code == core.DONE:
            finish_pass(int(out[5]), now)
        elif code == _ARRIVE:
            r = int(out[3])
            if not out[4]:  # at the user: up to the first gateway
                push(now + access(now, r), _ARRIVE, r, 1.0)
            else:
                queue.append(r)
                admit(now)
                finished += 1
                if progress is not None and finished % report == 0:
                    progress("serving", finished, n)
        elif int(out[3]) == batch_gen and batch:  # the batcher's timer
            fire(now)
    free, busy, jobs = servers
    return Trace(admitted, first, done, np.array(tokens), rejected, busy, jobs, waits[:state[2]].copy(),
                 _full(peak, attn, len(kv)), now, stats["passes"], stats["rows"], int(state[3]), stats["window"])


def _full(values: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[index] = values
    return out
