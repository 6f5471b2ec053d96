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


def _checked_points(grid, max_points: int) -> list:
    """The grid's points (repeats kept), each validated, with a progress bar while they are checked."""
    from ..sweep import grid_points

    with _bar() as bar:
        task = bar.add_task(f"checking {grid.name}", total=grid.size(), failed=0, remaining=grid.size())
        return grid_points(grid, max_points=max_points, progress=lambda done, total: bar.update(
            task, completed=done, remaining=total - done))


def register(app: typer.Typer) -> None:
    """Add the ``sweep`` command to the root app."""

    @app.command("sweep")
    def sweep(
        grid_file: Path = typer.Argument(..., help="Grid file (TOML): base scenario and axes."),
        out: Path = typer.Option(..., "--out", metavar="DIR", help="Directory of results.sqlite (and the CSV and PNGs)."),
        workers: Optional[int] = typer.Option(None, "--workers", min=0,
                                              help="Local Dask workers (0: no Dask, every point in this process).",
                                              show_default="one per core"),
        scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                                help="Address of a running Dask scheduler, e.g. "
                                                     "tcp://127.0.0.1:8786 (instead of a local cluster)."),
        connect_timeout: float = typer.Option(5.0, "--connect-timeout", min=0.1,
                                              help="Seconds to wait for --scheduler to answer."),
        lock_timeout: float = typer.Option(10.0, "--lock-timeout", min=0.0,
                                           help="Seconds to wait for a results.sqlite another process holds "
                                                "locked."),
        max_points: int = typer.Option(100_000, "--max-points", min=1,
                                       help="Refuse a grid of more points (before checking any)."),
        csv: bool = typer.Option(False, "--csv", help="Also export the database to DIR/results.csv."),
        plot: bool = typer.Option(False, "--plot", help="Also draw DIR/sweep_<axis>.png, one per axis (Fig. 7 "
                                                        "style), and for a load sweep DIR/serving_curve.png "
                                                        "(p99 TPOT against tokens/s per scheme)."),
    ) -> None:
        """Run every unfinished point of GRID_FILE; a re-run skips the points already in DIR/results.sqlite."""
        from ..fileio import discard_pending_outputs
        from ..sweep import DB_NAME, ResultsDB, distinct, load_grid, run_sweep
        from ..sweep.cluster import check_scheduler, check_workers
        from ..sweep.db import inspect_results
        from ..sweep.plot import plot_axes, plot_serving
        from ..sweep.points import check_size
        from .exit_codes import INTERRUPTED, interrupt_message

        if scheduler is not None:
            check_scheduler(scheduler)
        check_workers(workers)
        grid = load_grid(grid_file)
        check_size(grid, max_points=max_points)
        database = Path(out) / DB_NAME
        inspect_results(database, lock_timeout=lock_timeout)  # nothing written to a database not ours
        every = _checked_points(grid, max_points)
        points = distinct(every)
        kept = {"done": None}

        def message() -> str:
            if kept["done"] is None:
                return INTERRUPTED
            return (f"error: interrupted (Ctrl-C); {kept['done']} of {len(points)} points kept in {database} "
                    "(the same command resumes)")

        with _bar() as bar, interrupt_message(message):
            task = bar.add_task(f"sweep {grid.name}", total=len(points), failed=0, remaining=len(points))

            def progress(done: int, failed: int, total: int) -> None:
                kept["done"] = done
                bar.update(task, completed=done, failed=failed, remaining=total - done)

            try:
                summary = run_sweep(grid, out, workers=workers, scheduler=scheduler, connect_timeout=connect_timeout,
                                    lock_timeout=lock_timeout, progress=progress, points=points)
            except KeyboardInterrupt:  # in-process runs; the console script's watcher prints message() itself
                discard_pending_outputs()
                typer.echo(message(), err=True)
                raise typer.Exit(130) from None
        typer.echo(f"{summary.points} points: {summary.skipped} finished before, {summary.run} run "
                   f"({summary.failed} failed) in {summary.seconds:.1f} s -> {summary.database}")
        if csv:
            db = ResultsDB(summary.database, readonly=True, lock_timeout=lock_timeout)
            rows = db.export_csv(Path(out) / "results.csv")
            db.close()
            typer.echo(f"wrote {Path(out) / 'results.csv'} ({rows} rows)")
        if plot:
            for path in [*plot_axes(grid, summary.database, out, points=every), plot_serving(summary.database, out)]:
                if path is not None:
                    typer.echo(f"wrote {path}")
        if summary.failed:
            raise typer.Exit(1)
