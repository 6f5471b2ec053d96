"""The event-driven serving engine (numpy + heapq).

Every satellite is a FIFO server of its GFLOPS: a job arriving at time ``a``
starts at ``max(a, free)`` and keeps the server busy for its GFLOP / GFLOPS
(Lindley's recursion, exact for FIFO because every arrival is an event handled
in time order). A *pass* is one iteration of the model over a batch of
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

import heapq
import itertools
from collections import deque
from dataclasses import dataclass

import numpy as np

from .model import ServeModel
from .requests import RequestSet
from .sequences import Draws, pass_counts, pass_experts, token_experts

__all__ = ["Trace", "run"]

# events: (time, tick, code, x, y, pass); code >= 0: a job of x GFLOP arriving at satellite ``code``, its result
# travelling y seconds on; negative codes: an arrival (x the request), the batcher's timer (x its batch), a pass done
_ARRIVE, _FIRE, _DONE = -1, -2, -3


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


class _Pass:
    __slots__ = ("seqs", "rows", "ctx", "experts", "layer", "stage", "pending", "latest")

    def __init__(self, seqs, rows, ctx, experts):
        self.seqs, self.rows, self.ctx, self.experts = seqs, rows, ctx, experts
        self.layer = self.stage = self.pending = 0
        self.latest = 0.0


def run(model: ServeModel, requests: RequestSet, *, seed: int = 0, max_batch: int = 1, window_s: float = 0.0,
        max_active: int | None = None, until_s: float = float("inf"), progress=None) -> Trace:
    """Simulate ``requests`` on ``model`` until every request is done (or ``until_s``)."""
    m, n = model, len(requests)
    L, E, sigma = m.n_layers, m.n_experts, m.sigma_s
    gflops, host, leg_in, leg_out = m.gflops, m.host, m.leg_in, m.leg_out
    g0 = m.gateways[0]
    prompt, output = requests.prompt.tolist(), requests.output.tolist()
    origin = requests.origin.tolist()
    heap: list = []
    tick = itertools.count()
    free = [0.0] * len(gflops)
    busy = [0.0] * len(gflops)
    jobs = [0] * len(gflops)
    waits: list = []
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

    push, interval, n_snap, expert_gflop = heapq.heappush, m.interval_s, m.n_snapshots, m.expert_gflop
    gw_work, gateways = m.gw_work, m.gateways

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
        nonlocal batch_gen
        batch.append(r)
        if len(batch) >= max_batch:
            fire(now)
        elif len(batch) == 1:
            push(heap, (now + window_s, next(tick), _FIRE, batch_gen, 0.0, None))

    def fire(now):
        nonlocal batch, batch_gen
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
        experts = token_experts(dec[0]) if rows == 1 and dec else pass_experts(pass_counts(dec, pre, n_experts=E))
        p = _Pass(seqs, rows, ctx, experts)
        stats["passes"] += 1
        stats["rows"] += rows
        start_layer(p, 0, now)

    def start_layer(p, l, now):
        """The pass reaches the gateway of layer ``l`` at ``now``: its non-expert work arrives there (an event)."""
        p.layer, p.latest = l, now
        grp = m.groups[l]
        if grp is None:
            a0, a1 = gw_work[l]
            p.stage, p.pending = -1, 1
            push(heap, (now, next(tick), gateways[l], a0 * p.rows + a1 * p.ctx, 0.0, p))
        else:
            p.stage = 0
            start_round(p, grp, now)

    def start_round(p, grp, now):
        s0, s1, r0, r1 = grp.rounds[p.stage]
        split, rep = s0 * p.rows + s1 * p.ctx, r0 * p.rows + r1 * p.ctx
        extra = (p.rows - 1) * sigma
        delays = grp.delay[int(now // interval) % n_snap]
        p.pending = len(grp.members)
        for sat, w, d in zip(grp.members, grp.shares, delays):
            leg = d + extra if d > 0 else 0.0
            push(heap, (now + leg, next(tick), sat, w * split + rep, leg, p))

    def step(p, now):
        """The stage ending at ``now`` (perhaps after the event being handled) is done: schedule the next one."""
        l, stage = p.layer, p.stage
        if stage == -1:  # non-expert work done: the experts
            t = int(now // interval) % n_snap
            hs, di, do = host[t][l], leg_in[t][l], leg_out[t][l]
            experts = p.experts[l]
            p.stage, p.pending = -2, len(experts)
            for e, rows in experts:
                extra = (rows - 1) * sigma
                push(heap, (now + di[e] + extra, next(tick), hs[e], rows * expert_gflop, do[e] + extra, p))
        elif stage == -2:  # the experts' results are at the next gateway
            if l + 1 < L:
                start_layer(p, l + 1, now)
            else:
                push(heap, (now, next(tick), _DONE, None, 0.0, p))  # back at the first gateway: the pass is done
        else:  # a compute-group round
            grp = m.groups[l]
            now += 2 * grp.n_remote * p.rows * sigma
            p.stage, p.latest = stage + 1, now
            if stage + 1 < len(grp.rounds):
                start_round(p, grp, now)
                return
            a0, a1 = gw_work[l]
            p.stage, p.pending = -1, 1
            push(heap, (now, next(tick), gateways[l], a0 * p.rows + a1 * p.ctx, 0.0, p))

    def finish_pass(p, now):
        nonlocal active
        for r in p.seqs:
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
        heapq.heappush(heap, (a, next(tick), _ARRIVE, r, 0.0, None))
    now = 0.0
    report = max(1, n // 100)
    finished = 0
    pop, events = heapq.heappop, 0
    while heap:
        now, _, sat, work, back, p = pop(heap)
        if now > until_s:
            now = until_s
            break
        events += 1
        if sat >= 0:  # a job arrives at its satellite: FIFO (Lindley), its result travels ``back`` on
            start = free[sat]
            if start > now:
                waits.append((now, start))
            else:
                start = now
            service = work / gflops[sat]
            free[sat] = end = start + service
            busy[sat] += service
            jobs[sat] += 1
            end += back
            if end > p.latest:
                p.latest = end
            p.pending -= 1
            if p.pending == 0:
                step(p, p.latest)
        elif sat == _DONE:
            finish_pass(p, now)
        elif sat == _ARRIVE:
            if not back:  # at the user: up to the first gateway
                push(heap, (now + access(now, work), next(tick), _ARRIVE, work, 1.0, None))
            else:
                queue.append(work)
                admit(now)
                finished += 1
                if progress is not None and finished % report == 0:
                    progress("serving", finished, n)
        elif work == batch_gen and batch:  # the batcher's timer
            fire(now)
    return Trace(admitted, first, done, np.array(tokens), rejected, np.array(busy), np.array(jobs),
                 np.array(waits, dtype=float).reshape(-1, 2), _full(peak, attn, len(kv)),
                 now, stats["passes"], stats["rows"], events, stats["window"])


def _full(values: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[index] = values
    return out
