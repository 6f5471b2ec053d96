"""CLI command ``export``: one layer's placement model as an LP or MPS file."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError

__all__ = ["register"]


def export_command(
    instance: Path = typer.Argument(..., help="Instance file (spacexnet-instance JSON) or QAPLIB .dat file."),
    output: Path = typer.Option(..., "-o", "--output", help="Model file to write (atomically)."),
    layer: Optional[int] = typer.Option(None, "--layer", "-l", help="MoE layer number; optional for one-layer files."),
    objective: Optional[str] = typer.Option(None, "--objective", help="linear, top2 or trace; not for QAPLIB.",
                                             show_default="linear"),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="lp or mps.", show_default="the suffix of -o"),
    all_candidates: bool = typer.Option(
        False, "--all-candidates", help="Keep every candidate (without it, bottleneck models keep the m fastest, which is exact)."
    ),
) -> None:
    """Write the MILP of one layer as a solver-neutral LP or MPS model file.

    Binary x_i_s is 1 when expert i sits on candidate column s (satellite
    satellites[s] of the layer); the model's optimum is the placement objective.
    """
    from ..solve.export import FORMATS, export_model
    from ..solve.from_instance import load_problems

    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown model format {fmt!r}; valid formats: {', '.join(FORMATS)} "
                         "(give --format or an .lp/.mps output name)", field="--format")
    jobs = load_problems(instance, objective)
    if layer is None:
        if len(jobs) != 1:
            raise InputError(f"has {len(jobs)} layers; choose one with --layer", source=instance)
        job = jobs[0]
    else:
        matches = [j for j in jobs if j.layer == layer]
        if not matches:
            raise InputError(f"no layer {layer}; layers are {', '.join(str(j.layer) for j in jobs)}",
                             field="--layer", source=instance)
        job = matches[0]
    export_model(job.problem, output, fmt=fmt, restrict=not all_candidates)
    m, n = job.problem.shape
    typer.echo(f"wrote {output} ({fmt}, layer {job.layer}, {job.problem.kind}, {m} experts x {n} candidates)")


def register(app: typer.Typer) -> None:
    """Add ``export`` to the root app."""
    app.command("export")(export_command)
