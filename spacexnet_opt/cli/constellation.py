"""CLI commands: ``spacexnet constellation info | export | shells | presets``.

>>> from typer.testing import CliRunner
>>> from spacexnet_opt.cli.app import app
>>> CliRunner().invoke(app, ["constellation", "presets"]).exit_code
0
"""

from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional, get_type_hints

import numpy as np
import typer
from typer.core import TyperCommand

from ..errors import InputError

_HELP_SOURCE = "Constellation"
_HELP_ISL = "ISL snapshots"


def _option(default, *flags: str, help: str, panel: str, **extra):
    """A dataclass field carrying its Typer option (declared once, shared by the commands)."""
    return field(metadata={"option": typer.Option(default, *flags, help=help, rich_help_panel=panel, **extra)})


@dataclass(frozen=True)
class ShellOptions:
    """The constellation and ISL options shared by ``info`` and ``export``."""

    preset_name: str = _option("paper", "--preset", help="Built-in shell (see `spacexnet constellation presets`).", panel=_HELP_SOURCE)
    walker: Optional[str] = _option(None, "--walker", help="Walker notation i:T/P/F, e.g. 87:1056/33/0 (overrides --preset).", panel=_HELP_SOURCE)
    altitude: float = _option(550.0, "--altitude", help="Altitude in km for --walker.", panel=_HELP_SOURCE)
    pattern: Optional[str] = _option(None, "--pattern", help="star or delta.", panel=_HELP_SOURCE,
                                     show_default="delta for --walker; for --tle, detected from the planes' RAAN spread")
    tle: Optional[Path] = _option(None, "--tle", help="TLE file: select one shell of it (overrides --preset/--walker; "
                                  "`spacexnet constellation shells FILE` lists its shells).", panel=_HELP_SOURCE)
    inclination: float = _option(53.0, "--inclination", help="Inclination (deg) of the TLE shell.", panel=_HELP_SOURCE)
    inclination_tol_deg: float = _option(0.1, "--inclination-tol", help="Inclination tolerance (deg) of the TLE shell.", panel=_HELP_SOURCE)
    alt_band: str = _option("540,560", "--alt-band", help="Mean-altitude band LOW,HIGH (km) of the TLE shell.",
                            panel=_HELP_SOURCE, metavar="LOW,HIGH")
    snapshots: int = _option(200, "--snapshots", "-T", help="Number of snapshots over --duration.", panel=_HELP_ISL)
    duration: Optional[float] = _option(None, "--duration", help="Seconds covered by the snapshots.", panel=_HELP_ISL,
                                      show_default="one orbital period")
    max_rate: float = _option(0.12, "--max-rate", help="Angular-rate limit in rad/s; 0 disables the check.", panel=_HELP_ISL)
    survival: float = _option(0.95, "--survival", help="Probability that a feasible link is up.", panel=_HELP_ISL)
    max_range: Optional[float] = _option(None, "--max-range", help="Longest usable link in km.", panel=_HELP_ISL,
                                       show_default="unlimited")
    clearance: float = _option(80.0, "--clearance", help="Line of sight must clear the Earth by this many km.", panel=_HELP_ISL)
    seed: int = _option(0, "--seed", help="Seed of the link-failure draws.", panel=_HELP_ISL)

    def shell(self):
        """The selected shell: ``--tle`` over ``--walker`` over ``--preset``."""
        from ..constellation import WalkerShell, load_tle_shell, preset

        if self.tle is not None:
            return load_tle_shell(self.tle, inclination_deg=self.inclination, inclination_tol_deg=self.inclination_tol_deg,
                                  altitude_km=_band(self.alt_band), pattern=self.pattern)
        if self.walker is not None:
            return WalkerShell.from_notation(self.walker, altitude_km=self.altitude, pattern=self.pattern or "delta")
        return preset(self.preset_name)

    def snapshots_of(self, shell):
        """The +Grid ISL snapshots of ``shell`` under these options."""
        from ..budget import check_snapshots
        from ..constellation import IslConfig, build_snapshots

        check_snapshots(shell.n_sats, self.snapshots, field="--snapshots")
        if self.max_rate < 0:
            raise InputError(f"must be >= 0 (0 disables the check), got {self.max_rate}", field="--max-rate")
        config = IslConfig(min_clearance_km=self.clearance, max_range_km=self.max_range,
                           max_angular_rate=self.max_rate or None, survival=self.survival)
        return build_snapshots(shell, n_snapshots=self.snapshots, duration_s=self.duration, config=config, seed=self.seed)


def _band(text: str) -> tuple[float, float]:
    """``--alt-band``'s ``LOW,HIGH`` as two increasing positive km.

    >>> _band("1190, 1210")
    (1190.0, 1210.0)
    """
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise InputError(f"expected two numbers LOW,HIGH in km such as 1190,1210, got {text!r}", field="--alt-band") from None
    if not 0 < low <= high < math.inf:
        raise InputError(f"expected LOW,HIGH with 0 < LOW <= HIGH km, got {text!r}", field="--alt-band")
    return low, high


class _ShellCommand(TyperCommand):
    """A command with the shell options; it also takes the older spelling ``--alt-band LOW HIGH``."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        args, k = list(args), 0
        while k + 2 < len(args):
            if args[k] == "--alt-band" and "," not in args[k + 1] and _is_number(args[k + 2]):
                args[k + 1:k + 3] = [f"{args[k + 1]},{args[k + 2]}"]
            k += 1
        return super().parse_args(ctx, args)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _with_shell_options(command):
    """Give ``command`` the CLI options of :class:`ShellOptions`, passed to it as its first argument.

    Typer reads a command's options from its signature, so the returned function
    advertises ``command``'s own parameters followed by the shared ones.
    """
    hints = get_type_hints(ShellOptions)
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name], default=f.metadata["option"])
              for f in fields(ShellOptions)]
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]

    def run(**kwargs):
        options = ShellOptions(**{f.name: kwargs.pop(f.name) for f in fields(ShellOptions)})
        return command(options, **kwargs)

    run.__name__, run.__doc__ = command.__name__, command.__doc__
    run.__signature__ = inspect.Signature(own + shared)
    return run


def info(
    options: ShellOptions,
    sources: int = typer.Option(8, "--sources", help="Evenly spaced source satellites for the path-delay summary."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG: links up per snapshot and expected path delays."),
) -> None:
    """Describe a constellation and its +Grid ISL graph over the snapshots."""
    from rich.console import Console
    from rich.table import Table

    from ..constellation import expected_delays

    console = Console()
    with console.status("building the constellation and its ISL snapshots..."):
        shell = options.shell()
        snaps = options.snapshots_of(shell)
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
        ("pattern / F", f"{shell.pattern} / {shell.phasing}" + _pattern_source(shell)),
        ("+Grid links", f"{snaps.n_links:,}"),
        ("snapshots", f"{snaps.n_snapshots}"),
        ("feasible-link fraction", _mean(snaps.feasible, "{:.4f}")),
        ("links-up fraction (after failures)", _mean(up, "{:.4f}")),
        ("mean link delay", _mean(1e3 * snaps.delay_s[up], "{:.3f} ms")),
        (f"mean path delay from {sources} sources", _mean(1e3 * expected.mean_s[connected], "{:.3f} ms")),
        ("mean P(disconnected)", f"{expected.p_disconnected.mean():.4f}"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if hasattr(shell, "report"):
        for line in [*shell.report.lines(), shell.report.pattern_line()]:
            console.print(line)
    if plot is not None:
        _plot(plot, snaps, expected)
        console.print(f"wrote {plot}")


def _pattern_source(shell) -> str:
    """`` (detected)`` or `` (given)`` for a TLE shell, nothing for a Walker shell."""
    if not hasattr(shell, "report"):
        return ""
    return " (detected)" if shell.report.pattern_detected else " (given)"


def _mean(values: np.ndarray, fmt: str) -> str:
    """The mean of ``values`` formatted, or "n/a" when there is none (a shell without links)."""
    return fmt.format(values.mean()) if values.size else "n/a"


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
    options: ShellOptions,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Directory for tles.txt, isls.txt and graph.json."),
    out_dir: Optional[Path] = typer.Argument(None, hidden=True, help="The folder as an argument (the old form)."),
    snapshot: int = typer.Option(0, "--snapshot", help="Snapshot index whose links are exported."),
) -> None:
    """Write one snapshot as Hypatia tles.txt/isls.txt and networkx node-link JSON."""
    from ..constellation.export import export_snapshot

    if (out is None) == (out_dir is None):
        raise InputError("give the output folder once: --out DIR", field="--out")
    shell = options.shell()
    snaps = options.snapshots_of(shell)
    for kind, path in export_snapshot(shell, snaps, snapshot, out or out_dir).items():
        typer.echo(f"wrote {kind}: {path}")


def shells(
    tle: Path = typer.Argument(..., help="TLE file (2- or 3-line records)."),
    min_sats: int = typer.Option(10, "--min-sats", min=1, help="Smallest group of satellites listed as a shell."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the shells to this JSON file."),
) -> None:
    """List the shells of a TLE file: inclination, altitude, planes, satellites, star or delta."""
    from rich.table import Table

    from ..constellation import find_shells
    from ..fileio import write_json_atomic
    from .console import result_console

    found = find_shells(tle, min_sats=min_sats)
    table = Table(title=f"shells of {tle.name} (clusters of at least {min_sats} satellites)")
    for column in ("inclination", "altitude (km)", "median alt.", "satellites", "planes", "grid P x S", "pattern",
                   "RAAN spread", "select with"):
        table.add_column(column, justify="left" if column == "select with" else "right", no_wrap=True)
    for shell in found:
        low, high = shell.altitude_km
        table.add_row(f"{shell.inclination_deg:g} ± {shell.inclination_tol_deg:g}°", f"{low:g}-{high:g}",
                      f"{shell.median_altitude_km:,.0f}", f"{shell.n_sats:,}", f"{shell.n_planes}",
                      f"{shell.grid[0]} x {shell.grid[1]}", shell.pattern, f"{shell.raan_spread_deg:.0f}°",
                      f"--inclination {shell.inclination_deg:g} --inclination-tol {shell.inclination_tol_deg:g} "
                      f"--alt-band {low:g},{high:g}")
    console = result_console(min_width=180)
    console.print(table)
    if json_out is not None:
        write_json_atomic(json_out, {"file": str(tle), "min_sats": min_sats,
                                     "shells": [asdict(shell) | {"selection": shell.selection()} for shell in found]})
        console.print(f"wrote {json_out}")


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
    group.command("info", cls=_ShellCommand)(_with_shell_options(info))
    group.command("export", cls=_ShellCommand)(_with_shell_options(export))
    group.command("shells")(shells)
    group.command("presets")(presets)
    app.add_typer(group, name="constellation")
