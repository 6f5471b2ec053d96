"""Ctrl-C for the ``spacexnet`` console script: the whole run stops at once and writes nothing.

This module imports nothing heavy: :func:`main` must block SIGINT before
numpy's thread pool exists, so that every thread inherits the blocked mask.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..fileio import discard_pending_outputs

__all__ = ["INTERRUPTED", "exit_on_interrupt", "interrupt_message", "main"]

INTERRUPTED = "error: interrupted (Ctrl-C); nothing written"

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


def _children() -> list[int]:
    """Process ids of this process's children (Linux /proc; empty elsewhere)."""
    me, found = os.getpid(), []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            found.append(int(entry.parent.name))
    return found


def exit_on_interrupt() -> None:
    """Make Ctrl-C end the whole run at once: exit code 130, nothing written, solver children stopped.

    Native solvers (CP-SAT) catch SIGINT themselves and would only stop their
    current layer; so SIGINT is blocked in every thread and received by one
    watcher thread, which removes the temporary files of writes in progress,
    terminates child processes (CBC) and exits. Only for the console script:
    in-process use (tests, notebooks) keeps Python's KeyboardInterrupt.
    """
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def watch() -> None:
        signal.sigwait({signal.SIGINT})
        discard_pending_outputs()
        for pid in _children():
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        sys.stderr.write(_message() + "\n")
        sys.stderr.flush()
        os._exit(130)

    threading.Thread(target=watch, name="sigint-watcher", daemon=True).start()


def main() -> None:
    """Entry point of the ``spacexnet`` console script: Ctrl-C handling first, then the Typer app."""
    exit_on_interrupt()
    from .app import app

    app()
