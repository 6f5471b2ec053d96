"""Profile files: a user's TOML or JSON profile, or a Hugging Face ``config.json``, read into a profile."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from ..errors import FileFormatError, InputError
from ..fileio import check_nesting, read_json, read_text
from .hf import is_hf_config, profile_from_hf_config
from .profiles import ModelProfile, get_profile

__all__ = ["PROFILE_FILE_TYPES", "load_profile"]

PROFILE_FILE_TYPES = (".toml", ".json")
"""Suffixes :func:`load_profile` reads: a TOML or JSON profile, or a Hugging Face ``config.json``."""


def _read_mapping(path: Path) -> dict[str, Any]:
    if path.suffix not in PROFILE_FILE_TYPES:
        raise FileFormatError("unknown profile file type: expected .toml or .json", source=path)
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        text = read_text(path)
        check_nesting(text, source=path, toml=True)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise FileFormatError(f"invalid TOML: {exc}", source=path) from None
    data = read_json(path)
    if not isinstance(data, dict):
        raise FileFormatError("expected a JSON object at top level", source=path)
    return data


def load_profile(path: str | os.PathLike) -> ModelProfile:
    """Read a user profile from a TOML or JSON file, or a Hugging Face ``config.json``.

    The file holds the :class:`ModelProfile` fields at top level (or in a
    ``[profile]`` table). ``base = "mixtral-8x7b"`` starts from a built-in
    profile and overrides only the keys given. A JSON file with ``model_type``
    or ``architectures`` is a Hugging Face config
    (:func:`spacexnet_opt.moe.hf.profile_from_hf_config`).

    Raises
    ------
    spacexnet_opt.errors.InputError
        Naming the file and the key: unknown or missing keys, wrong types or values.

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = f.write_text('base = "mixtral-8x7b"\\nname = "mixtral-top1"\\ntop_k = 1\\n')
    >>> load_profile(f).top_k
    1
    """
    path = Path(path)
    data = _read_mapping(path)
    if path.suffix == ".json" and is_hf_config(data):
        return profile_from_hf_config(data, source=path)
    if set(data) == {"profile"} and isinstance(data["profile"], dict):
        data = data["profile"]
    data = dict(data)
    known = {f.name for f in dataclasses.fields(ModelProfile)}
    unknown = sorted(set(data) - known - {"base"})
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}; valid keys: base, {', '.join(sorted(known))}",
                         field=unknown[0], source=path)
    values: dict[str, Any] = {}
    if "base" in data:
        try:
            values = dataclasses.asdict(get_profile(data.pop("base")))
        except InputError as exc:
            raise InputError(exc.message, field="base", source=path) from None
    values.update(data)
    values["source"] = str(path)
    missing = [f.name for f in dataclasses.fields(ModelProfile)
               if f.default is dataclasses.MISSING and f.name not in values]
    if missing:
        raise InputError(f"missing required key(s) {', '.join(missing)}", field=missing[0], source=path)
    return ModelProfile(**values)
