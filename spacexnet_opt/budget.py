"""Resource guards: refuse a request whose memory or work exceeds a documented ceiling, before allocating.

Each check estimates the size of a request from its parameters alone and
raises :class:`~spacexnet_opt.errors.ResourceError` naming the estimate, the
ceiling and the option (or file field) that lowers it. The ceilings and how the
estimates were measured are in ``docs/reliability.md``:

- topology snapshots keep about :data:`SNAPSHOT_BYTES` bytes per satellite and
  snapshot while they are built; their total must fit in :func:`memory_ceiling`
  (half the machine's memory, or ``SPACEXNET_MEMORY_GB``), and satellites x
  snapshots may not exceed :data:`MAX_SAT_SNAPSHOTS`;
- shortest-path work, sources x satellites x snapshots, may not exceed
  :data:`MAX_ROUTING_WORK`;
- tokens x layers x experts per token of a Monte Carlo run or a sampled
  trace may not exceed :data:`MAX_TOKEN_WORK`, and its arrays must fit in memory;
- a PuLP or CP-SAT model may not be larger than :data:`MAX_MODEL_SIZE`.

>>> check_snapshots(1056, 200, field="snapshots.count")
>>> check_snapshots(1056, 10**9, field="snapshots.count")
Traceback (most recent call last):
...
spacexnet_opt.errors.ResourceError: snapshots.count: 1,056 satellites x 1,000,000,000 snapshots ...
"""

from __future__ import annotations

import os

from .errors import ResourceError

__all__ = ["SNAPSHOT_BYTES", "MAX_SAT_SNAPSHOTS", "MAX_ROUTING_WORK", "MAX_MODEL_SIZE", "memory_ceiling",
           "MAX_TOKEN_WORK", "MAX_SEEDS", "MAX_EXACT_GROUP_S", "check_snapshots", "check_routing", "check_tokens", "milp_variables", "check_model_size"]

SNAPSHOT_BYTES = 500
"""Peak bytes per satellite and snapshot while snapshots are built (measured: 470)."""

MAX_SAT_SNAPSHOTS = 20_000_000
"""Satellites x snapshots ceiling: 26 x the largest shipped scenario (deepseek-v3-mega, 15,080 x 50); a
build takes about 23 microseconds per satellite-snapshot, so about 8 minutes at the ceiling."""

MAX_ROUTING_WORK = 10_000_000_000
"""Sources x satellites x snapshots ceiling of shortest-path work (about an hour on one core)."""

MAX_TOKEN_WORK = 10_000_000_000
"""Tokens x layers x experts-per-token ceiling of Monte Carlo simulation and trace sampling."""

MAX_MODEL_SIZE = 5_000_000
"""Variables of a PuLP model, or variables and table entries of a CP-SAT model: PuLP keeps about a
kilobyte of Python objects per variable, so 5 million is about 5 GB."""

MAX_SEEDS = 1000
"""Most placement seeds per random scheme (``reproduce --seeds``, a grid's ``run.seeds``): each is a placement
and a Monte Carlo evaluation, so 1,000 is already hours on the paper's scenario."""

MAX_EXACT_GROUP_S = 120
"""Longest estimated run of exact compute-group enumeration (``optimize --compute-group exact``), in seconds."""

_GIB = 2**30


def memory_ceiling() -> int:
    """Bytes a request may use: ``SPACEXNET_MEMORY_GB`` if set, else half the machine's physical memory."""
    given = os.environ.get("SPACEXNET_MEMORY_GB")
    if given:
        try:
            return int(float(given) * _GIB)
        except ValueError:
            raise ResourceError(f"must be a number of GB, got {given!r}", field="SPACEXNET_MEMORY_GB") from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 8 * _GIB


def check_snapshots(n_sats: int, n_snapshots: int, *, field: str) -> None:
    """Refuse building ``n_snapshots`` snapshots of ``n_sats`` satellites beyond the ceilings."""
    cells = int(n_sats) * int(n_snapshots)
    need, have = cells * SNAPSHOT_BYTES, memory_ceiling()
    if cells > MAX_SAT_SNAPSHOTS or need > have:
        raise ResourceError(f"{int(n_sats):,} satellites x {int(n_snapshots):,} snapshots would need about "
                            f"{need / _GIB:,.1f} GiB and {cells:,} satellite-snapshots (ceilings {have / _GIB:,.1f} GiB, "
                            f"{MAX_SAT_SNAPSHOTS:,}); lower {field} or use a smaller shell", field=field)


def check_routing(n_sources: int, n_sats: int, n_snapshots: int, *, field: str) -> None:
    """Refuse shortest paths from ``n_sources`` sources over ``n_snapshots`` snapshots beyond the ceiling."""
    work = int(n_sources) * int(n_sats) * int(n_snapshots)
    if work > MAX_ROUTING_WORK:
        raise ResourceError(f"{int(n_sources):,} sources x {int(n_sats):,} satellites x {int(n_snapshots):,} snapshots "
                            f"= {work:,} shortest-path steps exceeds the ceiling {MAX_ROUTING_WORK:,}; lower {field} "
                            "or the number of snapshots", field=field)


def check_tokens(n_tokens: int, items_per_token: int, bytes_per_token: int, *, field: str) -> None:
    """Refuse simulating or sampling ``n_tokens`` tokens of ``items_per_token`` draws each beyond the ceilings."""
    work, need, have = int(n_tokens) * int(items_per_token), int(n_tokens) * int(bytes_per_token), memory_ceiling()
    if work > MAX_TOKEN_WORK or need > have:
        raise ResourceError(f"{int(n_tokens):,} tokens x {int(items_per_token):,} draws would need about "
                            f"{need / _GIB:,.1f} GiB and {work:,} draws (ceilings {have / _GIB:,.1f} GiB, "
                            f"{MAX_TOKEN_WORK:,}); lower the number of tokens", field=field)


def milp_variables(problem, n_columns: int) -> int:
    """Variables of the MILP of ``problem`` on ``n_columns`` candidates (see :mod:`spacexnet_opt.solve.milp_models`);
    for a QAP also the variables and table entries of its CP-SAT model.

    >>> import numpy as np
    >>> from spacexnet_opt.solve.problems import QAPProblem
    >>> flow = np.ones((3, 3)) - np.eye(3)
    >>> milp_variables(QAPProblem(flow, flow), 3)  # 9 x plus 3 pairs x 3 x 2 ordered candidate pairs
    27
    """
    import numpy as np

    m = problem.shape[0]
    count = m * n_columns
    if problem.kind == "qap":
        flow = np.asarray(problem.flow)
        pairs = int(np.count_nonzero(np.triu((flow != 0) | (flow.T != 0), 1)))
        count += pairs * n_columns * (n_columns - 1)
    elif problem.kind == "trace":
        count += len(problem.sets)
    return count


def check_model_size(size: int, *, what: str, advice: str) -> None:
    """Refuse a solver model of more than :data:`MAX_MODEL_SIZE` ``what`` (variables, table entries)."""
    if size > MAX_MODEL_SIZE:
        raise ResourceError(f"the model would have about {size:,} {what} (ceiling {MAX_MODEL_SIZE:,}, "
                            f"about {size / 1e6:,.0f} GB); {advice}", field="method")
