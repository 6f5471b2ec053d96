"""CLI commands ``optimize`` (scenario -> deployment file) and ``convert`` (instance + placement -> deployment file)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .console import progress_bar, result_console, stage_reporter
from .method_options import method_options as parse_options

__all__ = ["register", "OBJECTIVES"]

OBJECTIVES = ("latency", "throughput")


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` and ``convert`` commands to the root app."""

    @app.command("convert")
    def convert_command(
        instance: Path = typer.Argument(..., help="Instance file (spacexnet build -o)."),
        placement: Path = typer.Argument(..., help="Placement file of that instance (spacexnet solve -o)."),
        out: Path = typer.Option(..., "-o", "--output", "--out", help="Deployment file to write (atomically)."),
    ) -> None:
        """Convert an instance + placement pair into a deployment file (lossless)."""
        from ..evaluate import deployment_from_pair
        from ..formats.deployment import save_deployment

        save_deployment(deployment_from_pair(instance, placement, out=out), out)
        typer.echo(f"wrote {out}")

    register_optimize(app)


def _summary(result, title: str):
    from rich.table import Table

    table = Table(title=title)
    for col in ("decision", "method", "status", "objective", "runtime (s)"):
        table.add_column(col)
    for d in result.decisions:
        table.add_row(d.decision, d.method, d.status.value, "" if d.objective is None else f"{d.objective:.6g}",
                      f"{d.runtime_s:.2f}")
    return table


def register_optimize(app: typer.Typer) -> None:
    """Add the ``optimize`` command."""

    @app.command("optimize")
    def optimize_command(
        scenario: Path = typer.Argument(..., help="Scenario file (.toml) or instance file (JSON)."),
        out: Path = typer.Option(..., "-o", "--output", "--out", help="Deployment file to write (atomically)."),
        shape: str = typer.Option("bands", "--shape", help="Subnet shape: bands (paper), regions, free."),
        ring: str = typer.Option("bands", "--ring", help="With --shape free: the gateway ring, bands or regions."),
        gateways: str = typer.Option("center", "--gateways", help="center (paper) or dp (all gateways jointly)."),
        replicas: int = typer.Option(0, "--replicas", help="Budget R of expert copies on spare satellites."),
        replica_method: str = typer.Option("greedy", "--replica-method", help="greedy (bounded) or milp (exact, small)."),
        capacity: int = typer.Option(1, "--capacity", help="Experts of one layer per satellite (memory permitting)."),
        gateway_candidates: int = typer.Option(16, "--gateway-candidates", help="Gateway candidates per layer for dp."),
        opt_snapshots: int = typer.Option(0, "--opt-snapshots", min=0,
                                          help="Snapshots averaged for the gateway search's delays "
                                               "(0: the mean-delay ISL graph)."),
        compute_group: str = typer.Option("none", "--compute-group",
                                          help="Split each layer's non-expert work: none (paper), waterfill, exact."),
        group_size: int = typer.Option(16, "--group-size", help="Most satellites in one compute group."),
        group_candidates: int = typer.Option(32, "--group-candidates", help="Nearest satellites considered per group."),
        method_options: Optional[list[str]] = typer.Option(
            None, "--option", "-O", metavar="KEY=VALUE",
            help="A method option, repeatable: KEY=VALUE or METHOD.KEY=VALUE for the methods the levers run "
                 "(capacity-search with --capacity above 1, global-lap with --shape free, milp with "
                 "--replica-method milp), e.g. -O time_limit=30."),
        objective: str = typer.Option("latency", "--objective",
                                      help="latency (s/token of one token) or throughput (tokens/s at the "
                                           "workload's SLO: a fleet of rings, docs/serving.md)."),
        workload: Optional[Path] = typer.Option(None, "--workload",
                                                help="With --objective throughput: the workload file (lengths, SLO)."),
        ring_planes: int = typer.Option(0, "--ring-planes", min=0,
                                        help="With --objective throughput: orbital planes per ring (0: the best "
                                             "bound of 2, 3, 4, 6, 8)."),
        check_requests: int = typer.Option(300, "--check-requests", min=0,
                                           help="With --objective throughput: requests per simulated run of the "
                                                "check (0: no simulation, the LP bound only)."),
    ) -> None:
        """Optimise the whole deployment (gateways, subnet shape, replicas); the paper's deployment by default."""
        if objective not in OBJECTIVES:
            from ..errors import InputError

            raise InputError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}", field="--objective")
        if objective == "throughput":
            _throughput(scenario, out, workload, ring_planes or None, check_requests)
            return
        from ..evaluate import deployment_to_file, predicted_from, world_from_file
        from ..evaluate.memory import check_world_memory, scenario_memory
        from ..formats.deployment import save_deployment, scenario_ref
        from ..optimize import Levers, optimize_deployment
        from ..optimize.method_options import METHOD_OPTIONS, chosen_methods

        import time

        levers = Levers.of(shape=shape, ring=ring, gateways=gateways, replicas=replicas, replica_method=replica_method,
                           capacity=capacity, gateway_candidates=gateway_candidates, opt_snapshots=opt_snapshots,
                           compute_group=compute_group, group_size=group_size, group_candidates=group_candidates)
        tuned = parse_options(method_options, chosen_methods(levers), METHOD_OPTIONS)
        start = time.perf_counter()
        with progress_bar() as bar:
            progress = stage_reporter(bar)
            progress("building the world", 0, 1)
            world = world_from_file(scenario)
            progress("building the world", 1, 1)
            memory, bpp = scenario_memory(scenario, world.shell) if levers.groups else (None, 2.0)
            result = optimize_deployment(world, levers, memory=memory, bytes_per_param=bpp, method_options=tuned,
                                         progress=progress)
        check_world_memory(result.plan, world, source=scenario)
        ev = result.evaluation
        doc = deployment_to_file(result.plan, scenario_ref(scenario, relative_to=out.parent), methods=result.methods,
                           objectives=ev.snapshot.propagation_s, decisions=result.decisions,
                           options={**result.options, "runtime_s": time.perf_counter() - start},
                           predicted=predicted_from(ev))
        save_deployment(doc, out)
        console = result_console()
        console.print(_summary(result, f"optimize {scenario}"))
        base = result.baseline.snapshot
        console.print(f"Space-XNet: {base.total_s:.4f} s/token (propagation {base.propagation_s.sum():.4f})  ->  "
                      f"optimised: {ev.snapshot.total_s:.4f} s/token (propagation {ev.snapshot.propagation_s.sum():.4f})"
                      f"; exact snapshot means; {time.perf_counter() - start:.1f} s")
        typer.echo(f"wrote {out}")


def _throughput(scenario: Path, out: Path, workload_path: Optional[Path], planes: Optional[int],
                check_requests: int) -> None:
    """``optimize --objective throughput``: the fleet, its LP bound, the simulator's check, the files."""
    from ..errors import InputError
    from ..evaluate import world_from_file
    from ..formats.workload import load_workload
    from ..optimize.serving import (bound_record, check_deployments, fleet_compute_limit, optimize_throughput,
                                    serving_models, write_fleet)
    from ..serve.fleet import with_count
    from ..serve.requests import draw_requests

    if workload_path is None:
        raise InputError("the throughput objective needs --workload W.toml (lengths and SLO)", field="--workload")
    workload = load_workload(workload_path)
    if workload.slo.tpot_s is None and check_requests:
        raise InputError("the workload sets no slo.tpot_s to optimise for", field="slo.tpot_s", source=workload_path)
    requests = draw_requests(workload, source=workload_path)
    with progress_bar() as bar:
        progress = stage_reporter(bar)
        progress("building the world", 0, 1)
        world = world_from_file(scenario)
        progress("building the world", 1, 1)
        result = optimize_throughput(world, prompt=requests.prompt, output=requests.output, planes_per_ring=planes)
        bound = result.bound
        limit = fleet_compute_limit(world, result.fleet.rings[0], prompt=requests.prompt, output=requests.output)
        check: dict = {}
        if check_requests:
            short = with_count(workload, check_requests)
            models = serving_models(result.fleet.rings, world)
            check = check_deployments(models, result.fleet.split, short, start_rate=0.1 * bound.requests_per_s,
                                      max_rate=bound.requests_per_s, progress=progress)
    paths = write_fleet(result.fleet, scenario, out, bound=bound_record(bound, limit), check=check)
    console = result_console()
    console.print(f"{len(result.fleet.rings)} rings on {result.fleet.n_satellites} satellites; capacity LP bound "
                  f"{bound.tokens_per_s:.1f} output tokens/s ({bound.requests_per_s:.4g} requests/s; compute limit "
                  f"{limit:.1f}; busiest satellite {bound.bottleneck})")
    if check:
        console.print(f"simulated: zero-load TPOT {check['zero_load_tpot_s']:.3f} s; p99 TPOT <= "
                      f"{check['tpot_target_s']:g} s up to {check['max_rate_per_s']:.4g} requests/s = "
                      f"{check['offered_tokens_per_s']:.1f} tokens/s offered ({check['tokens_per_s']:.1f} measured "
                      f"over {check_requests} requests, drain included)")
    typer.echo(f"wrote {out} and {len(paths) - 1} ring files")

