"""Play a ``[timeline]``: eclipse and batteries, failures, drift, and each re-placement policy on the same events.

The start is a deployment file made for the scenario, or the re-optimised
linear placement of the scenario's world (``lambda = 0``), on the satellites
that compute at full speed all along when ``energy_aware`` is set (experts and
gateways, :mod:`.energy`, :mod:`.gateways`). Events (failures, repairs, a drift
step) happen at their times; each policy decides when to re-place (failed
gateways moved by :func:`~.gateways.move_gateways`, then the experts by
:func:`~spacexnet_opt.timeline.migration.migration_problem` with the scenario's
``lambda_s_per_gb_hop`` and ``fixed_hops``):

``never``
    never: a failed host's experts (a failed gateway's layer) are lost until it is repaired;
``periodic``
    every ``period_h`` hours;
``event``
    at every event;
``threshold``
    at an event that loses an expert or a gateway, or whose predicted loss
    (the linear latency of the current placement over the re-optimised one,
    minus 1) exceeds ``threshold``.

Seconds per token are sampled every ``sample_h`` (exact snapshot expectation
under the statistics in force, with every satellite's speed scaled by its
power throttle at that time, on the ISL graph without the failed satellites:
routes go around them), and with a workload the serving tokens/s; a token
*affected* needs a lost expert (share ``1 - prod (1 - p_i)`` over experts that
lost every copy, activations taken as independent; all of them while a gateway
is down). A failed satellite the deployment still computes on is evaluated in
place. Batteries are integrated per policy, for the satellites computing in
its placement at each step (gateways, expert copies, compute-group members).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..constellation.sun import eclipse_states, eclipse_fraction, julian_date
from ..errors import InputError, ResourceError
from ..formats.scenario import load_scenario, resolve_path
from ..progress import Progress, no_progress
from . import inputs
from .inputs import Deployment
from .migration import grid_hops, migration_problem
from .energy import energy_aware_placement, powered_deployment, powered_satellites
from .gateways import kept_groups, move_gateways
from .power import PowerModel, PowerRun, simulate_power

__all__ = ["MAX_SAT_STEPS", "MAX_EVENTS", "MAX_SAMPLES", "PolicyTrace", "TimelineResult", "play_timeline",
           "initial_deployment", "power_summary"]

MAX_SAT_STEPS = 100_000_000
"""Satellites x power steps ceiling: the state of charge and the speeds keep 16 bytes per satellite-step, the
shadow and the computing satellites 2 more (1.8 GB at the ceiling, one policy at a time); a year on the paper
shell needs ``step_s`` of at least 333 s."""

MAX_EVENTS = 10_000
"""Failures, repairs and drift steps ceiling (expected count for a failure rate): each may re-place every layer."""

MAX_SAMPLES = 10_000
"""Seconds-per-token samples ceiling: each distinct (placement, statistics, throttle) sample is one evaluation."""


@dataclass(frozen=True)
class Event:
    """``kind`` (failure, repair, drift) at ``time_h``; ``value``: the satellite, or the drift step's index."""

    time_h: float
    kind: str
    value: int


@dataclass(eq=False)
class PolicyTrace:
    """What one policy did: samples of s/token, serving tokens/s (with a workload), affected share, failed
    satellites, deployment (``states``) and every satellite's state of charge (``soc`` (S, N)) at each sample (these
    two not in the JSON), and the migration totals."""

    name: str
    s_per_token: list = field(default_factory=list)
    affected: list = field(default_factory=list)
    tokens_per_s: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    states: list = field(default_factory=list)
    soc: np.ndarray | None = None
    gb_moved: float = 0.0
    gb_hops: float = 0.0
    link_time_s: float = 0.0
    replacements: int = 0
    degraded_h: float = 0.0
    affected_token_share: float = 0.0
    moves: list = field(default_factory=list)
    power: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"s_per_token": self.s_per_token, "affected_token_share_samples": self.affected,
                "tokens_per_s": self.tokens_per_s or None, "failed": self.failed,
                "gb_moved": self.gb_moved, "gb_hops": self.gb_hops, "link_time_s": self.link_time_s,
                "replacements": self.replacements, "degraded_h": self.degraded_h,
                "affected_token_share": self.affected_token_share, "moves": self.moves, "power": self.power}


def power_summary(run: PowerRun) -> dict:
    """What a policy's batteries did: the extremes, every satellite's lowest charge and energy, and the
    lowest and mean charge over time."""
    return {"max_depth_of_discharge": run.max_depth_of_discharge, "below_floor": run.below_floor,
            "throttled_share": run.throttled_share, "soc_floor": run.soc_floor,
            "min_soc": run.min_soc.tolist(), "energy_wh": run.energy_wh.tolist(),
            "soc_min_over_satellites": run.soc.min(axis=1).tolist(),
            "soc_mean_over_satellites": run.soc.mean(axis=1).tolist()}


@dataclass(frozen=True, eq=False)
class TimelineResult:
    """Sample times, one :class:`PolicyTrace` per policy (with its batteries), the events, the power step, and
    the shadow (T, N) of every satellite at every power step and the shell at the timeline's epoch (these two
    not in the JSON)."""

    sample_h: np.ndarray
    policies: dict
    events: list
    step_s: float
    eclipse_share: float
    assumptions: dict
    shadow: np.ndarray | None = None
    shell: object = None

    def sample_steps(self) -> np.ndarray:
        """The power step (index) of every sample."""
        return _sample_steps(self.sample_h, self.step_s, len(self.shadow))

    def to_json(self) -> dict:
        return {"format": "spacexnet-timeline", "version": 1, "sample_h": self.sample_h.tolist(),
                "step_s": self.step_s, "events": [dataclasses.asdict(e) for e in self.events],
                "policies": {name: trace.to_json() for name, trace in self.policies.items()},
                "eclipse_share": self.eclipse_share, "assumptions": self.assumptions}


def _sample_steps(sample_h: np.ndarray, step_s: float, n_steps: int) -> np.ndarray:
    return np.minimum(np.round(sample_h * 3600 / step_s).astype(int), n_steps - 1)


def _events(spec, n_sats: int, source) -> list[Event]:
    """Scripted and random failures, their repairs, and the drift steps, in time order; checked."""
    end = spec.hours
    events = []
    for j, failure in enumerate(spec.failures):
        if failure.satellite >= n_sats:
            raise InputError(f"no satellite {failure.satellite} in a shell of {n_sats:,}",
                             field=f"timeline.failures[{j}].satellite", source=source)
        events.append(Event(failure.at_h, "failure", failure.satellite))
        if failure.repair_h is not None and failure.at_h + failure.repair_h <= end:
            events.append(Event(failure.at_h + failure.repair_h, "repair", failure.satellite))
    expected = spec.failure_rate_per_year * n_sats * end / 8766.0
    if expected + spec.n_drift + 2 * len(spec.failures) > MAX_EVENTS:
        raise ResourceError(f"about {expected + spec.n_drift + 2 * len(spec.failures):,.0f} events, more than the "
                            f"ceiling of {MAX_EVENTS:,}", field="timeline")
    if spec.failure_rate_per_year > 0:
        rng = np.random.default_rng(spec.seed)
        times = rng.exponential(8766.0 / spec.failure_rate_per_year, n_sats)
        for sat in np.flatnonzero(times <= end):
            events.append(Event(float(times[sat]), "failure", int(sat)))
            if spec.repair_h is not None and times[sat] + spec.repair_h <= end:
                events.append(Event(float(times[sat] + spec.repair_h), "repair", int(sat)))
    every = spec.drift_every_h or end / (spec.n_drift + 1)
    events += [Event(every * (k + 1), "drift", k) for k in range(spec.n_drift)]
    return sorted(events, key=lambda e: (e.time_h, e.kind != "repair"))


def _check_budget(spec, n_sats: int) -> None:
    steps = math.ceil(spec.hours * 3600 / spec.step_s)
    if steps * n_sats > MAX_SAT_STEPS:
        raise ResourceError(f"{n_sats:,} satellites x {steps:,} steps is above the ceiling of {MAX_SAT_STEPS:,}; "
                            "raise step_s", field="timeline.step_s")
    if spec.hours / spec.sample_h > MAX_SAMPLES:
        raise ResourceError(f"{spec.hours / spec.sample_h:,.0f} samples is above the ceiling of {MAX_SAMPLES:,}; "
                            "raise sample_h", field="timeline.sample_h")


class _Player:
    """The shared state of one play: the world, the statistics, worlds without failed satellites, and
    evaluations cached by (deployment, statistics, throttle, failed satellites)."""

    CUT_WORLDS = 4
    """Worlds without failed satellites kept at once (each routes its own table)."""

    def __init__(self, world, spec, stats, throughput=None):
        self.world, self.spec, self.stats, self.throughput = world, spec, stats, throughput
        self.gateways = inputs.gateways(world)
        self.subnets = inputs.subnets(world)
        self.gb = inputs.expert_gb(world)
        self.gateway_gb = inputs.gateway_gb(world)
        self.rate = inputs.link_rate_bps(world)
        self.cache: dict = {}
        self.cut_worlds: dict = {}
        self.worlds: dict = {}

    def activation(self, drift: int) -> np.ndarray:
        return self.stats[drift][0]

    def usable(self, failed: frozenset) -> np.ndarray:
        alive = np.ones(self.world.n_sats, dtype=bool)
        alive[list(failed)] = False
        return alive

    def world_for(self, drift: int, cut: frozenset = frozenset()):
        """The world under drift step ``drift``'s statistics without the satellites ``cut`` (one routing per
        ``cut``, whatever the statistics)."""
        if cut not in self.cut_worlds:
            _bounded(self.cut_worlds, self.CUT_WORLDS)
            self.cut_worlds[cut] = inputs.without_satellites(self.world, sorted(cut))
        if (drift, cut) not in self.worlds:
            _bounded(self.worlds, self.CUT_WORLDS)
            world = self.cut_worlds[cut]
            self.worlds[drift, cut] = inputs.with_statistics(world, self.stats[drift][1], f"drift step {drift}") \
                if drift else world
        return self.worlds[drift, cut]

    def problem(self, plan, drift: int, failed: frozenset, gateways=None):
        """The migration problem from ``plan`` on ``gateways`` (default its own), routed around ``failed``."""
        gateways = plan.gateways if gateways is None else gateways
        own = not failed and np.array_equal(gateways, self.gateways)
        costs = inputs.layer_costs(self.world_for(0, failed), self.activation(drift), None if own else gateways)
        return migration_problem(costs, plan.hosts, gateways, grid_hops(self.world.shell, failed=sorted(failed)),
                                 expert_gb=self.gb, failed=sorted(failed), link_rate_bps=self.rate,
                                 fixed_hops=self.spec.fixed_hops)

    def predicted_loss(self, plan, drift: int, failed: frozenset) -> float:
        """The current linear latency over the re-optimised one, minus 1; ``inf`` when an expert or a gateway is
        lost, or an expert sits outside its layer's subnet candidates (a deployment file's other shapes)."""
        if _lost(plan, failed).any() or np.isin(plan.gateways, list(failed)).any():
            return math.inf
        problem = self.problem(plan, drift, failed)
        current = _live_copy(plan.hosts, failed)
        if not all(np.isin(row, cand).all() for row, cand in zip(current, problem.candidates)):
            return math.inf
        now, best = problem.replacement(current).latency, problem.solve(0.0).latency
        return now / best - 1 if best > 0 else 0.0

    def replace(self, plan, drift: int, failed: frozenset, lam: float):
        """``(new plan, replacement, GB of gateway weights sent)``: failed gateways moved, then the experts
        re-placed for ``lam``."""
        usable = self.usable(failed)
        gateways = move_gateways(plan.gateways, self.subnets, usable, grid_hops(self.world.shell), hosts=plan.hosts)
        result = self.problem(plan, drift, failed, gateways).solve(lam)
        moved = gateways != plan.gateways
        groups = kept_groups(plan.groups, plan.gateways, gateways, usable)
        new = Deployment(gateways, result.experts, name=plan.name, capacity=plan.capacity, groups=groups)
        return new, result, float(self.gateway_gb[moved].sum())

    def _cut(self, plan, failed: frozenset) -> frozenset:
        """The failed satellites taken out of the graph: all but those ``plan`` still computes on (a lost
        expert, a gateway awaiting its move, a compute-group member), which are evaluated in place (the tokens
        needing a lost expert or gateway count as affected)."""
        return failed - set(_computing(plan).tolist())

    def sample(self, plan, drift: int, speed: np.ndarray, failed: frozenset) -> tuple[float, float | None]:
        """s/token and, with a workload, serving tokens/s of ``plan`` under the drift step, throttle, failures."""
        throttled = bool((speed < 1).any())
        cut = self._cut(plan, failed)
        groups = None if plan.groups is None else tuple(g.members.tobytes() + g.shares.tobytes() for g in plan.groups)
        key = (plan.gateways.tobytes(), plan.hosts.tobytes(), groups, drift, speed.tobytes() if throttled else None,
               cut)
        if key not in self.cache:
            world = self.world_for(drift, cut)
            if throttled:
                world = inputs.with_speeds(world, speed)
            rate = None if self.throughput is None else self.throughput.tokens_per_s(world, plan)
            self.cache[key] = (inputs.deployment_s_per_token(world, plan), rate)
        return self.cache[key]


def _bounded(cache: dict, size: int) -> None:
    """Drop the oldest entries of ``cache`` until one more fits in ``size``."""
    while len(cache) >= size:
        cache.pop(next(iter(cache)))


def _computing(plan) -> np.ndarray:
    """Every satellite ``plan`` computes on: gateways, expert copies, compute-group members (with repeats)."""
    members = [g.members for g in plan.groups] if plan.groups is not None else []
    return np.concatenate([plan.gateways, plan.hosts[plan.hosts >= 0], *members])


def _lost(plan, failed: frozenset) -> np.ndarray:
    """(L, E): experts whose every copy is on a failed satellite."""
    hosts = plan.hosts
    return ((hosts < 0) | np.isin(hosts, list(failed))).all(axis=2)


def _live_copy(hosts: np.ndarray, failed: frozenset) -> np.ndarray:
    """(L, E): each expert's first copy on a live satellite (its primary when none is)."""
    live = (hosts >= 0) & ~np.isin(hosts, list(failed))
    first = np.where(live.any(axis=2), live.argmax(axis=2), 0)
    return np.take_along_axis(hosts, first[:, :, None], axis=2)[:, :, 0]


def _affected(p: np.ndarray, plan, failed: frozenset) -> float:
    """Share of tokens that need a lost expert, or 1 while a gateway (every token passes each) is down."""
    if np.isin(plan.gateways, list(failed)).any():
        return 1.0
    lost = _lost(plan, failed)
    return float(1 - np.prod(1 - np.minimum(p[lost], 1.0))) if lost.any() else 0.0


def play_timeline(scenario_path: str | os.PathLike, *, deployment: str | os.PathLike | None = None,
                  workload: str | os.PathLike | None = None, progress: Progress = no_progress) -> TimelineResult:
    """Play the ``[timeline]`` of a scenario file for every policy it names.

    ``deployment``: a deployment file made for this scenario to start from (default: the re-optimised linear
    placement); ``workload``: a workload file whose serving throughput is sampled beside s/token (default: the
    timeline's ``workload``, if any).
    """

    source = Path(scenario_path)
    spec = load_scenario(source).timeline
    if spec is None:
        raise InputError("has no [timeline] section", field="timeline", source=source)
    progress("world", 0, 1)
    world = inputs.load_world(source)
    progress("world", 1, 1)
    n_sats = world.n_sats
    _check_budget(spec, n_sats)
    events = _events(spec, n_sats, source)
    plan = None if deployment is None else inputs.load_deployment(world, deployment, source)
    if workload is None and spec.workload is not None:
        workload = resolve_path(spec.workload, source)
    throughput = None if workload is None else inputs.Throughput(workload, world, source)
    base = world.activation
    stats = [(base, None)]
    for name in spec.drift:
        loaded = inputs.load_statistics(world, resolve_path(name, source))
        stats.append((np.asarray(loaded.p, dtype=float), loaded))
    rng = np.random.default_rng([spec.seed, 1])
    for step in range(spec.drift_steps):
        drifted = inputs.drifted_statistics(world, stats[-1][0], rng, spec.drift_sigma, f"parametric drift {step + 1}")
        stats.append((np.asarray(drifted.p, dtype=float), drifted))
    model = PowerModel(**spec.power.model_dump())
    shell = world.shell
    if hasattr(shell, "at_epoch"):
        shell = shell.at_epoch(julian_date(spec.epoch))
    steps = np.arange(0.0, spec.hours * 3600, spec.step_s)
    shadow = (eclipse_states(shell, steps, epoch_jd=julian_date(spec.epoch)) if spec.eclipse
              else np.zeros((len(steps), n_sats), dtype=bool))
    if spec.eclipse:
        model.check_budget(eclipse_fraction=float(eclipse_fraction(shell.altitude_km, 0.0)), period_s=shell.period_s)
    powered = powered_satellites(shadow, spec.step_s, model) if spec.energy_aware else None
    if plan is None:
        plan = initial_deployment(world, powered=powered)
    elif powered is not None:
        plan = powered_deployment(world, plan, powered, lam=spec.lambda_s_per_gb_hop)
    player = _Player(world, spec, stats, throughput)
    samples = np.arange(0.0, spec.hours + 1e-9, spec.sample_h)
    at = _sample_steps(samples, spec.step_s, len(steps))
    traces = {}
    for k, name in enumerate(spec.policies):
        trace, placements, states = _play_policy(name, player, plan, events, samples)
        run = simulate_power(shadow, spec.step_s, model, active=_active(placements, len(steps), n_sats, spec.step_s))
        trace.power = power_summary(run)
        trace.soc = run.soc[at]
        for (_, state, drift, failed), step in zip(states, at):
            s_token, rate = player.sample(state, drift, run.speed[step], failed)
            trace.s_per_token.append(s_token)
            if rate is not None:
                trace.tokens_per_s.append(rate)
            trace.states.append(state)
        traces[name] = trace
        progress("policies", k + 1, len(spec.policies))
    start_note = (f"the deployment file {deployment}" if deployment is not None
                  else "re-optimised linear placement (lambda = 0)") + (
        " moved where needed onto the satellites powered at full speed all along (gateways, compute groups, "
        "experts)" if spec.energy_aware else "")
    assumptions = {"start": start_note, "sun": "Astronomical Almanac low precision", "shadow": "cylindrical",
                   "hops": "+Grid without failed satellites",
                   "power_for": "each policy's placement over time (expert hosts, gateways, compute-group members)",
                   "failed_satellites_route": "failed satellites neither compute nor relay (routes go around them), "
                                              "except one still holding a lost expert or gateway, evaluated in place",
                   "failed_gateway": "moved to the nearest live satellite of its subnet at a re-placement; its "
                                     "non-expert weights are sent again from the ground",
                   "lambda_s_per_gb_hop": spec.lambda_s_per_gb_hop, "fixed_hops": spec.fixed_hops}
    if throughput is not None:
        assumptions["throughput"] = f"tokens/s serving the workload {workload} at its rate (spacexnet serve)"
    return TimelineResult(samples, traces, events, spec.step_s, float(shadow.mean()), assumptions, shadow=shadow,
                          shell=shell)


def initial_deployment(world, *, powered: np.ndarray | None = None) -> Deployment:
    """The re-optimised linear placement of a world on its gateways; given ``powered`` (N,), the gateways moved
    to powered satellites of their subnets and the experts on powered satellites only
    (:func:`~.energy.powered_deployment`, ``lambda = 0``)."""
    costs, gateways = inputs.layer_costs(world), inputs.gateways(world)
    start = np.array([c.candidates[:world.n_experts] for c in costs])
    every = np.ones(world.n_sats, dtype=bool)
    experts = energy_aware_placement(costs, start, gateways, world.shell, every,
                                     expert_gb=inputs.expert_gb(world)).solve(0.0).experts
    plan = Deployment(gateways, experts, name="timeline start")
    return plan if powered is None else powered_deployment(world, plan, powered, lam=0.0)


def _active(placements: list, n_steps: int, n_sats: int, step_s: float) -> np.ndarray:
    """(T, N): the satellites computing at each power step, from ``placements`` [(from hour, deployment)]:
    gateways, expert copies and compute-group members."""
    active = np.zeros((n_steps, n_sats), dtype=bool)
    bounds = [int(round(t * 3600 / step_s)) for t, _ in placements] + [n_steps]
    for (_, plan), begin, end in zip(placements, bounds, bounds[1:]):
        active[begin:end, _computing(plan)] = True
    return active


def _play_policy(name: str, player: _Player, start, events: list[Event], samples: np.ndarray):
    """The policy's decisions: its trace (without s/token), its placements [(from hour, deployment)], and the
    state (hour, deployment, drift step, failed satellites) at every sample."""
    spec = player.spec
    trace = PolicyTrace(name)
    plan, failed, drift = start, frozenset(), 0
    placements, states = [(0.0, start)], []
    ticks = list(np.arange(spec.period_h, spec.hours + 1e-9, spec.period_h)) if name == "periodic" else []
    points = sorted([(e.time_h, 0, e) for e in events] + [(t, 1, None) for t in ticks]
                    + [(t, 2, None) for t in samples], key=lambda x: (x[0], x[1]))
    last_t, last_affected = 0.0, 0.0
    for time_h, order, event in points:
        trace.degraded_h += (time_h - last_t) * (last_affected > 0)
        trace.affected_token_share += (time_h - last_t) * last_affected
        last_t = time_h
        if order == 0:
            if event.kind == "failure":
                failed = failed | {event.value}
            elif event.kind == "repair":
                failed = failed - {event.value}
            else:
                drift = event.value + 1
        replace = (name == "event" and order == 0) or (name == "periodic" and order == 1)
        if name == "threshold" and order == 0:
            replace = player.predicted_loss(plan, drift, failed) > spec.threshold
        if replace:
            new, result, gateway_gb = player.replace(plan, drift, failed, spec.lambda_s_per_gb_hop)
            trace.replacements += 1
            trace.gb_moved += result.gb_moved + gateway_gb
            trace.gb_hops += result.gb_hops
            trace.link_time_s += result.link_time_s
            trace.moves.append({"time_h": time_h, "gb_moved": result.gb_moved + gateway_gb,
                                "experts_moved": int(result.moved.sum()),
                                "gateways_moved": int((new.gateways != plan.gateways).sum())})
            plan = new
            placements.append((time_h, plan))
        last_affected = _affected(player.activation(drift), plan, failed)
        if order == 2:
            states.append((time_h, plan, drift, failed))
            trace.affected.append(last_affected)
            trace.failed.append(sorted(failed))
    trace.affected_token_share /= max(spec.hours, 1e-12)
    return trace, placements, states
