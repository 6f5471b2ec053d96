"""CLI commands: ``spacexnet constellation info | export | presets``.

>>> from typer.testing import CliRunner
>>> from spacexnet_opt.cli.app import app
>>> CliRunner().invoke(app, ["constellation", "presets"]).exit_code
0
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import typer

from ..errors import InputError

_HELP_SOURCE = "Constellation"
_HELP_ISL = "ISL snapshots"

PresetOpt = typer.Option("paper", "--preset", help="Built-in shell (see `spacexnet constellation presets`).", rich_help_panel=_HELP_SOURCE)
WalkerOpt = typer.Option(None, "--walker", help="Walker notation i:T/P/F, e.g. 87:1056/33/0 (overrides --preset).", rich_help_panel=_HELP_SOURCE)
AltitudeOpt = typer.Option(550.0, "--altitude", help="Altitude in km for --walker.", rich_help_panel=_HELP_SOURCE)
PatternOpt = typer.Option("delta", "--pattern", help="star or delta, for --walker and --tle.", rich_help_panel=_HELP_SOURCE)
TleOpt = typer.Option(None, "--tle", help="TLE file: select one shell of it (overrides --preset/--walker).", rich_help_panel=_HELP_SOURCE)
InclinationOpt = typer.Option(53.0, "--inclination", help="Inclination (deg) of the TLE shell.", rich_help_panel=_HELP_SOURCE)
AltBandOpt = typer.Option((540.0, 560.0), "--alt-band", help="Mean-altitude band (km) of the TLE shell.", rich_help_panel=_HELP_SOURCE)
SnapshotsOpt = typer.Option(200, "--snapshots", "-T", help="Number of snapshots over --duration.", rich_help_panel=_HELP_ISL)
DurationOpt = typer.Option(None, "--duration", help="Seconds covered by the snapshots (default: one period).", rich_help_panel=_HELP_ISL)
MaxRateOpt = typer.Option(0.12, "--max-rate", help="Angular-rate limit in rad/s; 0 disables the check.", rich_help_panel=_HELP_ISL)
SurvivalOpt = typer.Option(0.95, "--survival", help="Probability that a feasible link is up.", rich_help_panel=_HELP_ISL)
MaxRangeOpt = typer.Option(None, "--max-range", help="Longest usable link in km (default: unlimited).", rich_help_panel=_HELP_ISL)
ClearanceOpt = typer.Option(80.0, "--clearance", help="Line of sight must clear the Earth by this many km.", rich_help_panel=_HELP_ISL)
SeedOpt = typer.Option(0, "--seed", help="Seed of the link-failure draws.", rich_help_panel=_HELP_ISL)


def _constellation(preset_name, walker, altitude, pattern, tle, inclination, alt_band):
    from ..constellation import WalkerShell, load_tle_shell, preset

    if tle is not None:
        return load_tle_shell(tle, inclination_deg=inclination, altitude_km=alt_band, pattern=pattern)
    if walker is not None:
        return WalkerShell.from_notation(walker, altitude_km=altitude, pattern=pattern)
    return preset(preset_name)


def _snapshots(shell, snapshots, duration, max_rate, survival, max_range, clearance, seed):
    from ..constellation import IslConfig, build_snapshots

    if max_rate < 0:
        raise InputError(f"must be >= 0 (0 disables the check), got {max_rate}", field="--max-rate")
    config = IslConfig(min_clearance_km=clearance, max_range_km=max_range, max_angular_rate=max_rate or None, survival=survival)
    return build_snapshots(shell, n_snapshots=snapshots, duration_s=duration, config=config, seed=seed)


def info(
    preset_name: str = PresetOpt,
    walker: Optional[str] = WalkerOpt,
    altitude: float = AltitudeOpt,
    pattern: str = PatternOpt,
    tle: Optional[Path] = TleOpt,
    inclination: float = InclinationOpt,
    alt_band: tuple[float, float] = AltBandOpt,
    snapshots: int = SnapshotsOpt,
    duration: Optional[float] = DurationOpt,
    max_rate: float = MaxRateOpt,
    survival: float = SurvivalOpt,
    max_range: Optional[float] = MaxRangeOpt,
    clearance: float = ClearanceOpt,
    seed: int = SeedOpt,
    sources: int = typer.Option(8, "--sources", help="Evenly spaced source satellites for the path-delay summary."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG: links up per snapshot and expected path delays."),
) -> None:
    """Describe a constellation and its +Grid ISL graph over the snapshots."""
    from rich.console import Console
    from rich.table import Table

    from ..constellation import expected_delays

    console = Console()
    with console.status("building the constellation and its ISL snapshots..."):
        shell = _constellation(preset_name, walker, altitude, pattern, tle, inclination, alt_band)
        snaps = _snapshots(shell, snapshots, duration, max_rate, survival, max_range, clearance, seed)
    if not 1 <= sources <= shell.n_sats:
        raise InputError(f"must be in 1..{shell.n_sats}, got {sources}", field="--sources")
    src = np.linspace(0, shell.n_sats, sources, endpoint=False).astype(np.int64)
    with console.status(f"shortest paths from {sources} sources over {snaps.n_snapshots} snapshots..."):
        expected = expected_delays(snaps, src)
    up = snaps.up
    connected = np.isfinite(expected.mean_s)
    table = Table(title=f"constellation {shell.name}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("planes P", f"{shell.n_planes}"),
        ("slots per plane S", f"{shell.sats_per_plane}"),
        ("satellites", f"{shell.n_sats:,}"),
        ("altitude", f"{shell.altitude_km:,.1f} km"),
        ("inclination", f"{shell.inclination_deg:.2f}°"),
        ("period", f"{shell.period_s / 60:.2f} min"),
        ("pattern / F", f"{shell.pattern} / {shell.phasing}"),
        ("+Grid links", f"{snaps.n_links:,}"),
        ("snapshots", f"{snaps.n_snapshots}"),
        ("feasible-link fraction", f"{snaps.feasible.mean():.4f}"),
        ("links-up fraction (after failures)", f"{up.mean():.4f}"),
        ("mean link delay", f"{1e3 * snaps.delay_s[up].mean():.3f} ms" if up.any() else "n/a"),
        (f"mean path delay from {sources} sources", f"{1e3 * expected.mean_s[connected].mean():.3f} ms"),
        ("mean P(disconnected)", f"{expected.p_disconnected.mean():.4f}"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if hasattr(shell, "report"):
        for line in shell.report.lines():
            console.print(line)
    if plot is not None:
        _plot(plot, snaps, expected)
        console.print(f"wrote {plot}")


def _plot(path: Path, snaps, expected) -> None:
    from ..plotting import pyplot, save_figure

    fig, (ax1, ax2) = pyplot().subplots(1, 2, figsize=(10, 3.5))
    ax1.plot(snaps.times_s / 60, snaps.feasible.mean(axis=1), label="feasible")
    ax1.plot(snaps.times_s / 60, snaps.up.mean(axis=1), label="up (after failures)")
    ax1.set(xlabel="time (min)", ylabel="fraction of +Grid links", title="links per snapshot")
    ax1.legend()
    finite = expected.mean_s[np.isfinite(expected.mean_s)]
    ax2.hist(1e3 * finite, bins=50)
    ax2.set(xlabel="expected path delay (ms)", ylabel="pairs", title="expected delays from the sources")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def export(
    out_dir: Path = typer.Argument(..., help="Directory for tles.txt, isls.txt and graph.json."),
    snapshot: int = typer.Option(0, "--snapshot", help="Snapshot index whose links are exported."),
    preset_name: str = PresetOpt,
    walker: Optional[str] = WalkerOpt,
    altitude: float = AltitudeOpt,
    pattern: str = PatternOpt,
    tle: Optional[Path] = TleOpt,
    inclination: float = InclinationOpt,
    alt_band: tuple[float, float] = AltBandOpt,
    snapshots: int = SnapshotsOpt,
    duration: Optional[float] = DurationOpt,
    max_rate: float = MaxRateOpt,
    survival: float = SurvivalOpt,
    max_range: Optional[float] = MaxRangeOpt,
    clearance: float = ClearanceOpt,
    seed: int = SeedOpt,
) -> None:
    """Write one snapshot as Hypatia tles.txt/isls.txt and networkx node-link JSON."""
    from ..constellation.export import export_snapshot

    shell = _constellation(preset_name, walker, altitude, pattern, tle, inclination, alt_band)
    snaps = _snapshots(shell, snapshots, duration, max_rate, survival, max_range, clearance, seed)
    for kind, path in export_snapshot(shell, snaps, snapshot, out_dir).items():
        typer.echo(f"wrote {kind}: {path}")


def presets() -> None:
    """List the built-in shells with their Walker notation."""
    from rich.console import Console
    from rich.table import Table

    from ..constellation import PRESETS

    table = Table(title="constellation presets")
    for column in ("name", "Walker i:T/P/F", "pattern", "altitude (km)", "period (min)"):
        table.add_column(column)
    for name, shell in PRESETS.items():
        table.add_row(name, shell.notation, shell.pattern, f"{shell.altitude_km:g}", f"{shell.period_s / 60:.2f}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``constellation`` command group to the root app."""
    group = typer.Typer(no_args_is_help=True, help="Walker/TLE shells, ISL snapshots and shortest-path delays.")
    group.command("info")(info)
    group.command("export")(export)
    group.command("presets")(presets)
    app.add_typer(group, name="constellation")
