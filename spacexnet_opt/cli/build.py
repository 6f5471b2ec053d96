"""CLI commands: ``build`` (scenario -> instance file) and ``partition`` (show the ring bands)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from .console import progress_bar, stage_reporter


def _summary(instance, output: Path, seconds: float) -> Table:
    table = Table(title=f"{output}  ({seconds:.2f} s)", show_header=True)
    for col in ("layer", "gateway", "next", "candidates", "experts", "tau min (ms)", "tau max (ms)", "max P(disc)"):
        table.add_column(col, justify="right")
    for lay in instance.layers:
        tau = np.asarray(lay.tau_s) * 1e3
        disc = max(lay.disconnect_prob or [0.0])
        table.add_row(str(lay.layer), str(lay.gateway), str(lay.next_gateway), str(lay.n_candidates),
                      str(lay.n_experts), f"{tau.min():.2f}", f"{tau.max():.2f}", f"{disc:.3f}")
    return table


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("build")
    def build(
        scenario: Path = typer.Argument(..., help="Scenario file (TOML), e.g. instances/paper.toml."),
        output: Path = typer.Option(..., "-o", "--output", help="Instance file to write (JSON)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary table."),
    ) -> None:
        """Build the instance file of a scenario: one placement subproblem per MoE layer."""
        from ..setting import build_from_file
        from ..formats.instance import save_instance

        start = time.perf_counter()
        with progress_bar(disable=quiet) as bar:
            instance = build_from_file(scenario, progress=stage_reporter(bar))
        save_instance(instance, output)
        if not quiet:
            Console().print(_summary(instance, output, time.perf_counter() - start))
        typer.echo(f"wrote {output}: {len(instance.layers)} layers")

    @app.command("partition")
    def partition(scenario: Path = typer.Argument(..., help="Scenario file (TOML).")) -> None:
        """Show a scenario's ring bands, their layers, sizes and central gateways (no routing)."""
        from ..setting import setting_from_file

        setting = setting_from_file(scenario)
        shell, part, center = setting.shell, setting.partition, setting.gateways("center")
        table = Table(title=f"{scenario}: {shell.n_planes} planes x {shell.sats_per_plane} slots, "
                            f"{part.n_layers} layers in {part.n_bands} bands")
        for col in ("band", "layers", "slots", "satellites", "center gateway (plane, slot)"):
            table.add_column(col, justify="right")
        for b, (start, stop) in enumerate(part.band_slots):
            layers = np.flatnonzero(part.layer_band == b)
            plane, slot = divmod(int(center[b]), part.sats_per_plane)
            table.add_row(str(b), f"{layers[0]}-{layers[-1]}" if len(layers) > 1 else str(layers[0]),
                          f"{start}-{stop - 1}", str(len(part.members(b))), f"{center[b]} ({plane}, {slot})")
        Console().print(table)
