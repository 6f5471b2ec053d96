"""CLI command ``serve``: many users at once on a deployment (the serving simulator)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer

from .console import progress_bar, result_console, stage_reporter

__all__ = ["register", "parse_rates", "serve_rows", "fleet_rows", "ROW_KEYS"]


def parse_rates(text: str | None) -> list[float] | None:
    """``--rate 0.5,1,2`` as floats (each positive and finite), or None.

    >>> parse_rates("0.5, 1,2")
    [0.5, 1.0, 2.0]
    """
    from ..errors import InputError

    if text is None:
        return None
    rates = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"not a number: {part.strip()!r}", field="--rate") from None
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"rates must be positive and finite, got {part.strip()}", field="--rate")
        rates.append(value)
    if len(rates) > 64:
        raise InputError(f"at most 64 rates, got {len(rates)}", field="--rate")
    return rates


ROW_KEYS = ("deployment", "rate_per_s", "completed", "rejected",
            *(f"{what}_{q}_s" for what in ("ttft", "tpot", "e2e") for q in ("mean", "p50", "p90", "p99")),
            "tokens_per_s", "tokens_per_s_while_arriving", "requests_per_s", "slo_attainment", "busiest_satellite",
            "max_utilisation")
"""The columns of a row of ``serve`` (table, CSV)."""


def serve_rows(results) -> list[dict]:
    """One flat row per run (the table and the CSV)."""
    rows = []
    for res in results:
        m = res.metrics
        busiest = res.satellites[0] if res.satellites else {"satellite": None, "utilisation": 0.0}
        rows.append({"deployment": res.name, "rate_per_s": res.rate, "completed": m["requests"]["completed"],
                     "rejected": m["requests"]["rejected"],
                     **{f"{what}_{q}_s": m[f"{what}_s"][q] for what in ("ttft", "tpot", "e2e")
                        for q in ("mean", "p50", "p90", "p99")},
                     "tokens_per_s": m["throughput"]["tokens_per_s"],
                     "tokens_per_s_while_arriving": m["throughput"]["tokens_per_s_while_arriving"],
                     "requests_per_s": m["throughput"]["requests_per_s"],
                     "slo_attainment": m.get("slo", {}).get("attainment"),
                     "busiest_satellite": busiest["satellite"], "max_utilisation": busiest["utilisation"]})
    return rows


def fleet_rows(runs, name: str) -> list[dict]:
    """One row per run of a fleet (pooled over its rings), with :func:`serve_rows`' columns; what is not pooled
    (per-satellite figures, E2E, SLO attainment) is None."""
    rows = []
    for run in runs:
        row = dict.fromkeys(ROW_KEYS)
        row.update({"deployment": name, "rate_per_s": run.rate, "completed": run.completed,
                    "rejected": run.requests - run.completed, "tokens_per_s": run.tokens_per_s,
                    **{f"{what}_{q}_s": getattr(run, f"{what}_s")[q] for what in ("ttft", "tpot")
                       for q in ("mean", "p50", "p90", "p99")}})
        rows.append(row)
    return rows


def _table(rows: list[dict], title: str):
    from rich.table import Table

    table = Table(title=title)
    cols = [("rate/s", "rate_per_s", "{:g}"), ("done", "completed", "{:,}"), ("TTFT mean", "ttft_mean_s", "{:.3f}"),
            ("TTFT p99", "ttft_p99_s", "{:.3f}"), ("TPOT mean", "tpot_mean_s", "{:.4f}"),
            ("TPOT p99", "tpot_p99_s", "{:.4f}"), ("E2E p99", "e2e_p99_s", "{:.2f}"),
            ("tokens/s", "tokens_per_s", "{:.3f}"), ("while arriving", "tokens_per_s_while_arriving", "{:.3f}"),
            ("SLO", "slo_attainment", "{:.1%}"),
            ("max util", "max_utilisation", "{:.1%}")]
    for head, *_ in cols:
        table.add_column(head, justify="right")
    for row in rows:
        table.add_row(*("-" if row[key] is None else fmt.format(row[key]) for _, key, fmt in cols))
    return table


def _plot(results, path: Path) -> None:
    from ..plotting import pyplot, save_figure

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    if len(results) > 1:
        tput = [r.metrics["throughput"]["tokens_per_s"] for r in results]
        for q in ("p50", "p99"):
            left.plot(tput, [r.metrics["tpot_s"][q] for r in results], "o-", label=f"TPOT {q}")
        left.set_xlabel("throughput [tokens/s]")
        left.set_ylabel("seconds per output token")
        left.set_title("latency against load")
        left.legend()
    else:
        q = results[0].metrics["queues"]
        left.plot(q["time_s"], q["in_system"], label="requests in system")
        left.plot(q["time_s"], q["queued_jobs"], label="jobs queued at satellites")
        left.set_xlabel("simulated time [s]")
        left.set_title("queues over time")
        left.legend()
    sats = results[-1].satellites[:40]
    right.bar(range(len(sats)), [s["utilisation"] for s in sats])
    right.set_xticks(range(len(sats)), [str(s["satellite"]) for s in sats], rotation=90, fontsize=6)
    right.set_ylabel("utilisation")
    right.set_title(f"busiest satellites (rate {results[-1].rate})")
    save_figure(fig, path)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root app."""

    @app.command("serve")
    def serve_command(
        deployment: Path = typer.Argument(..., help="Deployment file (spacexnet optimize -o, reproduce --out), or "
                                                    "a fleet file (optimize --objective throughput)."),
        workload: Path = typer.Option(..., "--workload", "-w", help="Workload file (TOML, spacexnet-workload v1)."),
        rate: Optional[str] = typer.Option(None, "--rate", help="Arrival rates per second, comma-separated, "
                                                                "overriding the workload's (one run each)."),
        until: Optional[float] = typer.Option(None, "--until", help="Stop at this simulated time (s); unfinished "
                                                                    "requests are reported as pending."),
        output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the results as JSON (atomically)."),
        csv_path: Optional[Path] = typer.Option(None, "--csv", help="Write one row per rate as CSV."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG: latency against load (several "
                                                                 "rates) or queues, and utilisation by satellite."),
        search: bool = typer.Option(False, "--max-rate-at-slo", help="Search the largest arrival rate whose p99 "
                                                                     "TPOT meets the workload's slo.tpot_s "
                                                                     "(bracketing from its rate, then bisection)."),
    ) -> None:
        """Serve a workload on a deployment: TTFT, TPOT, throughput, SLO attainment, utilisation."""
        from ..errors import InputError
        from ..formats.workload import load_workload
        from ..serve import serve_file
        from ..serve.inputs import is_fleet_file

        rates = parse_rates(rate)
        if until is not None and not (math.isfinite(until) and until > 0):
            raise InputError(f"must be positive and finite, got {until}", field="--until")
        spec = load_workload(workload)  # a bad workload is refused before the world is built
        if search and rates:
            raise InputError("searches the rate itself; drop --rate", field="--max-rate-at-slo")
        if search and spec.slo.tpot_s is None:
            raise InputError("the workload sets no slo.tpot_s to search the rate for", field="--max-rate-at-slo")
        if is_fleet_file(deployment):
            _serve_fleet(deployment, workload, spec, rates, search=search, output=output, csv_path=csv_path,
                         refused={"--plot": plot, "--until": until})
            return
        with progress_bar() as bar:
            found = serve_file(deployment, workload, rates=rates, until_s=math.inf if until is None else until,
                               search=search, progress=stage_reporter(bar))
        best, results = found if search else (None, found)
        rows = serve_rows(results)
        console = result_console()
        console.print(_table(rows, f"{results[0].name} serving {workload.name}"))
        doc = {"workload": str(workload), "runs": [r.to_json() for r in results]}
        if search:
            at = next((r for r in rows if r["rate_per_s"] == best), None)
            doc["max_rate_at_slo"] = {"tpot_p99_slo_s": spec.slo.tpot_s, "rate_per_s": best,
                                      "tokens_per_s": None if at is None else at["tokens_per_s"]}
            console.print(f"largest rate measured with p99 TPOT <= {spec.slo.tpot_s:g} s: {best:.4g} requests/s"
                          + ("" if at is None else f" ({at['tokens_per_s']:.3f} tokens/s)")
                          + ("; every rate tried met it" if best >= max(r["rate_per_s"] for r in rows) else ""))
        _write(doc, rows, output, csv_path)
        if plot is not None:
            _plot(results, plot)
            typer.echo(f"wrote {plot}")


def _serve_fleet(path: Path, workload: Path, spec, rates, *, search: bool, output, csv_path, refused: dict) -> None:
    """``serve FLEET.json``: the workload split over the fleet's rings, pooled per rate (or the largest rate
    meeting the SLO)."""
    from ..errors import InputError
    from ..serve.fleet import fleet_max_rate, serve_fleet
    from ..serve.inputs import load_fleet_inputs
    from ..serve.model import build_model

    for flag, value in refused.items():
        if value is not None:
            raise InputError("not offered for a fleet file (serve one ring's deployment file for it)", field=flag)
    if spec.arrivals.rate is None and not rates:
        raise InputError("a fleet splits a rate over its rings: give --rate", field="--rate")
    with progress_bar() as bar:
        progress = stage_reporter(bar)
        inputs, split = load_fleet_inputs(path)
        models = [build_model(i) for i in inputs]
        if search:
            best, runs = fleet_max_rate(models, split, spec, tpot_s=spec.slo.tpot_s, ttft_s=spec.slo.ttft_s,
                                        start=spec.arrivals.rate, source=workload,
                                        progress=progress)
        else:
            runs = [serve_fleet(models, split, spec, rate=r, source=workload, progress=progress)
                    for r in rates or [spec.arrivals.rate]]
    rows = fleet_rows(runs, path.name)
    console = result_console()
    console.print(_table(rows, f"{path.name} ({len(models)} rings) serving {workload.name}"))
    doc = {"workload": str(workload), "fleet": str(path), "runs": [r.to_json() for r in runs]}
    if search:
        doc["max_rate_at_slo"] = {"tpot_p99_slo_s": spec.slo.tpot_s, "rate_per_s": best}
        console.print(f"largest rate measured with pooled p99 TPOT <= {spec.slo.tpot_s:g} s: {best:.4g} requests/s")
    _write(doc, rows, output, csv_path)


def _write(doc: dict, rows: list[dict], output: Path | None, csv_path: Path | None) -> None:
    """The JSON document and the CSV rows, each where asked (atomically)."""
    from ..fileio import write_csv_atomic, write_json_atomic

    if output is not None:
        write_json_atomic(output, doc)
        typer.echo(f"wrote {output}")
    if csv_path is not None:
        write_csv_atomic(csv_path, rows)
        typer.echo(f"wrote {csv_path}")
