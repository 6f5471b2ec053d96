"""CLI command ``sweep``: run a grid file on Dask distributed into a SQLite results database."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def _bar():
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = Console(stderr=True)
    counts = TextColumn("{task.completed:.0f} done · {task.fields[failed]} failed · {task.fields[remaining]} "
                        "remaining")
    return Progress(TextColumn("{task.description}"), BarColumn(), counts, TextColumn("ETA"), TimeRemainingColumn(),
                    TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to the root app."""

    @app.command("sweep")
    def sweep(
        grid_file: Path = typer.Argument(..., help="Grid file (TOML): base scenario and axes."),
        out: Path = typer.Option(..., "--out", help="Directory of results.sqlite (and the CSV and PNGs)."),
        workers: Optional[int] = typer.Option(None, "--workers", min=0,
                                              help="Local Dask workers (default: one per core; 0: no Dask, "
                                                   "every point in this process)."),
        scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                                help="Address of a running Dask scheduler, e.g. "
                                                     "tcp://127.0.0.1:8786 (instead of a local cluster)."),
        csv: bool = typer.Option(False, "--csv", help="Also export the database to DIR/results.csv."),
        plot: bool = typer.Option(False, "--plot", help="Also draw DIR/sweep_<axis>.png, one per axis (Fig. 7 "
                                                        "style)."),
    ) -> None:
        """Run every unfinished point of GRID_FILE; a re-run skips the points already in DIR/results.sqlite."""
        from ..sweep import ResultsDB, distinct, grid_points, load_grid, run_sweep
        from ..sweep.plot import plot_axes

        grid = load_grid(grid_file)
        total = len(distinct(grid_points(grid)))  # every point validated before any task starts
        with _bar() as bar:
            task = bar.add_task(f"sweep {grid.name}", total=total, failed=0, remaining=total)

            def progress(done: int, failed: int, total: int) -> None:
                bar.update(task, completed=done, failed=failed, remaining=total - done)

            summary = run_sweep(grid, out, workers=workers, scheduler=scheduler, progress=progress)
        typer.echo(f"{summary.points} points: {summary.skipped} finished before, {summary.run} run "
                   f"({summary.failed} failed) in {summary.seconds:.1f} s -> {summary.database}")
        if csv:
            db = ResultsDB(summary.database, grid.columns())
            rows = db.export_csv(Path(out) / "results.csv")
            db.close()
            typer.echo(f"wrote {Path(out) / 'results.csv'} ({rows} rows)")
        if plot:
            for path in plot_axes(grid, summary.database, out):
                typer.echo(f"wrote {path}")
        if summary.failed:
            raise typer.Exit(1)
