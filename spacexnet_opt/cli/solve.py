"""CLI commands ``solve`` (one method on an instance or QAPLIB file) and ``compare`` (methods side by side)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from .method_options import FIELD, method_options

__all__ = ["register"]


def _check_method(method: str) -> None:
    """The unknown-method error of :func:`~spacexnet_opt.solve.api.backend_function`, naming ``--method``."""
    from ..solve.api import backend_function

    try:
        backend_function(method)
    except ValueError as exc:
        raise InputError(str(exc), field="--method") from None


OPTION_HELP = ("Method option, repeatable: KEY=VALUE for every method that has KEY, METHOD.KEY=VALUE for one "
               "(spacexnet methods lists them); VALUE is JSON (4, 0.5, true, null) or text.")


@contextmanager
def _option_values(options):
    """A method refusing a value given with ``--option`` is a bad input naming ``--option``."""
    try:
        yield
    except ValueError as exc:
        if not options or isinstance(exc, InputError):
            raise
        raise InputError(str(exc), field=FIELD) from None


# Exact searches that may never finish on hard layers stop here unless --time-limit says otherwise.
DEFAULT_EXACT_TIME_LIMIT_S = 60.0
EXACT_SEARCH_METHODS = ("cpsat", "pulp-cbc", "pulp-highs", "bnb")


def _fmt(value: float | None, spec: str = ".6g") -> str:
    return "-" if value is None else format(value, spec)


def _is_qaplib(jobs) -> bool:
    """True for the jobs of a QAPLIB file: they place facilities on locations, not experts on satellites."""
    return jobs[0].satellites is None


def _unit(jobs) -> str:
    """The objective's unit (in parentheses in the tables: rich reads brackets as markup): an instance layer's
    objective is its expected latency in seconds, a QAPLIB cost has none."""
    return "unitless" if _is_qaplib(jobs) else "s"


def solve_command(
    instance: Path = typer.Argument(..., help="Instance file (spacexnet-instance JSON) or QAPLIB .dat file."),
    method: Optional[str] = typer.Option(
        None, "--method", "-m",
        help="Solver method (spacexnet methods lists them).",
        show_default="hungarian for linear, dp for top2 and trace up to 22 experts and order-ls above, memetic for QAPLIB"),
    objective: Optional[str] = typer.Option(None, "--objective", help="linear, top2 or trace; not for QAPLIB.",
                                             show_default="linear"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Placement file to write (atomically)."),
    time_limit: Optional[float] = typer.Option(
        None, "--time-limit", min=0.0,
        help="Seconds per layer.",
        show_default=f"none, but {DEFAULT_EXACT_TIME_LIMIT_S:g} s for the exact searches {', '.join(EXACT_SEARCH_METHODS)}"),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of randomised methods."),
    option: Optional[list[str]] = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                               help=OPTION_HELP),
) -> None:
    """Solve the expert placement of every layer with one method and write a placement file."""
    from ..formats.placement import save_placement
    from ..solve.from_instance import load_problems, placement_from_results, solve_jobs
    from .console import progress_bar, result_console, stage_reporter

    jobs = load_problems(instance, objective)
    if method is None:
        from ..solve.registry import default_method

        method = default_method(jobs[0].problem)
        typer.echo(f"note: no --method given; using {method}, the default for {jobs[0].problem.kind} layers of "
                   f"{jobs[0].problem.shape[0]} experts", err=True)
    _check_method(method)
    options = method_options(option, [method]).get(method)
    if time_limit is None and method in EXACT_SEARCH_METHODS:
        time_limit = DEFAULT_EXACT_TIME_LIMIT_S
        typer.echo(f"note: no --time-limit given; {method} stops after {time_limit:g} s per layer "
                   "(TIME_LIMIT with its proven bound if not proven optimal by then)", err=True)
    with progress_bar() as bar, _option_values(options):
        results = solve_jobs(jobs, method, time_limit=time_limit, options=options, rng=seed,
                             progress=stage_reporter(bar))
    placement = placement_from_results(jobs, results, instance=str(instance), objective=objective,
                                       time_limit=time_limit, rng=seed)
    for job, result in zip(jobs, results):
        if result.assignment is None:
            typer.echo(f"warning: layer {job.layer}: {method} stopped at the time limit without a placement "
                       f"({result.message}); proven bound {_fmt(result.bound, '.10g')}", err=True)
    if output is not None:
        save_placement(placement, output)

    console = result_console(120)
    console.print(_solve_table(jobs, results, title=f"{instance.name}: {method}, objective {placement.objective}"))
    total = ("-- (a layer has no placement)" if placement.total_objective is None
             else f"{placement.total_objective:.10g}")
    unit = "" if placement.total_objective is None or _is_qaplib(jobs) else " s"
    console.print(f"total objective {total}{unit}" + (f"; written to {output}" if output else ""))


def _solve_table(jobs, results, *, title: str):
    """``solve``'s table: a row per layer (per QAPLIB instance, by name, with its gap to the ``.sln`` value)."""
    from rich.table import Table

    from ..solve.compare import reference_gap

    qaplib = _is_qaplib(jobs)
    columns = (["instance", "status", f"cost ({_unit(jobs)})", "bound", "gap to bound", "best known (.sln)",
                "gap to best known"] if qaplib else
               ["layer", "status", f"objective ({_unit(jobs)})", f"bound ({_unit(jobs)})", "gap to bound"])
    table = Table(title=title)
    for col in (*columns, "time (s)"):
        table.add_column(col, justify="left" if col in ("instance", "status") else "right")
    for job, result in zip(jobs, results):
        best = job.problem_best_known
        label = job.problem.name if qaplib else str(job.layer)
        digits = ".10g" if qaplib else ".6g"  # QAPLIB costs are integers of up to 10 digits
        extra = [_fmt(best, digits), _fmt(reference_gap(result.objective, best), ".2%")] if qaplib else []
        table.add_row(label, result.status.value, _fmt(result.objective, digits), _fmt(result.bound, digits),
                      _fmt(result.gap, ".2%"), *extra, f"{result.runtime_s:.3f}")
    return table


def compare_command(
    instances: list[Path] = typer.Argument(..., help="Instance files and/or QAPLIB .dat files."),
    methods: str = typer.Option(..., "--methods", help="Comma-separated method names."),
    objective: Optional[str] = typer.Option(None, "--objective", help="For instance files: linear, top2, trace.",
                                             show_default="linear"),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", min=0.0, help="Seconds per layer and method."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of randomised methods."),
    option: Optional[list[str]] = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                               help=OPTION_HELP),
    csv_path: Optional[Path] = typer.Option(None, "--csv", help="Also write the table as CSV."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the table and the issues as JSON."),
) -> None:
    """Compare methods on instances: objective, bound, gap to the best known, time; exit 1 on inconsistencies."""
    from rich.table import Table

    from rich.console import Console

    from ..fileio import write_csv_atomic, write_json_atomic
    from ..solve.compare import compare
    from ..solve.from_instance import load_problems
    from .console import progress_bar, result_console

    names = [m.strip() for m in methods.split(",") if m.strip()]
    if not names:
        raise InputError("no method given", field="--methods")
    for name in names:
        _check_method(name)
    options = method_options(option, names)
    problems = {}
    for path in instances:
        key = str(path) if path.stem in {p.stem for p in instances if p != path} else path.stem
        problems[key] = load_problems(path, None if path.suffix.lower() == ".dat" else objective)
    with progress_bar(label="compare {task.description}") as bar:
        task = bar.add_task("", total=len(problems) * len(names))

        def tick(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done)

        with _option_values(options):
            result = compare(problems, names, time_limit=time_limit, options=options, seed=seed, progress=tick)
    console, err_console = result_console(120), Console(stderr=True)
    kinds = sorted({f"{'qap' if _is_qaplib(jobs) else objective or 'linear'} ({_unit(jobs)})"
                    for jobs in problems.values()})
    table = Table(title=f"compare: objective {', '.join(kinds)}, time limit {_fmt(time_limit)} s")
    for col in ("instance", "method", "status", "objective", "bound", "reference", "gap to reference", "time (s)"):
        table.add_column(col, justify="left" if col in ("instance", "method", "status") else "right")
    for row in result.rows:
        table.add_row(row.instance, row.method, row.status, _fmt(row.objective), _fmt(row.bound),
                      _fmt(row.reference), _fmt(row.gap, ".2%"), f"{row.runtime_s:.3f}")
    console.print(table)
    records = result.records()
    if csv_path is not None:
        write_csv_atomic(csv_path, records)
    if json_path is not None:
        write_json_atomic(json_path, {"rows": records, "issues": result.issues})
    for row in result.rows:
        if row.note:
            err_console.print(f"note: {row.instance} {row.method}: {row.note}", highlight=False, soft_wrap=True)
    if result.issues:
        for issue in result.issues:
            err_console.print(f"inconsistent: {issue}", style="bold red", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    n_methods, n_instances = len(names), len(problems)
    console.print(f"no inconsistency among {n_methods} method{'s' * (n_methods != 1)} "
                  f"on {n_instances} instance{'s' * (n_instances != 1)}")


def register(app: typer.Typer) -> None:
    """Add ``solve`` and ``compare`` to the root app."""
    app.command("solve")(solve_command)
    app.command("compare")(compare_command)
