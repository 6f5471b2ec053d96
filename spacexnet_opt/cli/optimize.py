"""CLI commands ``optimize`` (scenario -> deployment file) and ``convert`` (instance + placement -> deployment file)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .console import progress_bar, result_console, stage_reporter
from .method_options import method_options as parse_options

__all__ = ["register"]


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
    ) -> None:
        """Optimise the whole deployment (gateways, subnet shape, replicas); the paper's deployment by default."""
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
