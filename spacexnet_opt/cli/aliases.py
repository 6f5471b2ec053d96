"""Old spellings of options, still parsed but no longer shown by ``--help``.

The convention of every command: a single-file output is ``-o/--output``, an
output folder ``--out``, the context length ``--context-len``. A command that
spelled one of them otherwise keeps its old spelling among the option's
declarations, so that old command lines keep working; :func:`hide_aliases`
takes it out of the help while the parser still accepts it.

>>> OLD_SPELLING["--context-len"]
'--context'
"""

from __future__ import annotations

from typer.core import TyperOption

__all__ = ["OLD_SPELLING", "canonical_spellings", "hide_aliases"]

OLD_SPELLING = {"--output": "--out", "--out": "--output", "--context-len": "--context"}
"""Each conventional spelling and the one it replaced."""


def canonical_spellings(*, directory: bool) -> frozenset[str]:
    """The conventional spellings of an option naming an output folder (``directory``) or anything else."""
    return frozenset({"--out" if directory else "--output", "--context-len"})


class _AliasedOption(TyperOption):
    """A Typer option whose ``hidden_aliases`` parse like its other spellings but are left out of its help."""

    hidden_aliases: tuple[str, ...] = ()

    def add_to_parser(self, parser, ctx):
        shown = self.opts
        self.opts = [*shown, *self.hidden_aliases]
        try:
            return super().add_to_parser(parser, ctx)
        finally:
            self.opts = shown


def hide_aliases(param, *, directory: bool) -> None:
    """Hide the old spellings of ``param`` (a Typer option) that sit beside their conventional spelling."""
    if not isinstance(param, TyperOption) or isinstance(param, _AliasedOption):
        return
    old = [OLD_SPELLING[name] for name in canonical_spellings(directory=directory).intersection(param.opts)]
    old = [name for name in old if name in param.opts]
    if old:
        param.__class__ = _AliasedOption
        param.hidden_aliases = tuple(old)
        param.opts = [name for name in param.opts if name not in old]
