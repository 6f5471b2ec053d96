"""Where a sweep's points run: a Dask scheduler's address, checked before any work, and the client to it.

:func:`check_scheduler` parses an address (``tcp://127.0.0.1:8786``, ``127.0.0.1:8786``,
``tls://[::1]:8786``) without touching the network; :func:`connect` reaches it
within ``connect_timeout`` seconds or fails with one line naming the address.
Without an address :func:`connect` starts a ``LocalCluster`` of single-threaded
worker processes.

>>> check_scheduler("127.0.0.1:8786")
'tcp://127.0.0.1:8786'
>>> check_scheduler("tcp://localhost")
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: scheduler: 'tcp://localhost': no port; give HOST:PORT, e.g. tcp://127.0.0.1:8786
"""

from __future__ import annotations

import logging
import os
import re

from ..errors import InputError

__all__ = ["SCHEMES", "CONNECT_TIMEOUT_S", "MAX_WORKERS_PER_CORE", "check_scheduler", "check_workers", "connect"]

SCHEMES = ("tcp", "tls", "ws", "wss")
"""Protocols of a scheduler address (Dask's network comms)."""
CONNECT_TIMEOUT_S = 5.0
"""Default wait for a scheduler to answer."""
MAX_WORKERS_PER_CORE = 4
"""Most local worker processes per core (each a Python process of about 120 MiB)."""
LOCAL_CONFIG = {"distributed.worker.profile.enabled": False}
"""Dask settings of the local cluster: no sampling profiler, whose thread takes the GIL every 10 ms
from a point's routing (which holds it)."""
_ADDRESS = re.compile(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]\s]+)?"
                      r"(?::(?P<port>[^/]*))?(?P<rest>.*)")


def _bad(address: str, problem: str) -> InputError:
    return InputError(f"{address!r}: {problem}", field="scheduler")


def check_scheduler(address: str) -> str:
    """``address`` as ``scheme://host:port`` (``tcp`` when no scheme is given).

    Raises
    ------
    InputError
        Field ``scheduler``: an empty address, an unknown scheme, no host, no port or a port outside 1..65535.
    """
    text = address.strip()
    if not text:
        raise _bad(address, "empty address; give HOST:PORT, e.g. tcp://127.0.0.1:8786")
    found = _ADDRESS.fullmatch(text)
    scheme = (found["scheme"] or "tcp").lower()
    if scheme not in SCHEMES:
        raise _bad(address, f"unknown scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    if not found["host"]:
        raise _bad(address, "no host; give HOST:PORT, e.g. tcp://127.0.0.1:8786")
    if found["port"] is None:
        raise _bad(address, "no port; give HOST:PORT, e.g. tcp://127.0.0.1:8786")
    if not found["port"].isdigit() or not 1 <= int(found["port"]) <= 65535:
        raise _bad(address, f"port {found['port']!r} is not a number in 1..65535")
    if found["rest"].strip("/"):
        raise _bad(address, f"unexpected {found['rest']!r} after the port")
    return f"{scheme}://{found['host']}:{int(found['port'])}"


def check_workers(workers: int | None) -> None:
    """Refuse more local workers than :data:`MAX_WORKERS_PER_CORE` per core (field ``workers``)."""
    most = MAX_WORKERS_PER_CORE * (os.cpu_count() or 1)
    if workers is not None and workers > most:
        raise InputError(f"at most {most} local workers ({MAX_WORKERS_PER_CORE} per core), got {workers}; for "
                         "more, start a cluster and give --scheduler", field="workers")


def connect(*, workers: int | None = None, scheduler: str | None = None,
            connect_timeout: float = CONNECT_TIMEOUT_S):
    """``(client, cluster)``: a client of ``scheduler``, or of a new local cluster (then ``cluster`` is it).

    Raises
    ------
    InputError
        Field ``scheduler``: the address is malformed, or no scheduler answered within ``connect_timeout`` s.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        address = check_scheduler(scheduler)
        try:
            return Client(address, timeout=connect_timeout), None
        except Exception as exc:  # anything but a Dask scheduler at the address: refused, timed out, garbage
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise _bad(scheduler, f"no Dask scheduler answered within {connect_timeout:g} s "
                                  f"({reason[:160]})") from None
    check_workers(workers)
    with dask.config.set(LOCAL_CONFIG):  # handed to the worker processes by their nannies
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)  # no fixed port to clash on
    return Client(cluster), cluster
