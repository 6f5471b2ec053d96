"""Battery integration against a scalar re-implementation and the analytic shadow of one orbit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spacexnet_opt.constellation import WalkerShell
from spacexnet_opt.constellation.sun import eclipse_fraction, eclipse_states, julian_date
from spacexnet_opt.errors import InputError
from spacexnet_opt.timeline.power import PowerModel, simulate_power


def _scalar(shadow, dt_s, m: PowerModel, active: bool):
    """One satellite, step by step: try full (or shadow) speed, and bisect the speed that keeps the floor plus
    the idle energy of the shadow steps that follow."""
    energy, socs, speeds = m.initial_soc * m.battery_wh, [m.initial_soc], []
    h = dt_s / 3600
    for k, dark in enumerate(shadow):
        ahead = 0
        while k + 1 + ahead < len(shadow) and shadow[k + 1 + ahead]:
            ahead += 1
        reserve = m.soc_floor * m.battery_wh + m.idle_w * ahead * h
        supply = 0.0 if dark else m.array_w
        want = m.shadow_speed if (dark and m.throttle == "shadow") else 1.0
        after = lambda v: energy + (supply - m.idle_w - m.compute_w * v * active) * h
        speed = want
        if active and after(want) < reserve:
            lo, hi = 0.0, want
            for _ in range(60):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if after(mid) >= reserve else (lo, mid)
            speed = lo
        energy = min(after(speed), m.battery_wh)
        socs.append(energy / m.battery_wh)
        speeds.append(speed if active else 1.0)
    return np.array(socs), np.array(speeds)


@pytest.mark.parametrize("throttle", ["floor", "shadow"])
def test_vectorised_batteries_match_a_scalar_simulation(throttle):
    rng = np.random.default_rng(3)
    shadow = np.repeat(rng.random((12, 5)) < 0.5, 4, axis=0)   # runs of 4 steps
    active = np.array([1, 1, 0, 1, 1], bool)
    model = PowerModel(array_w=40, battery_wh=15, compute_w=30, idle_w=1, soc_floor=0.25, initial_soc=0.8,
                       throttle=throttle, shadow_speed=0.6)
    run = simulate_power(shadow, 300.0, model, active=active)
    for s in range(5):
        soc, speed = _scalar(shadow[:, s], 300.0, model, bool(active[s]))
        np.testing.assert_allclose(run.soc[:, s], soc, atol=1e-9)
        np.testing.assert_allclose(run.speed[:, s], speed, atol=1e-9)
    assert 0 < run.throttled_share < 1
    # Computing satellites stop early enough to carry the idle load through the shadow: never below the floor.
    assert run.min_soc[active].min() == pytest.approx(0.25) and not run.below_floor


def test_one_orbit_depth_of_discharge_is_the_shadow_energy():
    # A satellite at beta ~ 0 (equinox, noon-midnight plane): the battery gives (idle + compute) W for the
    # whole shadow, 0.372 of the period, and no throttling happens with a large battery.
    shell = WalkerShell("one", 1, 1, 550.0, 87.0)
    dt = 5.0
    times = np.arange(0.0, shell.period_s, dt)
    shadow = eclipse_states(shell, times, epoch_jd=julian_date("2026-03-20T12:00Z"))
    model = PowerModel(array_w=100, battery_wh=100, compute_w=25, idle_w=10)
    run = simulate_power(shadow, dt, model)
    shadow_h = eclipse_fraction(550.0, 0.0) * shell.period_s / 3600
    assert run.max_depth_of_discharge == pytest.approx(35 * shadow_h / 100, abs=35 * 2 * dt / 3600 / 100)
    assert (run.speed == 1).all()
    assert run.energy_wh[0] == pytest.approx(35 * len(times) * dt / 3600)


def test_impossible_budgets_and_bad_values_are_refused():
    PowerModel().check_budget(eclipse_fraction=0.372, period_s=5739.0)
    with pytest.raises(InputError, match="power.idle_w: impossible power budget"):
        PowerModel(array_w=12.0, idle_w=10.0).check_budget(eclipse_fraction=0.372, period_s=5739.0)
    with pytest.raises(InputError, match="power.initial_soc: must be at least soc_floor"):
        PowerModel(soc_floor=0.5, initial_soc=0.4)
    with pytest.raises(InputError, match="power.battery_wh: must be a positive number"):
        PowerModel(battery_wh=0.0)


def test_energy_aware_placement_uses_only_powered_satellites():
    from spacexnet_opt.timeline.energy import energy_aware_placement, powered_satellites
    from spacexnet_opt.timeline.migration import LayerCost

    # Satellites 0-3 of a ring of 8; 0 and 1 sit in a long shadow that a 10 Wh battery cannot carry at 35 W.
    shadow = np.zeros((4, 8), dtype=bool)
    shadow[:, :2] = True
    model = PowerModel(battery_wh=10.0, compute_w=25.0, idle_w=2.0)
    powered = powered_satellites(shadow, 900.0, model)
    assert powered.tolist() == [False, False] + [True] * 6
    layer = LayerCost(np.arange(4), np.outer([0.9, 0.1], [1.0, 2.0, 3.0, 4.0]))
    shell = WalkerShell("ring", 1, 8, 550.0, 87.0)
    unaware = energy_aware_placement([layer], np.array([[0, 1]]), [7], shell, np.ones(8, bool), expert_gb=1.0)
    aware = energy_aware_placement([layer], np.array([[0, 1]]), [7], shell, powered, expert_gb=1.0)
    assert unaware.solve(0.0).experts.tolist() == [[0, 1]]
    assert aware.solve(0.0).experts.tolist() == [[2, 3]]   # the hot expert on the best powered satellite
