"""``--option KEY=VALUE``: method options from the command line, checked against the solver registry.

``KEY=VALUE`` goes to every chosen method that declares ``KEY``;
``METHOD.KEY=VALUE`` to that method alone. ``VALUE`` is read as JSON
(``4``, ``0.5``, ``true``, ``null``) and otherwise kept as text. A key that no
chosen method declares, or a method that is not chosen, is refused naming
``--option`` and the valid keys.

>>> method_options(["workers=1", "memetic.population=6"], ["memetic", "bnb"])
{'memetic': {'workers': 1, 'population': 6}, 'bnb': {'workers': 1}}
>>> method_options(["kicks=5"], ["hungarian"])
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: --option: 'kicks' is not an option of hungarian (valid: none)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InputError
from ..solve.registry import get_method

__all__ = ["method_options", "FIELD"]

FIELD = "--option"


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def method_options(items: Sequence[str] | None, methods: Sequence[str],
                   registry: Mapping[str, Iterable[str]] | None = None) -> dict[str, dict[str, Any]]:
    """Options per method (only methods that receive one) from ``--option`` ``items``.

    ``registry`` maps a method to its option names (default: the solver registry's).
    """
    declared = {m: set(get_method(m).options if registry is None else registry[m]) for m in methods}
    out: dict[str, dict[str, Any]] = {}
    for item in items or ():
        if not methods:
            raise InputError(f"no chosen method takes options, got {item!r}", field=FIELD)
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected KEY=VALUE or METHOD.KEY=VALUE, got {item!r}", field=FIELD)
        scope, dot, name = key.strip().rpartition(".")
        targets = [scope] if dot else [m for m in methods if name in declared[m]]
        if dot and scope not in declared:
            raise InputError(f"{scope!r} is not a chosen method ({', '.join(methods)})", field=FIELD)
        if not targets or not all(name in declared[m] for m in targets):
            method = targets[0] if targets else ", ".join(methods)
            valid = sorted(set().union(*(declared[m] for m in (targets or methods))))
            raise InputError(f"{name!r} is not an option of {method} (valid: {', '.join(valid) or 'none'})",
                             field=FIELD)
        for method in targets:
            out.setdefault(method, {})[name] = _value(text)
    return out
