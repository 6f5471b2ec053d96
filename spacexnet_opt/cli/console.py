"""Rich consoles and progress bars shared by the CLI commands.

Results go to stdout (wide enough for tables when piped); progress goes to
stderr and is drawn only on a terminal, so piped output stays clean.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..progress import Progress as ProgressCallback

__all__ = ["result_console", "progress_bar", "stage_reporter"]


def result_console(min_width: int = 140) -> Console:
    """Console on stdout; at least ``min_width`` columns when not a terminal."""
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, min_width)
    return console


def progress_bar(*, label: str = "{task.description}", disable: bool = False) -> Progress:
    """A transient progress bar on stderr (label, bar, done/total, elapsed time)."""
    console = Console(stderr=True)
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=disable or not console.is_terminal)


def stage_reporter(bar: Progress) -> ProgressCallback:
    """A :class:`spacexnet_opt.progress.Progress` callback drawing one bar per stage name on ``bar``."""
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    return progress
