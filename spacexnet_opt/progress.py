"""The one progress callback protocol: ``progress(stage, done, total)``.

Long work (building, routing, solving every layer, reproducing) reports through
it; the CLI draws one rich bar per stage name
(:func:`spacexnet_opt.cli.console.stage_reporter`). ``total`` 0 means unknown.

>>> seen = []
>>> report: Progress = lambda stage, done, total: seen.append((stage, done, total))
>>> report("routing", 1, 4); seen
[('routing', 1, 4)]
>>> no_progress("routing", 1, 4) is None
True
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "no_progress"]


class Progress(Protocol):
    """``progress(stage, done, total)``: ``done`` of ``total`` steps of ``stage`` finished (total 0: unknown)."""

    def __call__(self, stage: str, done: int, total: int) -> None: ...


def no_progress(stage: str, done: int, total: int) -> None:
    """A :class:`Progress` that reports nothing."""
