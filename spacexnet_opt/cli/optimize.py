"""CLI commands ``optimize`` (scenario -> deployment file) and ``convert`` (instance + placement -> deployment file).

``spacexnet evaluate DEPLOYMENT`` (one argument) is served by
:func:`evaluate_deployment_command` from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .console import progress_bar, result_console, stage_reporter

__all__ = ["register", "evaluate_deployment_command"]


def evaluate_deployment_command(path: Path, *, json_out: Optional[Path], tokens: int, seed: int,
                                gflops: Optional[float], context_len: int, link_seed: Optional[int]) -> None:
    """``spacexnet evaluate DEPLOYMENT``: the deployment on the world of its own scenario or instance."""
    from ..deploy import evaluate_plans, load_deployment_world
    from ..fileio import write_json_atomic
    from .evaluate import evaluate_table, with_compute_options

    with progress_bar() as bar:
        progress = stage_reporter(bar)
        progress("building the world", 0, 1)
        doc, plan, world = load_deployment_world(path, link_seed=link_seed)
        world = with_compute_options(world, gflops=gflops, context_len=context_len)
        progress("building the world", 1, 1)
        ev = evaluate_plans(world, [plan], tokens=tokens, seed=seed,
                            progress=lambda done, total: progress("routing", done, total))[0]
    out = ev.to_json()
    out["deployment"] = doc.name
    if plan.replicated:
        out["replicas"] = plan.n_replicas
    if doc.predicted is not None:
        out["predicted_s_per_token"] = doc.predicted.s_per_token
    console = result_console()
    console.print(evaluate_table(out, f"{doc.name} ({path})"))
    if doc.predicted is not None:
        console.print(f"predicted by the optimiser: {doc.predicted.s_per_token:.4f} s/token (exact snapshot mean)")
    if json_out is not None:
        write_json_atomic(json_out, out)
        typer.echo(f"wrote {json_out}")


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` and ``convert`` commands to the root app."""

    @app.command("convert")
    def convert_command(
        instance: Path = typer.Argument(..., help="Instance file (spacexnet build -o)."),
        placement: Path = typer.Argument(..., help="Placement file of that instance (spacexnet solve -o)."),
        out: Path = typer.Option(..., "-o", "--out", help="Deployment file to write (atomically)."),
    ) -> None:
        """Convert an instance + placement pair into a deployment file (lossless)."""
        from ..deploy import deployment_from_pair, save_deployment

        save_deployment(deployment_from_pair(instance, placement, out=out), out)
        typer.echo(f"wrote {out}")
