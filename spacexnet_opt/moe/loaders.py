"""Read activation statistics from router-load files and token traces.

Formats (see ``docs/moe.md``):

- expert load, SGLang/EPLB JSON ``{"logical_count": [[c_0, ..., c_{E-1}], ...]}``
  with one row per layer, or a vLLM-style ``.npy`` array (layers, experts);
  all-zero rows of dense layers are recognised and skipped;
- token traces, ``.npz`` with ``sets`` (L, T, k) [+ ``layers``, ``weights``,
  ``n_experts``] or JSONL: an optional header line ``{"n_experts": E, "layers": [...]}``
  then one line per token ``{"experts": [[...k ids...] per layer], "weight": w}``.

>>> import numpy as np, pathlib, tempfile
>>> f = pathlib.Path(tempfile.mkdtemp()) / "load.npy"
>>> np.save(f, np.array([[0, 0, 0, 0], [40, 10, 10, 10], [5, 5, 5, 5]]))
>>> with warnings.catch_warnings(record=True) as caught:    # expert 0 of layer 1 holds more than p = 1
...     warnings.simplefilter("always")
...     s = load_expert_load(f, k=2)
>>> [w.category.__name__ for w in caught]
['ProbabilityCapWarning']
>>> s.layers, s.p.tolist()
((1, 2), [[1.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333], [0.5, 0.5, 0.5, 0.5]])
>>> s.notes[0][:52]
'layer 1: 1 expert(s) above p = 1 were capped at 1 by'
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, InputError
from ..fileio import load_numpy, parse_json, read_json, read_text, write_bytes_atomic, write_text_atomic
from .profiles import PROFILES, ModelProfile, get_profile
from .stats import ActivationStats, water_fill

__all__ = ["load_expert_load", "load_trace", "save_trace", "ProbabilityCapWarning"]

OVERFLOW_POLICIES = ("cap", "error")

MAX_EXPERTS = 65_536
"""Most routed experts per layer a trace may declare (DeepSeek-V3 has 256)."""


class ProbabilityCapWarning(UserWarning):
    """Some ``count / sum * k`` exceeded 1 and was capped (see :func:`spacexnet_opt.moe.water_fill`)."""


def _resolve_profile(profile, shape: tuple[int, int], k, path: Path) -> tuple[ModelProfile | None, int, list[str]]:
    """The profile to check against, k, and a note when the profile was inferred from the shape."""
    if profile is not None:
        profile = get_profile(profile)
        if k is not None and k != profile.top_k:
            raise InputError(f"k={k} contradicts profile {profile.name} (top_k={profile.top_k})", field="k", source=path)
        return profile, profile.top_k, []
    if k is not None:
        return None, k, []
    matches = [p for p in PROFILES.values() if shape[1] == p.n_experts and shape[0] in (p.n_layers, p.n_moe_layers)]
    if len(matches) != 1:
        raise InputError(f"cannot tell top-k for a {shape[0]} x {shape[1]} load; pass profile= or k=",
                         field="k", source=path)
    return matches[0], matches[0].top_k, [f"profile {matches[0].name} inferred from the shape {shape[0]} x {shape[1]}"]


def _read_counts(path: Path) -> np.ndarray:
    if path.suffix == ".json":
        data = read_json(path)
        if not isinstance(data, dict) or "logical_count" not in data:
            raise FileFormatError('expected an object with a "logical_count" array (layers x experts)', source=path)
        rows = data["logical_count"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise FileFormatError("must be a list of per-layer lists", field="logical_count", source=path)
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            first = next(i for i, r in enumerate(rows) if len(r) != len(rows[0]))
            raise FileFormatError(f"has {len(rows[first])} experts, layer 0 has {len(rows[0])}",
                                  field=f"layer {first}", source=path)
        try:
            return np.array(rows, dtype=float).reshape(len(rows), -1 if rows and rows[0] else 0)
        except (TypeError, ValueError, OverflowError):
            raise FileFormatError("counts must be numbers", field="logical_count", source=path) from None
    if path.suffix == ".npy":
        arr = load_numpy(path)
        if not (np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.complexfloating)):
            raise FileFormatError(f"expected a numeric array, got dtype {arr.dtype}", source=path)
        return arr.astype(float)
    raise FileFormatError("unknown load file type: expected .json (SGLang/EPLB) or .npy", source=path)


def _moe_rows(counts: np.ndarray, profile: ModelProfile | None, path: Path) -> tuple[int, ...]:
    """Original layer index of every row of ``counts`` that is a MoE layer; checks the dense rows."""
    n_rows = len(counts)
    empty = ~(counts != 0).any(axis=1)
    if profile is None:
        lead = int(np.argmin(empty)) if not empty.all() else n_rows
        if lead == n_rows:
            raise InputError("every layer is all zero", source=path)
        layers = tuple(range(lead, n_rows))
    elif n_rows == profile.n_layers:
        layers = profile.moe_layers
        busy_dense = [i for i in range(profile.n_dense_layers) if not empty[i]]
        if busy_dense:
            raise InputError(f"is dense in profile {profile.name} but has non-zero counts",
                             field=f"layer {busy_dense[0]}", source=path)
    elif n_rows == profile.n_moe_layers:
        layers = profile.moe_layers
    else:
        raise InputError(f"has {n_rows} layers; profile {profile.name} has {profile.n_layers} "
                         f"({profile.n_moe_layers} MoE)", field="layers", source=path)
    offset = layers[0] - (n_rows - len(layers))  # row of layer x is x - offset
    zero = [x for x in layers if empty[x - offset]]
    if zero:
        raise InputError("MoE layer has all-zero counts", field=f"layer {zero[0]}", source=path)
    return layers


def load_expert_load(path: str | os.PathLike, *, profile=None, k: int | None = None,
                     overflow: str = "cap") -> ActivationStats:
    """Activation probabilities ``p = count / sum * k`` from an expert-load file.

    Parameters
    ----------
    path : path
        SGLang/EPLB JSON (``logical_count``) or ``.npy`` array (layers, experts).
    profile : str or ModelProfile, optional
        Checks the layer and expert counts and gives k and the dense layers. If
        neither ``profile`` nor ``k`` is given, the built-in profile whose shape
        matches is used (and said so in ``notes``).
    k : int, optional
        Top-k without a profile; leading all-zero rows are then the dense layers.
    overflow : {"cap", "error"}
        What to do when some ``count / sum * k`` exceeds 1, which top-k routing
        of distinct experts cannot produce: ``"cap"`` applies :func:`water_fill`
        (pins it at 1, rescales the rest) with a :class:`ProbabilityCapWarning`
        and a note; ``"error"`` raises.

    Raises
    ------
    spacexnet_opt.errors.InputError
        Naming the file, the layer and the problem.
    """
    if overflow not in OVERFLOW_POLICIES:
        raise InputError(f"unknown policy {overflow!r}; valid: {', '.join(OVERFLOW_POLICIES)}", field="overflow")
    path = Path(path)
    counts = _read_counts(path)
    if counts.ndim != 2 or counts.shape[1] == 0:
        raise FileFormatError(f"expected a 2-D array (layers, experts), got shape {counts.shape}", source=path)
    profile, k, notes = _resolve_profile(profile, counts.shape, k, path)
    if profile is not None and counts.shape[1] != profile.n_experts:
        raise InputError(f"has {counts.shape[1]} experts per layer; profile {profile.name} has {profile.n_experts}",
                         field="experts", source=path)
    bad = ~np.isfinite(counts) | (counts < 0)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InputError(f"count of expert {col} is {counts[row, col]:g}: counts must be finite and >= 0",
                         field=f"layer {row}", source=path)
    layers = _moe_rows(counts, profile, path)
    moe = counts[-len(layers):] if len(counts) != len(layers) else counts
    moe = moe / moe.max(axis=1, keepdims=True)  # p is scale-free; this keeps huge counts from summing to inf
    few = (moe > 0).sum(axis=1) < k
    if few.any():
        i = int(np.argmax(few))
        raise InputError(f"only {int((moe[i] > 0).sum())} experts have counts: probabilities cannot sum to k={k}",
                         field=f"layer {layers[i]}", source=path)
    p, capped = water_fill(moe, k)
    for i in np.flatnonzero(capped.any(axis=1)):
        raw = moe[i] / moe[i].sum() * k
        msg = (f"layer {layers[i]}: {int(capped[i].sum())} expert(s) above p = 1 were capped at 1 by water-filling "
               f"(largest count / sum * k = {raw.max():.4g}, expert {int(raw.argmax())})")
        if overflow == "error":
            raise InputError(msg.split(": ", 1)[1].replace("were capped at 1 by water-filling", "exceed p = 1"),
                             field=f"layer {layers[i]}", source=path)
        warnings.warn(f"{path}: {msg}", ProbabilityCapWarning, stacklevel=2)
        notes.append(msg)
    return ActivationStats(p, k=k, layers=layers, source=str(path), notes=tuple(notes))


def _npz_trace(path: Path) -> tuple[np.ndarray, dict]:
    data = load_numpy(path, archive=True)
    unknown = sorted(set(data) - {"sets", "layers", "weights", "n_experts"})
    if "sets" not in data or unknown:
        raise FileFormatError(f"expected arrays sets [, layers, weights, n_experts]; found {', '.join(sorted(data))}",
                              source=path)
    sets = data.pop("sets")
    if sets.ndim != 3 or not np.issubdtype(sets.dtype, np.integer):
        raise FileFormatError(f"must be an integer array (layers, tokens, k), got {sets.dtype} {sets.shape}",
                              field="sets", source=path)
    meta = _checked_meta({key: value.tolist() for key, value in data.items()}, path)
    return sets, meta


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_meta(meta: dict, path: Path, line: int | None = None) -> dict:
    """A trace header: ``n_experts`` and ``k`` integers, ``layers`` a list of distinct non-negative integers."""
    for key in ("n_experts", "k"):
        if key in meta and not _is_int(meta[key]):
            raise FileFormatError(f"must be an integer, got {meta[key]!r}", field=key, source=path, line=line)
    layers = meta.get("layers")
    if layers is not None and (not isinstance(layers, list) or not all(_is_int(x) and x >= 0 for x in layers)
                               or len(set(layers)) != len(layers)):
        raise FileFormatError("must be a list of distinct non-negative integers", field="layers", source=path,
                              line=line)
    return meta


def _jsonl_trace(path: Path) -> tuple[list[list[list[int]]], dict]:
    lines = read_text(path).splitlines()
    meta: dict = {}
    per_token, weights = [], []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        obj = parse_json(text, source=path, line=number)
        if not isinstance(obj, dict):
            raise FileFormatError("expected a JSON object", source=path, line=number)
        if "experts" not in obj:
            if per_token or meta or not set(obj) <= {"n_experts", "layers", "k"}:
                raise FileFormatError('expected {"experts": [...], "weight": w} (a header may only be the first line)',
                                      source=path, line=number)
            meta = _checked_meta(obj, path, number)
            continue
        layers = obj["experts"]
        if set(obj) - {"experts", "weight"} or not isinstance(layers, list) \
                or not all(isinstance(e, list) or e is None for e in layers):
            raise FileFormatError('expected {"experts": [[ids of layer 0], [ids of layer 1], ...], "weight": w}',
                                  source=path, line=number)
        if per_token and len(layers) != len(per_token[0]):
            raise FileFormatError(f"has {len(layers)} layers, line of the first token has {len(per_token[0])}",
                                  field="experts", source=path, line=number)
        empty = [not e for e in layers]
        if per_token and empty != [not e for e in per_token[0]]:
            layer = next(i for i, (a, b) in enumerate(zip(empty, (not e for e in per_token[0]))) if a != b)
            raise FileFormatError("is empty (dense) for some tokens only", field=f"layer {layer}", source=path, line=number)
        per_token.append(layers)
        weights.append(obj.get("weight", 1.0))
    if not per_token:
        raise FileFormatError("no token lines", source=path)
    keep = [i for i, e in enumerate(per_token[0]) if e]
    try:
        sets = np.array([[tok[i] for tok in per_token] for i in keep], dtype=np.int64)
        w = np.array(weights, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise FileFormatError("every layer of every token needs the same number k of integer expert ids "
                              "and weights must be numbers", field="experts", source=path) from None
    if "layers" in meta and len(meta["layers"]) == len(per_token[0]):
        meta["layers"] = [meta["layers"][i] for i in keep]
    elif "layers" not in meta and len(keep) != len(per_token[0]):
        meta["layers"] = keep
    meta["weights"] = w
    return sets, meta


def load_trace(path: str | os.PathLike, *, profile=None, n_experts: int | None = None) -> ActivationStats:
    """Token trace (per token, the k experts chosen in each MoE layer) from ``.npz`` or ``.jsonl``.

    ``p`` (and :meth:`ActivationStats.pair_coactivation`) come from the trace.
    The number of experts is taken from ``n_experts``, the file, or the profile
    (they must agree). Layer indices come from the file (``layers``, or the
    positions of the non-empty layers in JSONL), else from the profile's MoE
    layers, else ``0 .. L-1``.

    Raises
    ------
    spacexnet_opt.errors.InputError
        Naming the file (line for JSONL), the layer and the problem.
    """
    path = Path(path)
    if path.suffix == ".npz":
        sets, meta = _npz_trace(path)
    elif path.suffix == ".jsonl":
        sets, meta = _jsonl_trace(path)
    else:
        raise FileFormatError("unknown trace file type: expected .npz or .jsonl", source=path)
    profile = None if profile is None else get_profile(profile)
    candidates = {name: v for name, v in (("n_experts argument", n_experts), ("file", meta.get("n_experts")),
                                          ("profile", profile and profile.n_experts)) if v is not None}
    if not candidates:
        raise InputError("cannot tell the number of experts: pass profile= or n_experts=, or store n_experts",
                         field="n_experts", source=path)
    if len(set(candidates.values())) > 1:
        raise InputError(f"disagree: {candidates}", field="n_experts", source=path)
    n = next(iter(candidates.values()))
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= MAX_EXPERTS:
        raise InputError(f"must be an integer in 1..{MAX_EXPERTS}, got {n!r}", field="n_experts", source=path)
    n = int(n)
    layers = meta.get("layers")
    if profile is not None:
        if layers is None and len(sets) in (profile.n_moe_layers,):
            layers = list(profile.moe_layers)
        if layers is None or list(layers) != list(profile.moe_layers):
            raise InputError(f"has {len(sets)} MoE layers {'' if layers is None else layers}; profile "
                             f"{profile.name} has {profile.n_moe_layers} ({profile.n_dense_layers} dense first)",
                             field="layers", source=path)
        if sets.shape[-1] != profile.top_k:
            raise InputError(f"tokens choose {sets.shape[-1]} experts; profile {profile.name} has top_k={profile.top_k}",
                             field="k", source=path)
    layers = list(range(len(sets))) if layers is None else layers
    weights = meta.get("weights")
    if weights is not None and np.ndim(weights) == 2:
        weights = [np.asarray(w, dtype=float) for w in weights]
    return ActivationStats.from_trace(list(sets), n_experts=n, layers=layers, source=str(path), weights=weights)


def save_trace(stats: ActivationStats, path: str | os.PathLike) -> None:
    """Write the trace of ``stats`` as ``.npz`` or ``.jsonl`` (every layer must have the same tokens)."""
    path = Path(path)
    if stats.trace is None:
        raise InputError("has no trace to save", field="trace", source=stats.source or None)
    if len({tr.n_tokens for tr in stats.trace}) != 1 or any(
            not np.array_equal(tr.weights, stats.trace[0].weights) for tr in stats.trace):
        raise InputError("layers have different tokens or token weights; a trace file holds one token list",
                         field="trace", source=stats.source or None)
    sets = np.stack([tr.sets for tr in stats.trace])
    weights = stats.trace[0].weights
    if path.suffix == ".npz":
        buffer = io.BytesIO()
        np.savez_compressed(buffer, sets=sets, layers=np.array(stats.layers), weights=weights,
                            n_experts=np.array(stats.n_experts))
        write_bytes_atomic(path, buffer.getvalue())
    elif path.suffix == ".jsonl":
        header = json.dumps({"n_experts": stats.n_experts, "layers": list(stats.layers), "k": stats.k})
        body = (json.dumps({"experts": sets[:, t].tolist(), "weight": float(weights[t])}) for t in range(sets.shape[1]))
        write_text_atomic(path, "\n".join([header, *body]) + "\n")
    else:
        raise FileFormatError("unknown trace file type: expected .npz or .jsonl", source=path)
