"""Per-satellite onboard compute: effective speed (GFLOPS) and memory (GB), drawn from a scenario.

The ``[compute]`` block of a scenario (:class:`~spacexnet_opt.formats.scenario.ComputeSpec`)
gives a base speed and, optionally, a per-satellite model for speed and for
memory (:class:`~spacexnet_opt.formats.scenario.PerSatellite`): exact shares of a few
choices at seeded positions, a seeded uniform spread around the base, or one
value per satellite id from a file. Speed and memory use independent streams
of ``seeds.compute``, so adding a memory model does not move the speeds.

An expert's memory need is its weights: ``3 * hidden * ffn`` parameters
(SwiGLU) times ``bytes_per_param`` (default 2, bf16).

>>> from spacexnet_opt.formats.scenario import ComputeSpec
>>> spec = ComputeSpec(satellite_gflops=7.28, gflops={"choices": [7.28, 3.7]})
>>> board = draw_onboard(spec, 6, seed=0)
>>> sorted(board.gflops.tolist())
[3.7, 3.7, 3.7, 7.28, 7.28, 7.28]
>>> board.heterogeneous, board.memory_gb is None
(True, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..errors import FileFormatError, InputError
from ..fileio import load_numpy
from ..moe.flops import expert_macs

if TYPE_CHECKING:
    from ..formats.scenario import ComputeSpec, PerSatellite
    from ..moe import ModelProfile

__all__ = ["DEFAULT_BYTES_PER_PARAM", "Onboard", "draw_onboard", "per_satellite_values", "expert_memory_gb",
           "check_memory_floor",
           "exact_share_counts"]

DEFAULT_BYTES_PER_PARAM = 2.0


@dataclass(frozen=True, eq=False)
class Onboard:
    """Per-satellite speed (GFLOPS, shape (N,)) and memory (GB, (N,) or None), plus the base speed."""

    gflops: np.ndarray
    memory_gb: np.ndarray | None
    reference_gflops: float
    heterogeneous: bool

    def fits(self, need_gb: float) -> np.ndarray:
        """Boolean (N,): satellites whose memory holds ``need_gb`` (all True without a memory model)."""
        if self.memory_gb is None:
            return np.ones(len(self.gflops), dtype=bool)
        return self.memory_gb >= need_gb


def exact_share_counts(shares: ArrayLike, n: int) -> np.ndarray:
    """Counts summing to ``n`` closest to ``shares * n / sum(shares)`` (largest remainder, ties to the first).

    >>> exact_share_counts([1, 1], 5).tolist(), exact_share_counts([0.2, 0.8], 10).tolist()
    ([3, 2], [2, 8])
    """
    share = np.asarray(shares, dtype=float)
    quota = share / share.sum() * n
    counts = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _read_values(path: Path, n: int, field: str) -> np.ndarray:
    if path.suffix.lower() == ".npy":
        return _checked_values(load_numpy(path), n, field, path)
    try:
        values = np.loadtxt(path, dtype=float, ndmin=1)
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except (ValueError, OSError) as exc:
        raise FileFormatError(f"expected numbers, one per satellite ({exc})", field=field, source=path) from None
    return _checked_values(values, n, field, path)


def _checked_values(values, n: int, field: str, path: Path) -> np.ndarray:
    try:
        values = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise FileFormatError(f"expected numbers, got {np.asarray(values).dtype}", field=field, source=path) from None
    if len(values) != n:
        raise FileFormatError(f"has {len(values)} values but the constellation has {n} satellites", field=field,
                              source=path)
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise FileFormatError("values must be finite and positive", field=field, source=path)
    return values


def per_satellite_values(model: PerSatellite, base: float | None, n: int, rng: np.random.Generator, *, field: str,
                         source: str | os.PathLike | None = None) -> np.ndarray:
    """Draw one value per satellite id from a :class:`~spacexnet_opt.formats.scenario.PerSatellite` model.

    ``base`` is the common value (and the centre of ``spread``); ``source`` is
    the scenario file, against whose directory ``model.file`` is resolved.
    """
    if model.file is not None:
        return _read_values(Path(source or ".").parent / model.file, n, field)
    if model.choices is not None:
        counts = exact_share_counts(model.shares or [1.0] * len(model.choices), n)
        return rng.permutation(np.repeat(np.asarray(model.choices, dtype=float), counts))
    return base * rng.uniform(1.0 - model.spread, 1.0 + model.spread, n)


def draw_onboard(spec: ComputeSpec, n_sats: int, *, seed: int = 0, source: str | os.PathLike | None = None) -> Onboard:
    """The speed and memory of every satellite under a scenario's ``[compute]`` block (seeded).

    Parameters
    ----------
    spec : ComputeSpec
    n_sats : int
    seed : int
        ``seeds.compute``; speed uses the stream ``(seed, 0)`` and memory ``(seed, 1)``.
    source : path, optional
        The scenario file (for relative files and messages).
    """
    base = spec.satellite_gflops
    if spec.gflops is None:
        gflops = np.full(n_sats, base)
    else:
        gflops = per_satellite_values(spec.gflops, base, n_sats, np.random.default_rng([seed, 0]),
                                      field="compute.gflops", source=source)
    memory = None
    if spec.memory is not None:
        memory = per_satellite_values(spec.memory, spec.memory_gb, n_sats, np.random.default_rng([seed, 1]),
                                      field="compute.memory", source=source)
    elif spec.memory_gb is not None:
        memory = np.full(n_sats, spec.memory_gb)
    return Onboard(gflops, memory, base, spec.heterogeneous)


def expert_memory_gb(profile: ModelProfile, bytes_per_param: float | None = None) -> float:
    """GB (1e9 bytes) of one routed expert's weights: SwiGLU ``3 * hidden * ffn`` parameters.

    >>> from spacexnet_opt.moe import get_profile
    >>> round(expert_memory_gb(get_profile("llama-moe-3.5b-2of8")), 6)   # 3 * 4096 * 1376 * 2 bytes
    0.033817
    """

    per_param = DEFAULT_BYTES_PER_PARAM if bytes_per_param is None else bytes_per_param
    return expert_macs(profile) * per_param / 1e9


def check_memory_floor(spec: ComputeSpec, profile: ModelProfile, source=None) -> None:
    """Refuse a memory model in which no satellite holds even one expert of ``profile`` (one line naming the field).

    Checked on the values given (``memory_gb``; ``[compute.memory]`` ``choices``): a satellite must at least
    hold one expert's weights (:func:`expert_memory_gb`).

    >>> from spacexnet_opt.formats.scenario import ComputeSpec
    >>> from spacexnet_opt.moe import get_profile
    >>> check_memory_floor(ComputeSpec(memory_gb=0.01), get_profile("llama-moe-3.5b-2of8"))
    Traceback (most recent call last):
    ...
    spacexnet_opt.errors.InputError: compute.memory_gb: 0.01 GB is smaller than one expert of \
llama-moe-3.5b-2of8 (0.033817 GB)
    """
    need = expert_memory_gb(profile, spec.bytes_per_param)
    given = [("compute.memory_gb", spec.memory_gb)] if spec.memory is None or spec.memory.spread is not None else []
    if spec.memory is not None and spec.memory.choices is not None:
        given = [("compute.memory.choices", max(spec.memory.choices))]
    for field, value in given:
        if value is not None and value < need:
            raise InputError(f"{value:g} GB is smaller than one expert of {profile.name} ({need:.6f} GB)",
                             field=field, source=source)
