"""Threads for independent pieces of one run: how many, and an ordered map over them.

Numpy, the compiled kernels (routing, QAP) and HiGHS release the GIL, so threads
over independent deployments, draws or snapshots use both cores of the project
machine. Each piece must own its random stream, so that the results do not
depend on the number of threads.

>>> thread_map(lambda x: x * x, [1, 2, 3])
[1, 4, 9]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["usable_cores", "thread_map"]

T = TypeVar("T")
R = TypeVar("R")


def usable_cores() -> int:
    """The cores this process may use (2 on the project machine)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def thread_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, in order, on ``workers`` threads (default: the usable cores); one item, or
    one worker, runs in the calling thread."""
    items = list(items)
    workers = usable_cores() if workers is None else workers
    if len(items) < 2 or workers < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(min(workers, len(items))) as pool:
        return list(pool.map(fn, items))
