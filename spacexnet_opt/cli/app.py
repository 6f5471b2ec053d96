"""Root of the ``spacexnet`` CLI: builds the Typer app around the error boundary.

Each command group lives in its own module of this package and exposes
``register(app)``; this module only wires them together. The boundary
(:mod:`spacexnet_opt.cli.boundary`) gives every command, present and future,
the same checks and one-line errors.
"""

from __future__ import annotations

import importlib

import typer

from .. import __version__
from .boundary import BoundaryGroup
from .exit_codes import EXIT_CODES

__all__ = ["app"]

# Modules of spacexnet_opt.cli, each with a ``register(app)`` function.
COMMAND_MODULES = ("constellation", "moe", "build", "solve", "export", "evaluate", "reproduce", "methods", "optimize",
                   "sweep", "view", "serve", "timeline")


app = typer.Typer(
    cls=BoundaryGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Place Mixture-of-Experts models on satellite constellations (Space-XNet).",
    epilog="Exit codes (docs/reliability.md):\n\n" + "\n\n".join(f"{code}  {meaning}" for code, meaning in EXIT_CODES.items()),
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"spacexnet-opt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                       help="Print the version (spacexnet-opt X.Y.Z) and exit.")) -> None:
    """The root's own option, ``--version`` (handled by its callback)."""

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__package__}.{_name}").register(app)

