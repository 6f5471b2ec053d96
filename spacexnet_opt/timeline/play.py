"""Play a ``[timeline]``: eclipse and batteries, failures, drift, and each re-placement policy on the same events.

The start is the re-optimised linear placement of the scenario's world
(``lambda = 0``), on the satellites that compute at full speed all along
when ``energy_aware`` is set (:mod:`.energy`). Events (failures, repairs, a drift step) happen
at their times; each policy decides when to re-place
(:func:`~spacexnet_opt.timeline.migration.migration_problem` with the
scenario's ``lambda_s_per_gb_hop`` and ``fixed_hops``):

``never``
    never: a failed host's experts are lost until it is repaired;
``periodic``
    every ``period_h`` hours;
``event``
    at every event;
``threshold``
    at an event that loses an expert, or whose predicted loss (the linear
    latency of the current placement over the re-optimised one, minus 1)
    exceeds ``threshold``.

Seconds per token are sampled every ``sample_h`` (exact snapshot expectation
under the statistics in force, with every satellite's speed scaled by its
power throttle at that time); a token *affected* needs a lost expert (share
``1 - prod (1 - p_i)`` over lost experts, activations taken as independent;
all of them while a gateway is down: gateways are not moved, only repaired).
Batteries are integrated per policy, for the satellites computing in its
placement at each step (gateways and expert hosts).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, ResourceError
from ..progress import Progress, no_progress
from . import inputs
from .migration import grid_hops, migration_problem
from .energy import energy_aware_placement, powered_satellites
from .power import PowerModel, PowerRun, simulate_power

__all__ = ["MAX_SAT_STEPS", "MAX_EVENTS", "MAX_SAMPLES", "PolicyTrace", "TimelineResult", "play_timeline",
           "initial_placement", "power_summary"]

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
    """What one policy did: samples of s/token and affected share, and the migration totals."""

    name: str
    s_per_token: list = field(default_factory=list)
    affected: list = field(default_factory=list)
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
    """Sample times, one :class:`PolicyTrace` per policy (with its batteries), the events, the power step."""

    sample_h: np.ndarray
    policies: dict
    events: list
    step_s: float
    eclipse_share: float
    assumptions: dict

    def to_json(self) -> dict:
        return {"format": "spacexnet-timeline", "version": 1, "sample_h": self.sample_h.tolist(),
                "step_s": self.step_s, "events": [dataclasses.asdict(e) for e in self.events],
                "policies": {name: trace.to_json() for name, trace in self.policies.items()},
                "eclipse_share": self.eclipse_share, "assumptions": self.assumptions}


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
    """The shared state of one play: the world, the statistics, evaluations cached by placement."""

    def __init__(self, world, spec, stats):
        self.world, self.spec, self.stats = world, spec, stats
        self.gateways = inputs.gateways(world)
        self.gb = inputs.expert_gb(world)
        self.rate = inputs.link_rate_bps(world)
        self.cache: dict = {}
        self.worlds: dict = {}

    def activation(self, drift: int) -> np.ndarray:
        return self.stats[drift][0]

    def problem(self, experts, drift: int, failed: frozenset):
        return migration_problem(inputs.layer_costs(self.world, self.activation(drift)), experts, self.gateways,
                                 grid_hops(self.world.shell, failed=sorted(failed)), expert_gb=self.gb,
                                 failed=sorted(failed), link_rate_bps=self.rate, fixed_hops=self.spec.fixed_hops)

    def predicted_loss(self, experts, drift: int, failed: frozenset) -> float:
        if np.isin(experts, list(failed)).any():
            return math.inf
        problem = self.problem(experts, drift, failed)
        now, best = problem.replacement(experts).latency, problem.solve(0.0).latency
        return now / best - 1 if best > 0 else 0.0

    def s_per_token(self, experts, drift: int, speed: np.ndarray) -> float:
        throttled = bool((speed < 1).any())
        key = (experts.tobytes(), drift, speed.tobytes() if throttled else None)
        if key not in self.cache:
            world = self.world_for(drift)
            if throttled:
                world = inputs.with_speeds(world, speed)
            self.cache[key] = inputs.s_per_token(world, [experts], ["timeline"])[0]
        return self.cache[key]

    def world_for(self, drift: int):
        if drift not in self.worlds:
            self.worlds[drift] = self.world if drift == 0 else inputs.with_statistics(self.world, self.stats[drift][1],
                                                                                      f"drift step {drift}")
        return self.worlds[drift]


def _affected(p: np.ndarray, experts: np.ndarray, gateways: np.ndarray, failed: frozenset) -> float:
    """Share of tokens that need a lost expert, or 1 while a gateway (every token passes each) is down."""
    if np.isin(gateways, list(failed)).any():
        return 1.0
    lost = np.isin(experts, list(failed))
    return float(1 - np.prod(1 - np.minimum(p[lost], 1.0))) if lost.any() else 0.0


def play_timeline(scenario_path: str | os.PathLike, *, progress: Progress = no_progress) -> TimelineResult:
    """Play the ``[timeline]`` of a scenario file for every policy it names."""
    from ..constellation.sun import eclipse_states, eclipse_fraction, julian_date
    from ..formats.scenario import load_scenario, resolve_path

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
    base = np.array([layer.activation for layer in world.layers], dtype=float)
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
    start = initial_placement(world, powered=powered)
    player = _Player(world, spec, stats)
    samples = np.arange(0.0, spec.hours + 1e-9, spec.sample_h)
    traces = {}
    for k, name in enumerate(spec.policies):
        trace, placements, states = _play_policy(name, player, start, events, samples)
        active = _active(placements, player.gateways, len(steps), n_sats, spec.step_s)
        run = simulate_power(shadow, spec.step_s, model, active=active)
        trace.power = power_summary(run)
        for (time_h, experts, drift) in states:
            step = min(int(round(time_h * 3600 / spec.step_s)), len(steps) - 1)
            trace.s_per_token.append(player.s_per_token(experts, drift, run.speed[step]))
        traces[name] = trace
        progress("policies", k + 1, len(spec.policies))
    start_note = " on the satellites powered at full speed all along" if spec.energy_aware else ""
    assumptions = {"start": "re-optimised linear placement (lambda = 0)" + start_note,
                   "sun": "Astronomical Almanac low precision", "shadow": "cylindrical",
                   "hops": "+Grid without failed satellites",
                   "power_for": "each policy's placement over time (expert hosts and gateways compute)",
                   "failed_satellites_route": "the ISL snapshots still route through failed satellites",
                   "lambda_s_per_gb_hop": spec.lambda_s_per_gb_hop, "fixed_hops": spec.fixed_hops}
    return TimelineResult(samples, traces, events, spec.step_s, float(shadow.mean()), assumptions)


def initial_placement(world, *, powered: np.ndarray | None = None) -> np.ndarray:
    """The re-optimised linear placement (L, E) of a world; on the ``powered`` satellites only when given."""
    costs = inputs.layer_costs(world)
    start = np.array([c.candidates[:world.n_experts] for c in costs])
    every = np.ones(world.n_sats, dtype=bool) if powered is None else powered
    return energy_aware_placement(costs, start, inputs.gateways(world), world.shell, every,
                                  expert_gb=inputs.expert_gb(world)).solve(0.0).experts


def _active(placements: list, gateways: np.ndarray, n_steps: int, n_sats: int, step_s: float) -> np.ndarray:
    """(T, N): the satellites computing at each power step, from ``placements`` [(from hour, experts)]."""
    active = np.zeros((n_steps, n_sats), dtype=bool)
    active[:, gateways] = True
    bounds = [int(round(t * 3600 / step_s)) for t, _ in placements] + [n_steps]
    for (_, experts), begin, end in zip(placements, bounds, bounds[1:]):
        active[begin:end, experts.ravel()] = True
    return active


def _play_policy(name: str, player: _Player, start: np.ndarray, events: list[Event], samples: np.ndarray):
    """The policy's decisions: its trace (without s/token), its placements [(from hour, experts)], and the
    state (hour, experts, drift step) at every sample."""
    spec = player.spec
    trace = PolicyTrace(name)
    experts, failed, drift = start.copy(), frozenset(), 0
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
            replace = player.predicted_loss(experts, drift, failed) > spec.threshold
        if replace:
            result = player.problem(experts, drift, failed).solve(spec.lambda_s_per_gb_hop)
            trace.replacements += 1
            trace.gb_moved += result.gb_moved
            trace.gb_hops += result.gb_hops
            trace.link_time_s += result.link_time_s
            trace.moves.append({"time_h": time_h, "gb_moved": result.gb_moved, "experts_moved": int(result.moved.sum())})
            experts = result.experts
            placements.append((time_h, experts))
        p = player.activation(drift)
        last_affected = _affected(p, experts, player.gateways, failed)
        if order == 2:
            states.append((time_h, experts, drift))
            trace.affected.append(last_affected)
    trace.affected_token_share /= max(spec.hours, 1e-12)
    return trace, placements, states
