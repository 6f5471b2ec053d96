"""Stop a solver subprocess at a deadline: SIGINT first (CBC then stops and writes its incumbent), SIGKILL later.

Only child processes of this process whose command line contains a given
marker (the private temporary directory of one solve) are signalled.

>>> with Watchdog(None, "unused"):
...     pass
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

__all__ = ["KILL_AFTER_S", "POLL_S", "Watchdog"]

KILL_AFTER_S = 1.0
"""Seconds between the interrupt at the deadline and the kill of a solver that ignored it."""
POLL_S = 0.1
"""Interval at which the watchdog looks for the solver process once the deadline has passed."""


def _children(marker: str) -> list[int]:
    """PIDs of this process's children whose command line contains ``marker`` (Linux ``/proc``)."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*"):
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    found = []
    for pid in pids:
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                found.append(pid)
        except OSError:
            continue
    return found


class Watchdog:
    """Context manager: from ``deadline`` on, SIGINT the marked children; ``KILL_AFTER_S`` later, SIGKILL them.

    A thread polls every :data:`POLL_S` seconds, so a solver started after the
    deadline is stopped as well.
    """

    def __init__(self, deadline: float | None, marker: str):
        self.deadline, self.marker = deadline, marker
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        if self._done.wait(max(self.deadline - time.perf_counter(), 0.0)):
            return
        while not self._done.is_set():
            late = time.perf_counter() - self.deadline
            for pid in _children(self.marker):
                try:
                    os.kill(pid, signal.SIGKILL if late >= KILL_AFTER_S else signal.SIGINT)
                except ProcessLookupError:
                    pass
            self._done.wait(POLL_S)

    def __enter__(self) -> "Watchdog":
        if self.deadline is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
