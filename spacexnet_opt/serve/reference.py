"""The serving model on SimPy: small and readable, to cross-check :mod:`.engine` and as its speed anchor.

The same model as :mod:`.engine` (read its docstring), written the SimPy way:
every satellite is a ``simpy.Resource`` of capacity one (FIFO), a request is a
process, a pass is a process walking the layers, and every job is a
sub-process that travels, waits for its satellite, computes and travels on.
Both engines read the same :class:`~.model.ServeModel` and draw every
request's experts from the same per-request stream
(:func:`~.sequences.draw_sequence`), so on the same requests they give the
same per-request times (up to floating-point rounding: SimPy adds delays to
its clock where the engine adds absolute times).
"""

from __future__ import annotations

import numpy as np

from .engine import Trace, _full
from .model import ServeModel
from .requests import RequestSet
from .sequences import Draws, pass_counts, pass_experts, token_experts

__all__ = ["run"]


def run(model: ServeModel, requests: RequestSet, *, seed: int = 0, max_batch: int = 1, window_s: float = 0.0,
        max_active: int | None = None, until_s: float = float("inf"), progress=None) -> Trace:
    """Simulate ``requests`` on ``model`` with SimPy (same arguments and result as :func:`.engine.run`)."""
    import simpy

    m, n, env = model, len(requests), simpy.Environment()
    sats: dict = {}
    busy, jobs, waits = np.zeros(len(m.gflops)), np.zeros(len(m.gflops), dtype=np.int64), []
    admitted, first, done = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    tokens, rejected = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    attn = np.flatnonzero(m.kv_per_token > 0)
    room = None if m.capacity is None else (m.capacity - m.weights)[attn]
    state = {"reserved": np.zeros(len(attn)), "peak": np.zeros(len(attn)), "active": 0, "batch": [], "gen": 0,
             "passes": 0, "rows": 0, "window": 0}
    waiting = []
    draws = Draws(m.laws, n_experts=m.n_experts, prompt=requests.prompt, output=requests.output, seed=seed)
    prompt, output, origin = requests.prompt, requests.output, requests.origin

    def access(r):
        return 0.0 if origin[r] < 0 else m.access_s[m.snapshot(env.now)][origin[r]]

    def compute(sat, work, travel=0.0, back=0.0):
        """Travel to ``sat``, queue there, compute ``work`` GFLOP, travel ``back``."""
        if travel:
            yield env.timeout(travel)
        res = sats.setdefault(sat, simpy.Resource(env, capacity=1))
        with res.request() as req:
            asked = env.now
            yield req
            if env.now > asked:
                waits.append((asked, env.now))
            service = work / m.gflops[sat]
            busy[sat] += service
            jobs[sat] += 1
            yield env.timeout(service)
        if back:
            yield env.timeout(back)

    def layer(l, rows, ctx, experts):
        grp, (a0, a1) = m.groups[l], m.gw_work[l]
        if grp is not None:
            for s0, s1, r0, r1 in grp.rounds:
                delays = grp.delay[m.snapshot(env.now)]
                legs = [d + (rows - 1) * m.sigma_s if d > 0 else 0.0 for d in delays]
                yield env.all_of([env.process(compute(sat, w * (s0 * rows + s1 * ctx) + r0 * rows + r1 * ctx, leg, leg))
                                  for sat, w, leg in zip(grp.members, grp.shares, legs)])
                yield env.timeout(2 * grp.n_remote * rows * m.sigma_s)
        yield from compute(m.gateways[l], a0 * rows + a1 * ctx)
        t = m.snapshot(env.now)
        yield env.all_of([env.process(compute(m.host[t][l][e], k * m.expert_gflop, m.leg_in[t][l][e] + (k - 1) * m.sigma_s,
                                              m.leg_out[t][l][e] + (k - 1) * m.sigma_s)) for e, k in experts[l]])

    def one_pass(seqs):
        rows = sum(int(prompt[r]) if tokens[r] == 0 else 1 for r in seqs)
        ctx = sum(int(prompt[r] * (prompt[r] + 1) // 2) if tokens[r] == 0 else int(prompt[r] + tokens[r]) for r in seqs)
        counts = pass_counts([draws.decode(r, tokens[r] - 1) for r in seqs if tokens[r] > 0],
                             [draws.prefill(r) for r in seqs if tokens[r] == 0], n_experts=m.n_experts)
        state["passes"] += 1
        state["rows"] += rows
        experts = token_experts(draws.decode(seqs[0], tokens[seqs[0]] - 1)) if rows == 1 and tokens[seqs[0]] else \
            pass_experts(counts)
        for l in range(m.n_layers):
            yield from layer(l, rows, ctx, experts)
        for r in seqs:
            tokens[r] += 1
            seen = env.now + access(r)
            state["window"] += seen <= requests.arrival_s[-1]
            if tokens[r] == 1:
                first[r] = seen
            if tokens[r] == output[r]:
                done[r] = seen
                state["reserved"] -= (prompt[r] + output[r]) * m.kv_per_token[attn]
                state["active"] -= 1
            else:
                join(r)
        admit()

    def fire():
        seqs, state["batch"] = state["batch"], []
        state["gen"] += 1
        env.process(one_pass(seqs))

    def fire_later(gen):
        yield env.timeout(window_s)
        if state["gen"] == gen and state["batch"]:
            fire()

    def join(r):
        state["batch"].append(r)
        if len(state["batch"]) >= max_batch:
            fire()
        elif len(state["batch"]) == 1:
            env.process(fire_later(state["gen"]))

    def admit():
        while waiting and (max_active is None or state["active"] < max_active):
            r = waiting[0]
            need = (prompt[r] + output[r]) * m.kv_per_token[attn]
            fits = room is None or not (state["reserved"] + need > room).any()
            if not fits and state["active"]:
                return
            waiting.pop(0)
            if not fits:
                rejected[r] = True
                continue
            state["reserved"] += need
            np.maximum(state["peak"], state["reserved"], out=state["peak"])
            state["active"] += 1
            admitted[r] = env.now
            join(r)

    def request(r, at):
        yield env.timeout(at)
        yield env.timeout(access(r))
        waiting.append(r)
        admit()

    for r, at in enumerate(requests.arrival_s.tolist()):
        env.process(request(r, at))
    env.run() if until_s == float("inf") else env.run(until=until_s)
    return Trace(admitted, first, done, tokens, rejected, busy, jobs, np.array(waits, dtype=float).reshape(-1, 2),
                 _full(state["peak"], attn, len(m.kv_per_token)), float(env.now), state["passes"], state["rows"], 0,
                 int(state["window"]))
