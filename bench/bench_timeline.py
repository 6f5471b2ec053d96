"""Issue 21's targets: migration-aware re-placement under drift and failures, and a day of eclipse and power.

Parts (all figures printed; anchors computed in the same run):

``drift``
    DeepSeek-V3 on instances/deepseek-v3-mega.toml: place on the decode
    in1000/out1000 load file (re-optimised linear placement), then move to the
    prefill in1000/out1000 file. Anchor: re-optimising from scratch (lambda = 0).
    For each lambda: GB moved and GB x hops as a share of the anchor's, and
    s/token (exact snapshot expectation under the prefill statistics) over the
    anchor's. Target: >= 90 % fewer bytes, s/token within 1 %.
``failure``
    The host of every layer's hottest expert fails, on the paper scenario and on
    DeepSeek-V3; the failed hosts neither compute nor relay (routes and costs go
    around them). Anchors: doing nothing (the share of tokens that need a lost
    expert) and re-optimising from scratch without the failed satellites.
    Repair: the largest lambda (fixed_hops 10: bytes first) whose linear latency is
    within 1 % of re-optimising (MigrationProblem.solve_within). Target: s/token within 1 %
    of re-optimising, moving <= 10 % of its bytes.
``power``
    One day on the paper shell and on the equal-size dawn-dusk shell, eclipse
    every 60 s from 2026-03-20 and 2026-06-21, the default power model
    (spacexnet_opt.timeline.power), every satellite computing: shadow share,
    deepest discharge, throttled share.

``topk``
    Paper scenario, hottest hosts failed: the linear re-placement and the
    trace-objective local search (timeline.topk) at the same lambda.
``energy``
    Paper scenario, one day from the June solstice, battery 25 Wh: experts
    placed ignoring power, and only on satellites that never throttle
    (timeline.energy); s/token at full speed and with the throttle (sampled
    every 2 h), hosts throttled, deepest discharge.
``shells``
    Equal-size shells (paper polar star, Walker delta 53°, dawn-dusk-550) on
    the paper's model: s/token, one day of shadow and batteries, energy-aware
    placement on 25 Wh batteries.
``speed``
    One simulated day through ``play_timeline`` on the paper scenario (also
    with the serving throughput of instances/workload-poisson.toml sampled) and on
    DeepSeek-V3 mega (each with its own snapshot count), with a failure, a drift
    step (mega), eclipse and power, four policies. Targets: < 2 min and < 15 min.

Run: PYTHONPATH=. .venv/bin/python bench/bench_timeline.py [drift|failure|power|speed ...] [--snapshots N]
[--speed-cases paper,paper+workload,mega]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spacexnet_opt.constellation import preset
from spacexnet_opt.constellation.sun import eclipse_states, julian_date
from spacexnet_opt.timeline import inputs
from spacexnet_opt.timeline.migration import grid_hops, migration_problem
from spacexnet_opt.timeline.play import initial_deployment
from spacexnet_opt.timeline.power import PowerModel, simulate_power

DATA = "../shared/data/moe-load/deepseek-v3/"
MEGA = "instances/deepseek-v3-mega.toml"
WORKLOAD = "instances/workload-poisson.toml"
PAPER = "instances/paper.toml"


def drift(snapshots: int) -> None:
    t0 = time.perf_counter()
    world = inputs.load_world(MEGA, snapshots=snapshots)
    current = initial_deployment(world).experts
    prefill = inputs.load_statistics(world, DATA + "prefill_in1000out1000.json")
    problems = {fixed: migration_problem(inputs.layer_costs(world, prefill.p), current, inputs.gateways(world),
                                         grid_hops(world.shell), expert_gb=inputs.expert_gb(world),
                                         link_rate_bps=inputs.link_rate_bps(world), fixed_hops=fixed)
                for fixed in (1.0, 10.0, 100.0)}
    moved = inputs.with_statistics(world, prefill, "prefill in1000/out1000")
    anchor = problems[1.0].solve(0.0)
    grid = ([(1.0, lam) for lam in (1e-5, 1e-4, 1.5e-4, 2e-4, 5e-4)] + [(10.0, lam) for lam in (1e-5, 5e-5, 1e-4)]
            + [(100.0, lam) for lam in (1e-5, 2e-5, 2.5e-5, 3e-5)])
    runs = [(f"{fixed:g} | {lam:g}", problems[fixed].solve(lam)) for fixed, lam in grid]
    s = inputs.s_per_token(moved, [anchor.experts, current] + [r.experts for _, r in runs],
                           ["scratch", "stay"] + [label for label, _ in runs])
    print(f"drift: DeepSeek-V3 mega ({world.n_sats:,} satellites, {snapshots} snapshots), decode -> prefill "
          f"in1000/out1000; expert {inputs.expert_gb(world):.4f} GB")
    print(f"  anchor re-optimise: {anchor.gb_moved:.1f} GB moved, {anchor.gb_hops:.1f} GB x hops, "
          f"link time {anchor.link_time_s:.1f} s, {s[0]:.6f} s/token")
    print(f"  stay (no move): s/token ratio {s[1] / s[0]:.5f}")
    print("  fixed_hops | lambda (s/token per priced GB x hop) | GB moved | share of anchor GB | share of GB x hops | "
          "s/token ratio")
    for (lam, run), value in zip(runs, s[2:]):
        print(f"  {lam} | {run.gb_moved:.1f} | {run.gb_moved / anchor.gb_moved:.4f} | "
              f"{run.gb_hops / anchor.gb_hops:.4f} | {value / s[0]:.5f}")
    print(f"  wall {time.perf_counter() - t0:.0f} s")


def failure(snapshots: int) -> None:
    for path in (PAPER, MEGA):
        t0 = time.perf_counter()
        world = inputs.load_world(path, snapshots=snapshots)
        current = initial_deployment(world).experts
        p = np.array([layer.activation for layer in world.layers])
        hottest = p.argmax(axis=1)
        failed = np.unique(current[np.arange(world.n_layers), hottest])
        affected = 1 - np.prod(1 - p[np.arange(world.n_layers), hottest])
        world = inputs.without_satellites(world, failed)          # the failed hosts neither compute nor relay
        problem = migration_problem(inputs.layer_costs(world, None, inputs.gateways(world)), current,
                                    inputs.gateways(world),
                                    grid_hops(world.shell, failed=failed), expert_gb=inputs.expert_gb(world),
                                    failed=failed, link_rate_bps=inputs.link_rate_bps(world), fixed_hops=10.0)
        scratch, fewest = problem.solve(0.0), problem.solve(1e6)
        repair, lam = problem.solve_within(0.01)
        s_scratch, s_repair, s_fewest = inputs.s_per_token(world, [scratch.experts, repair.experts, fewest.experts],
                                                           ["scratch", "repair", "fewest bytes"])
        print(f"failure: {path} ({world.n_sats:,} satellites, {snapshots} snapshots): {len(failed)} hosts of the "
              f"hottest experts fail; doing nothing loses an expert for {100 * affected:.1f} % of tokens")
        print(f"  re-optimise: {scratch.gb_moved:.2f} GB moved, {scratch.gb_hops:.2f} GB x hops, {s_scratch:.6f} s/token")
        print(f"  repair (lambda {lam:.3g}, fixed_hops 10, linear latency within 1 %): {repair.gb_moved:.2f} GB "
              f"moved ({repair.gb_moved / scratch.gb_moved:.4f} of re-optimise), "
              f"{repair.gb_hops:.2f} GB x hops, link time {repair.link_time_s:.3f} s, s/token ratio "
              f"{s_repair / s_scratch:.5f}")
        print(f"  fewest bytes (lambda 1e6): {fewest.gb_moved:.2f} GB moved ({fewest.gb_moved / scratch.gb_moved:.4f} of "
              f"re-optimise), s/token ratio {s_fewest / s_scratch:.5f}; wall {time.perf_counter() - t0:.0f} s")


def power() -> None:
    model = PowerModel()
    for name in ("paper", "dawn-dusk-550"):
        for date in ("2026-03-20", "2026-06-21"):
            t0 = time.perf_counter()
            jd = julian_date(date)
            shell = preset(name)
            shell = shell.at_epoch(jd) if hasattr(shell, "at_epoch") else shell
            shadow = eclipse_states(shell, np.arange(0, 86400, 60.0), epoch_jd=jd)
            run = simulate_power(shadow, 60.0, model)
            print(f"power: {name} from {date}, one day at 60 s: {100 * shadow.mean():.1f} % of satellite-time in "
                  f"shadow, max depth of discharge {100 * run.max_depth_of_discharge:.1f} %, throttled "
                  f"{100 * run.throttled_share:.2f} % of satellite-steps, below floor: {run.below_floor}; "
                  f"wall {time.perf_counter() - t0:.1f} s")


def topk(snapshots: int) -> None:
    """Paper scenario, hottest hosts failed: linear re-placement vs the trace-objective local search, same lambda."""
    from spacexnet_opt.solve.from_instance import layer_problem
    from spacexnet_opt.timeline.topk import replace_topk

    t0 = time.perf_counter()
    world = inputs.load_world(PAPER, snapshots=snapshots)
    current = initial_deployment(world).experts
    p = np.array([layer.activation for layer in world.layers])
    failed = np.unique(current[np.arange(world.n_layers), p.argmax(axis=1)])
    problem = migration_problem(inputs.layer_costs(world), current, inputs.gateways(world),
                                grid_hops(world.shell, failed=failed), expert_gb=inputs.expert_gb(world),
                                failed=failed, link_rate_bps=inputs.link_rate_bps(world), fixed_hops=10.0)
    problems = [layer_problem(layer, "trace") for layer in world.layers]
    columns = [layer.satellites for layer in world.layers]
    scratch = problem.solve(0.0)
    print(f"topk: paper ({snapshots} snapshots), {len(failed)} hottest hosts failed, fixed_hops 10")
    s_scratch = inputs.s_per_token(world, [scratch.experts], ["scratch"])[0]
    for lam in (1e-3, 1e-2, 1e-1):
        linear, top = problem.solve(lam), replace_topk(problems, columns, problem, lam=lam)
        s_lin, s_top = inputs.s_per_token(world, [linear.experts, top.experts], ["linear", "trace"])
        print(f"  lambda {lam:g}: linear {linear.gb_moved:.3f} GB moved, s/token x{s_lin / s_scratch:.5f}; "
              f"trace local search {top.gb_moved:.3f} GB moved, s/token x{s_top / s_scratch:.5f} "
              f"(anchor re-optimise linear: {scratch.gb_moved:.2f} GB, {s_scratch:.6f} s/token)")
    print(f"  wall {time.perf_counter() - t0:.0f} s")


def energy(snapshots: int) -> None:
    """Energy-aware placement on the paper scenario for one day from the June solstice, on tight budgets."""
    t0 = time.perf_counter()
    world = inputs.load_world(PAPER, snapshots=snapshots)
    jd = julian_date("2026-06-21")
    shadow = eclipse_states(world.shell, np.arange(0, 86400, 60.0), epoch_jd=jd)
    unaware = initial_deployment(world)
    for battery in (25.0, 28.0, 30.0, 32.0):
        _energy_case(world, shadow, PowerModel(battery_wh=battery), unaware)
    print(f"  wall {time.perf_counter() - t0:.0f} s")


def _energy_case(world, shadow, model, unaware) -> None:
    from spacexnet_opt.timeline.energy import powered_satellites

    powered = powered_satellites(shadow, 60.0, model)
    aware = initial_deployment(world, powered=powered)
    print(f"energy: paper ({world.snapshots.n_snapshots} snapshots), one day from 2026-06-21 at 60 s, battery "
          f"{model.battery_wh:g} Wh (other defaults): {powered.sum()} of {world.n_sats} satellites powered at full "
          f"speed; {(~powered[unaware.gateways]).sum()} of the partition's gateways not, "
          f"{(aware.gateways != unaware.gateways).sum()} moved")
    for name, plan in (("unaware", unaware), ("aware", aware)):
        active = np.zeros(world.n_sats)
        active[np.concatenate([plan.hosts.ravel(), plan.gateways])] = 1
        run = simulate_power(shadow, 60.0, model, active=active)
        hosts, gw = np.unique(plan.hosts), plan.gateways
        plain = inputs.deployment_s_per_token(world, plan)
        print(f"  {name}: {plain:.6f} s/token at full speed; expert hosts ever throttled {(~powered[hosts]).sum()} of "
              f"{len(hosts)}, expert-host time throttled {100 * (run.speed[:, hosts] < 1).mean():.2f} %, gateway time "
              f"throttled {100 * (run.speed[:, gw] < 1).mean():.2f} %, max depth of discharge "
              f"{100 * run.max_depth_of_discharge:.1f} %, below floor {run.below_floor}")


SHELLS = {
    "paper (polar star 87°)": 'preset = "paper"',
    "Walker delta 53° 33x32": 'walker = { n_planes = 33, sats_per_plane = 32, altitude_km = 550.0, inclination_deg = 53.0, '
                              'phasing = 1, pattern = "delta" }',
    "dawn-dusk-550": 'preset = "dawn-dusk-550"',
}


def shells(snapshots: int) -> None:
    """Equal-size shells (1,056 satellites, 550 km) on the paper's model: s/token of the re-optimised placement,
    one day of shadow and batteries from both dates, and the energy-aware placement on 25 Wh batteries."""
    import tempfile
    from pathlib import Path

    from spacexnet_opt.timeline.energy import energy_aware_placement, powered_satellites

    text = Path(PAPER).read_text()
    for label, line in SHELLS.items():
        with tempfile.TemporaryDirectory() as tmp:
            scenario = Path(tmp) / "shell.toml"
            scenario.write_text(text.replace('preset = "paper"', line, 1))
            world = inputs.load_world(scenario, snapshots=snapshots)
        start = initial_deployment(world).experts
        s_start = inputs.s_per_token(world, [start], ["start"])[0]
        parts = [f"shells: {label}: {s_start:.6f} s/token"]
        for date in ("2026-03-20", "2026-06-21"):
            jd = julian_date(date)
            shell = world.shell.at_epoch(jd) if hasattr(world.shell, "at_epoch") else world.shell
            shadow = eclipse_states(shell, np.arange(0, 86400, 60.0), epoch_jd=jd)
            active = np.zeros(world.n_sats, dtype=bool)
            active[np.concatenate([start.ravel(), inputs.gateways(world)])] = True
            run = simulate_power(shadow, 60.0, PowerModel(), active=active)
            powered = powered_satellites(shadow, 60.0, PowerModel(battery_wh=25.0))
            aware = energy_aware_placement(inputs.layer_costs(world), start, inputs.gateways(world), shell, powered,
                                           expert_gb=inputs.expert_gb(world)).solve(0.0).experts
            s_aware = inputs.s_per_token(world, [aware], ["aware"])[0]
            parts.append(f"{date}: shadow {100 * shadow.mean():.1f} %, placement's max depth of discharge "
                         f"{100 * run.max_depth_of_discharge:.1f} %; 25 Wh: {powered.sum()} powered, energy-aware "
                         f"x{s_aware / s_start:.4f}, gateways unpowered {(~powered[inputs.gateways(world)]).sum()}")
        print("; ".join(parts))


def speed(snapshots: int, *, cases=("paper", "paper+workload", "mega")) -> None:
    """``play_timeline`` wall time for one day: paper scenario (its 200 snapshots; also with the serving
    throughput of instances/workload-poisson.toml at every sample) and DeepSeek-V3 mega (its 50), a scripted
    failure and a drift step, eclipse and power, all four policies."""
    import tempfile
    from pathlib import Path

    from spacexnet_opt.timeline.play import play_timeline

    runs = {"paper": (PAPER, None, None), "paper+workload": (PAPER, None, Path(WORKLOAD).resolve()),
            "mega": (MEGA, DATA + "prefill_in1000out1000.json", None)}
    for case in cases:
        path, drift, workload = runs[case]
        text = Path(path).read_text().replace('file = "../../shared/', f'file = "{Path("..").resolve()}/shared/')
        text += '\n[timeline]\nduration_days = 1\nsample_h = 1\n[[timeline.failures]]\nsatellite = 600\nat_h = 5\n'
        if drift:
            text = text.replace("[[timeline.failures]]", f'drift = ["{Path(drift).resolve()}"]\n[[timeline.failures]]')
        with tempfile.TemporaryDirectory() as tmp:
            scenario = Path(tmp) / "day.toml"
            scenario.write_text(text)
            t0, c0 = time.perf_counter(), time.process_time()
            result = play_timeline(scenario, workload=workload)
            print(f"speed: {case} ({path}), one day: wall {time.perf_counter() - t0:.1f} s, "
                  f"CPU {time.process_time() - c0:.1f} s; "
                  + ", ".join(f"{name} mean {np.mean(t.s_per_token):.6f} s/token"
                              + (f", {np.mean(t.tokens_per_s):.4g} tokens/s" if t.tokens_per_s else "")
                              + f", {t.gb_moved:.2f} GB moved" for name, t in result.policies.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("parts", nargs="*", default=["drift", "failure", "power"])
    parser.add_argument("--snapshots", type=int, default=8)
    parser.add_argument("--speed-cases", default="paper,paper+workload,mega",
                        help="speed: comma-separated cases among paper, paper+workload, mega")
    args = parser.parse_args()
    for part in args.parts:
        if part == "power":
            power()
        elif part == "speed":
            speed(args.snapshots, cases=args.speed_cases.split(","))
        else:
            globals()[part](args.snapshots)


if __name__ == "__main__":
    main()
