"""Run a grid: every point a task on Dask distributed (or in this process), results into SQLite.

The ISL snapshots of each distinct shell are one task, computed once and
handed to every point on that shell. The client commits each point's rows as
the point finishes; a re-run skips the points already finished. A point that
raises is recorded with its error and the sweep goes on; a task whose worker
dies is rescheduled by Dask on another worker.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cluster import CONNECT_TIMEOUT_S, check_scheduler, check_workers, connect
from .db import DB_NAME, LOCK_TIMEOUT_S, ResultsDB, inspect_results
from .grid import Grid
from .points import Point, distinct, grid_points, shell_key
from .task import run_point, shell_snapshots
from ..constellation.presets import PRESETS

__all__ = ["SweepSummary", "run_sweep"]

Progress = Callable[[int, int, int], None]
"""``progress(done, failed, total)``: points finished, of which failed, out of all."""


@dataclass(frozen=True)
class SweepSummary:
    """What one run did: ``points`` in the grid, ``skipped`` (finished before), ``run``, ``failed``."""

    points: int
    skipped: int
    run: int
    failed: int
    seconds: float
    database: Path


def _serial(todo: list[Point], source: str, record: Callable[[Point, dict], None]) -> None:
    """Every point in this process, building each shell's snapshots once (in grid order: one cached)."""
    cached: tuple[str | None, object] = (None, None)
    for point in todo:
        key = shell_key(point)
        if key != cached[0]:
            try:
                cached = (key, shell_snapshots(point.spec, source))
            except Exception:  # the point's own run reports it
                cached = (key, None)
        record(point, run_point(point.spec, source, list(point.schemes), point.run, cached[1], point.levers,
                                point.workload, point.workload_source))


def _distributed(todo: list[Point], source: str, record: Callable[[Point, dict], None], client) -> None:
    """Every point as a Dask task on ``client``; each shell's snapshots one task shared by its points."""
    from dask.distributed import as_completed

    waiting = Counter(shell_key(p) for p in todo)
    shells = {key: client.submit(shell_snapshots, point.spec, source, key=f"shell-{key}", priority=_priority(point))
              for key, point in {shell_key(p): p for p in reversed(todo)}.items() if waiting[key] > 1}
    futures = {client.submit(run_point, p.spec, source, list(p.schemes), p.run, shells.get(shell_key(p)),
                             p.levers, p.workload, p.workload_source, key=f"point-{p.hash}",
                             priority=_priority(p)): p for p in todo}
    for future in as_completed(futures):
        point = futures.pop(future)
        if future.status == "finished":
            record(point, future.result())
        else:
            error = future.exception()
            record(point, {"error": f"{type(error).__name__}: {error}"})
        future.release()
        waiting[shell_key(point)] -= 1
        if not waiting[shell_key(point)] and shell_key(point) in shells:  # its snapshots leave the cluster
            shells.pop(shell_key(point)).release()


def _priority(point: Point) -> int:
    """A point's Dask priority: satellites x snapshots, so the largest shells start first and the
    small points fill the end (the last worker to finish waits less)."""

    shell = point.spec.constellation
    walker = shell.walker or PRESETS.get(shell.preset)
    satellites = walker.n_planes * walker.sats_per_plane if walker is not None else 1  # a TLE shell: unknown
    return satellites * point.spec.snapshots.count


def run_sweep(grid: Grid, out: str | os.PathLike, *, workers: int | None = None, scheduler: str | None = None,
              connect_timeout: float = CONNECT_TIMEOUT_S, lock_timeout: float = LOCK_TIMEOUT_S,
              progress: Progress | None = None, points: list[Point] | None = None) -> SweepSummary:
    """Run every unfinished point of ``grid``, writing ``out/results.sqlite``.

    Nothing is written until the database is recognised (:func:`~.db.inspect_results`) and the
    points can run (the scheduler answered, or the local cluster started); only then is ``out``
    created.

    Parameters
    ----------
    grid : Grid
    out : path
        Directory of the results database (created).
    workers : int, optional
        Dask workers of the local cluster (default: one per core); 0 runs every
        point in this process, without Dask.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) to use instead
        of a local cluster; checked first (:func:`~.cluster.check_scheduler`).
    connect_timeout : float
        Seconds to wait for the scheduler to answer.
    lock_timeout : float
        Seconds to wait for a results database another process holds locked.
    progress : callable, optional
        ``progress(done, failed, total)`` after every point.
    points : list of Point, optional
        ``distinct(grid_points(grid))`` when already computed.

    Raises
    ------
    InputError
        A bad scheduler address or no answer from it (field ``scheduler``); a results database that is
        not this tool's, unreadable or locked (naming the file); a bad grid.
    """
    start = time.perf_counter()
    if scheduler is not None:
        check_scheduler(scheduler)
    check_workers(workers)
    database = Path(out) / DB_NAME
    inspect_results(database, lock_timeout=lock_timeout)
    points = distinct(grid_points(grid)) if points is None else points
    client, cluster = (None, None) if workers == 0 and scheduler is None else \
        connect(workers=workers, scheduler=scheduler, connect_timeout=connect_timeout)
    try:
        db = _open(grid, database, lock_timeout)
        try:
            summary = _run(db, points, str(grid.base_path().resolve()), client, progress)
        finally:
            db.close()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return SweepSummary(*summary, time.perf_counter() - start, database)


def _open(grid: Grid, database: Path, lock_timeout: float) -> ResultsDB:
    """The results database of ``grid`` at ``database``, its directory created; if that fails, a
    directory this call created is removed again (when still empty)."""
    created = not database.parent.exists()
    text = Path(grid.source).read_text(encoding="utf-8") if Path(grid.source).is_file() else ""
    try:
        return ResultsDB(database, grid.columns(), grid_text=text, grid_name=grid.name, lock_timeout=lock_timeout)
    except BaseException:
        if created and database.parent.is_dir() and not any(database.parent.iterdir()):
            database.parent.rmdir()
        raise


def _run(db: ResultsDB, points: list[Point], source: str, client, progress: Progress | None) -> tuple[int, ...]:
    """Run the points of ``points`` not finished in ``db``; ``(points, skipped, run, failed)``."""
    finished = db.finished()
    todo = [p for p in points if p.hash not in finished]
    counts = {"done": len(points) - len(todo), "failed": 0}
    say = progress or (lambda done, failed, total: None)
    say(counts["done"], 0, len(points))

    def record(point: Point, result: dict) -> None:
        db.record(point_hash=point.hash, point_index=point.index, params=point.params, schemes=list(point.schemes),
                  result=result)
        counts["done"] += 1
        counts["failed"] += "error" in result
        say(counts["done"], counts["failed"], len(points))

    if todo and client is None:
        _serial(todo, source, record)
    elif todo:
        _distributed(todo, source, record, client)
    return len(points), len(points) - len(todo), len(todo), counts["failed"]
