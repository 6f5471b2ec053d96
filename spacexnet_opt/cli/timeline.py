"""CLI command ``timeline``: play a scenario's ``[timeline]`` for each re-placement policy."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .console import progress_bar, result_console, stage_reporter

__all__ = ["register"]


def _table(result, title: str):
    from rich.table import Table

    table = Table(title=title)
    for column in ("policy", "mean s/token", "re-placements", "GB moved", "GB x hops", "link time (s)",
                   "degraded (h)", "tokens affected", "max depth of discharge", "throttled"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    if any(t.tokens_per_s for t in result.policies.values()):
        table.add_column("mean tokens/s", justify="right")
    for name, t in result.policies.items():
        rate = [f"{sum(t.tokens_per_s) / len(t.tokens_per_s):.4g}"] if t.tokens_per_s else []
        table.add_row(name, f"{sum(t.s_per_token) / len(t.s_per_token):.6f}", str(t.replacements),
                      f"{t.gb_moved:.3f}", f"{t.gb_hops:.3f}", f"{t.link_time_s:.3f}", f"{t.degraded_h:.2f}",
                      f"{100 * t.affected_token_share:.3f} %", f"{100 * t.power['max_depth_of_discharge']:.1f} %"
                      + (" (below floor)" if t.power["below_floor"] else ""),
                      f"{100 * t.power['throttled_share']:.2f} %", *rate)
    return table


def register(app: typer.Typer) -> None:
    """Add the ``timeline`` command to the root app."""

    @app.command("timeline")
    def timeline_command(
        scenario: Path = typer.Argument(..., help="Scenario file (.toml) with a [timeline] section."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the played timeline as JSON."),
        csv_out: Optional[Path] = typer.Option(None, "--csv",
                                               help="Write s/token (and tokens/s) per sample and policy as CSV."),
        plot_out: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG of s/token, GB moved, batteries."),
        html_out: Optional[Path] = typer.Option(None, "--html", help="Write an offline HTML replay: a map with a "
                                                "time slider, and s/token (tokens/s) per policy."),
        deployment: Optional[Path] = typer.Option(None, "--deployment", help="Start from this deployment file "
                                                  "(made for SCENARIO).", show_default="the re-optimised placement"),
        workload: Optional[Path] = typer.Option(None, "--workload", help="Workload file: sample the serving "
                                                "throughput (tokens/s) beside s/token.",
                                                show_default="[timeline] workload, else none"),
    ) -> None:
        """Play a deployment over hours or days: eclipse and batteries, failures, drift, re-placement policies."""
        from ..fileio import write_json_atomic
        from ..timeline.play import play_timeline
        from ..timeline.report import save_timeline_csv, save_timeline_plot
        from ..view.replay import write_replay

        with progress_bar() as bar:
            result = play_timeline(scenario, deployment=deployment, workload=workload,
                                   progress=stage_reporter(bar))
        console = result_console()
        console.print(_table(result, f"timeline of {scenario}"))
        console.print(f"{100 * result.eclipse_share:.1f} % of satellite-time in shadow")
        for path, write in ((json_out, lambda p: write_json_atomic(p, result.to_json())),
                            (csv_out, lambda p: save_timeline_csv(result, p)),
                            (plot_out, lambda p: save_timeline_plot(result, p)),
                            (html_out, lambda p: write_replay(p, scenario, result))):
            if path is not None:
                write(path)
                typer.echo(f"wrote {path}")
