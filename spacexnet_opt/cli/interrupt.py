"""Ctrl-C for the ``spacexnet`` console script: the whole run stops at once and writes nothing.

This module imports nothing heavy: :func:`main` must block SIGINT before
numpy's thread pool exists, so that every thread inherits the blocked mask.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from ..fileio import discard_pending_outputs
from .exit_codes import INTERRUPTED_EXIT_CODE, interrupted_line

__all__ = ["exit_on_interrupt", "main"]

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
        sys.stderr.write(interrupted_line() + "\n")
        sys.stderr.flush()
        os._exit(INTERRUPTED_EXIT_CODE)

    threading.Thread(target=watch, name="sigint-watcher", daemon=True).start()


def main() -> None:
    """Entry point of the ``spacexnet`` console script: Ctrl-C handling first, then the Typer app."""
    exit_on_interrupt()
    from .app import app

    app()
