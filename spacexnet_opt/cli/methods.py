"""CLI command ``methods``: the solver registry as a table (kinds, exact, options)."""

from __future__ import annotations

from typing import Optional

import typer

__all__ = ["register"]


def methods_command(
    kind: Optional[str] = typer.Option(None, "--kind", help="Only methods accepting this problem kind "
                                                           "(linear, top2, trace, qap)."),
) -> None:
    """List the solver methods: problem kinds accepted, whether exact, options with defaults."""
    from rich.table import Table

    from ..errors import InputError
    from ..solve.registry import KINDS, REGISTRY, methods_for
    from .console import result_console

    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown problem kind {kind!r}; valid kinds: {', '.join(KINDS)}", field="--kind")
    table = Table(title="solver methods" + (f" for {kind}" if kind else ""))
    for col in ("method", "kinds", "exact", "options", "description"):
        table.add_column(col)
    for method in (methods_for(kind) if kind else REGISTRY.values()):
        options = ", ".join(f"{k}={v}" for k, v in method.options.items()) or "-"
        table.add_row(method.name, ", ".join(method.kinds), "yes" if method.exact else "no", options, method.summary)
    result_console(140).print(table)


def register(app: typer.Typer) -> None:
    """Add ``methods`` to the root app."""
    app.command("methods")(methods_command)
