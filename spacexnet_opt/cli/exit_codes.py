"""Exit codes of every ``spacexnet`` command, and the lines that go with them (``docs/reliability.md``).

>>> EXIT_CODES[BAD_INPUT_EXIT_CODE]
'bad input, refused request or OS error on a file: one line error: FILE: FIELD: problem'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["BAD_INPUT_EXIT_CODE", "BUG_EXIT_CODE", "INTERRUPTED_EXIT_CODE", "INTERRUPTED", "EXIT_CODES",
           "interrupt_message", "interrupted_line"]

BAD_INPUT_EXIT_CODE = 2
BUG_EXIT_CODE = 70
"""Exit code of an internal error (``EX_SOFTWARE`` of sysexits.h), distinct from ``compare``'s 1."""
INTERRUPTED_EXIT_CODE = 130

INTERRUPTED = "error: interrupted (Ctrl-C); nothing written"

EXIT_CODES = {
    0: "success",
    1: "compare found inconsistent results",
    BAD_INPUT_EXIT_CODE: "bad input, refused request or OS error on a file: one line error: FILE: FIELD: problem",
    BUG_EXIT_CODE: "internal error (a bug): the traceback and a line asking to report it",
    INTERRUPTED_EXIT_CODE: "interrupted (Ctrl-C)",
}
"""Every exit code a command may end with, and what it means."""

# what Ctrl-C prints: INTERRUPTED, or the message of a command that keeps what it finished
_message: Callable[[], str] = lambda: INTERRUPTED


@contextmanager
def interrupt_message(message: Callable[[], str]) -> Iterator[None]:
    """While inside, Ctrl-C prints ``message()`` (evaluated then) instead of :data:`INTERRUPTED`.

    For a command that commits results as it goes (``sweep``) and must say what it kept.
    """
    global _message
    before, _message = _message, message
    try:
        yield
    finally:
        _message = before


def interrupted_line() -> str:
    """What Ctrl-C prints now: :data:`INTERRUPTED`, or the message of the command running inside
    :func:`interrupt_message`."""
    return _message()
