"""Per-satellite power: solar array, battery state of charge, and compute throttling.

Every satellite has the same :class:`PowerModel`; what differs is whether it
is in sunlight (:func:`~spacexnet_opt.constellation.sun.eclipse_states`) and
whether it computes (``active``: it hosts an expert or a gateway). Over a step
``dt`` of the timeline a satellite draws ``idle_w + compute_w * speed * active``
(power proportional to the fraction ``speed`` of full GFLOPS it runs at) and
receives ``array_w`` in sunlight; the battery absorbs the difference, capped at
``battery_wh``.

Throttling rules (``throttle``):

``floor``
    full speed while the battery stays at or above ``soc_floor`` plus the idle
    energy of the rest of the current shadow (eclipses are predictable); a step
    that would take it below runs at the speed that lands exactly there (0 in
    shadow once it is reached). The battery then never goes below the floor
    unless the idle load alone cannot cross a shadow.
``shadow``
    ``shadow_speed`` of full GFLOPS in shadow, full speed in sunlight, and
    the floor rule on top.

The idle load is never throttled: a budget whose idle load alone drains the
battery below the floor is refused up front (:meth:`PowerModel.check_budget`).
``below_floor`` reports a battery that still went below (idle shadows longer
than the check assumed, or an initial charge too low for the first shadow).

Defaults (assumptions unless a source is named; ``docs/timeline.md`` discusses them):
``compute_w`` 25 W for the paper's Frontgrade SBC-2A72-class 3U SpaceVPX board
(assumed within the 15-30 W of such boards, not a datasheet figure);
``array_w`` 60 W and ``battery_wh`` 100 Wh, the compute payload's assumed share of a
Starlink-class bus (several kW of array, kWh-class battery); ``idle_w`` 10 W
(assumed: ISL terminals and payload avionics); ``soc_floor`` 0.3, i.e. at most
70 % depth of discharge (assumed: LEO Li-ion practice keeps depth of discharge
far lower for cycle life; set ``soc_floor`` to 0.7-0.8 to follow it).

>>> model = PowerModel(array_w=60, battery_wh=20, compute_w=25, idle_w=10, soc_floor=0.3)
>>> shadow = np.array([[False], [True], [True], [False]])      # 4 steps of 15 min, one satellite
>>> run = simulate_power(shadow, 900.0, model)
>>> run.soc[:, 0].round(4).tolist()          # 35 W for 15 min is 8.75 Wh; the second shadow step hits the floor
[1.0, 1.0, 0.5625, 0.3, 0.6125]
>>> run.speed[:, 0].round(3).tolist()        # (11.25 - 6) Wh / 0.25 h - 10 W idle = 11 W = 0.44 x 25 W
[1.0, 1.0, 0.44, 1.0]
>>> round(run.max_depth_of_discharge, 3), run.below_floor, run.energy_wh.round(2).tolist()
(0.7, False, [31.5])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InputError

__all__ = ["PowerModel", "PowerRun", "simulate_power", "THROTTLE_RULES"]

THROTTLE_RULES = ("floor", "shadow")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PowerModel:
    """One satellite's power budget (watts, watt-hours, fractions); see the module docstring."""

    array_w: float = 60.0
    battery_wh: float = 100.0
    compute_w: float = 25.0
    idle_w: float = 10.0
    soc_floor: float = 0.3
    initial_soc: float = 1.0
    throttle: Literal["floor", "shadow"] = "floor"
    shadow_speed: float = 0.5

    def __post_init__(self):
        for name in ("array_w", "battery_wh", "compute_w"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise InputError(f"must be a positive number, got {value!r}", field=f"power.{name}")
        if not (np.isfinite(self.idle_w) and self.idle_w >= 0):
            raise InputError(f"must be a non-negative number, got {self.idle_w!r}", field="power.idle_w")
        for name in ("soc_floor", "initial_soc", "shadow_speed"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InputError(f"must be a fraction in [0, 1], got {value!r}", field=f"power.{name}")
        if self.initial_soc < self.soc_floor:
            raise InputError(f"must be at least soc_floor ({self.soc_floor:g}), got {self.initial_soc!r}",
                             field="power.initial_soc")
        if self.throttle not in THROTTLE_RULES:
            raise InputError(f"must be one of {', '.join(THROTTLE_RULES)}, got {self.throttle!r}", field="power.throttle")

    def check_budget(self, *, eclipse_fraction: float, period_s: float) -> None:
        """Refuse a budget whose idle load cannot be carried: through the longest shadow on the battery
        above the floor, or over a whole orbit by the array.

        >>> PowerModel(idle_w=50.0).check_budget(eclipse_fraction=0.37, period_s=5739.0)
        Traceback (most recent call last):
        ...
        spacexnet_opt.errors.InputError: power.idle_w: impossible power budget: 50 W idle for 35.4 min of shadow needs 29.5 Wh, the battery holds 70 Wh above its floor, and the array gives 37.8 W averaged over an orbit
        """
        shadow_h = eclipse_fraction * period_s / 3600
        need = self.idle_w * shadow_h
        usable = (1 - self.soc_floor) * self.battery_wh
        average = self.array_w * (1 - eclipse_fraction)
        if need > usable + _TOLERANCE or self.idle_w > average + _TOLERANCE:
            raise InputError(f"impossible power budget: {self.idle_w:g} W idle for {60 * shadow_h:.1f} min of shadow "
                             f"needs {need:.3g} Wh, the battery holds {usable:.3g} Wh above its floor, and the array "
                             f"gives {average:.3g} W averaged over an orbit", field="power.idle_w")


@dataclass(frozen=True, eq=False)
class PowerRun:
    """State of charge ``soc`` (T + 1, N) at the step boundaries, ``speed`` (T, N) the fraction of full
    GFLOPS each satellite ran at in each step, ``energy_wh`` (N,) drawn by each satellite in all."""

    soc: np.ndarray
    speed: np.ndarray
    energy_wh: np.ndarray
    soc_floor: float

    @property
    def min_soc(self) -> np.ndarray:
        """Lowest state of charge of each satellite."""
        return self.soc.min(axis=0)

    @property
    def max_depth_of_discharge(self) -> float:
        """``1 - min soc`` over every satellite and time."""
        return float(1.0 - self.soc.min()) if self.soc.size else 0.0

    @property
    def below_floor(self) -> bool:
        """True when some battery went below the floor (only an idle load beyond the budget does that)."""
        return bool(self.soc.size and self.soc.min() < self.soc_floor - _TOLERANCE)

    @property
    def throttled_share(self) -> float:
        """Share of satellite-steps of active satellites run below full speed."""
        return float((self.speed < 1 - _TOLERANCE).mean()) if self.speed.size else 0.0


def _shadow_runs(eclipsed: np.ndarray) -> np.ndarray:
    """Steps of shadow in a row that start right after each step (T, N)."""
    runs = np.zeros(eclipsed.shape, dtype=np.int64)
    ahead = np.zeros(eclipsed.shape[1], dtype=np.int64)
    for k in range(len(eclipsed) - 1, -1, -1):
        runs[k] = ahead
        ahead = (ahead + 1) * eclipsed[k]
    return runs


def simulate_power(eclipsed, dt_s: float, model: PowerModel, *, active=None) -> PowerRun:
    """Integrate every battery over the steps of ``eclipsed`` (T, N), each ``dt_s`` long.

    ``active`` (N,), or (T, N) when it changes, marks the satellites that
    compute (default: all); an idle satellite draws ``idle_w`` only and reports
    speed 1. Vectorised over satellites.
    """
    eclipsed = np.asarray(eclipsed, dtype=bool)
    if eclipsed.ndim != 2:
        raise InputError(f"must be a (times, satellites) array, got shape {eclipsed.shape}", field="eclipsed")
    if not (np.isfinite(dt_s) and dt_s > 0):
        raise InputError(f"must be a positive number of seconds, got {dt_s!r}", field="dt_s")
    n_steps, n_sats = eclipsed.shape
    active = np.broadcast_to(np.ones(n_sats, dtype=bool) if active is None else np.asarray(active), (n_steps, n_sats))
    hours = dt_s / 3600
    capacity, floor_wh = model.battery_wh, model.soc_floor * model.battery_wh
    energy = np.full(n_sats, model.initial_soc * capacity)
    soc = np.empty((n_steps + 1, n_sats))
    speed = np.ones((n_steps, n_sats))
    soc[0] = energy / capacity
    drawn = np.zeros(n_sats)
    shadow_after = _shadow_runs(eclipsed) * hours  # hours of shadow from the next step on
    for k in range(n_steps):
        supply = np.where(eclipsed[k], 0.0, model.array_w)
        compute_w = model.compute_w * active[k]
        wanted = np.where(eclipsed[k], model.shadow_speed, 1.0) if model.throttle == "shadow" else np.ones(n_sats)
        # Speed that lands exactly on the floor plus the idle energy of the shadow still ahead.
        reserve_wh = floor_wh + model.idle_w * shadow_after[k]
        spare_w = (energy - reserve_wh) / hours + supply - model.idle_w
        with np.errstate(divide="ignore", invalid="ignore"):
            allowed = np.where(compute_w > 0, np.clip(spare_w / compute_w, 0.0, 1.0), 1.0)
        speed[k] = np.where(compute_w > 0, np.minimum(wanted, allowed), 1.0)
        load = model.idle_w + compute_w * speed[k]
        drawn += load * hours
        energy = np.minimum(energy + (supply - load) * hours, capacity)
        soc[k + 1] = energy / capacity
    return PowerRun(soc, speed, drawn, model.soc_floor)
