"""The optimiser's own methods and their options, as data (``spacexnet optimize --option``).

Like the solver registry, each method declares its options and defaults; here
they are read from the keyword-only parameters of the function that runs the
method, so a default lives in one place. :func:`chosen_methods` names the
methods a set of levers runs; :func:`check_method_options` refuses an option no
such method declares, or a value of the wrong type, naming the field.

>>> sorted(METHOD_OPTIONS["capacity-search"])
['batch', 'exhaustive_limit', 'max_passes', 'search_limit']
>>> chosen_methods(Levers(capacity=8, replicas=4, replica_method="milp"))
['capacity-search', 'milp']
>>> check_method_options({"milp": {"time_limit": 30}}, ["milp"])
{'milp': {'time_limit': 30}}
>>> check_method_options({"milp": {"time_limit": "soon"}}, ["milp"])
Traceback (most recent call last):
...
spacexnet_opt.errors.InputError: method_options: milp.time_limit must be a positive number or null, got 'soon'
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..errors import InputError
from .assign import global_assignment
from .capacity import capacity_hosts
from .levers import Levers
from .replicas import milp_replicas

__all__ = ["METHOD_OPTIONS", "chosen_methods", "check_method_options"]

FIELD = "method_options"


def _keyword_defaults(fn: Callable) -> Mapping[str, Any]:
    return MappingProxyType({name: p.default for name, p in inspect.signature(fn).parameters.items()
                             if p.kind is p.KEYWORD_ONLY})


METHOD_OPTIONS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "capacity-search": _keyword_defaults(capacity_hosts),
    "global-lap": _keyword_defaults(global_assignment),
    "milp": _keyword_defaults(milp_replicas),
})
"""Options and defaults of the optimiser's methods that have any: the capacity search (``--capacity`` above 1),
the one global assignment (``--shape free``) and the exact replica MILP (``--replica-method milp``)."""

_NULLABLE = {("global-lap", "sparse_width"), ("milp", "time_limit")}


def chosen_methods(levers: Levers) -> list[str]:
    """The methods of :data:`METHOD_OPTIONS` that ``levers`` run."""
    chosen = {"capacity-search": levers.capacity > 1 and levers.shape != "free",
              "global-lap": levers.shape == "free",
              "milp": levers.replicas > 0 and levers.replica_method == "milp"}
    return [name for name, on in chosen.items() if on]


def _check_value(method: str, name: str, value: Any) -> None:
    default = METHOD_OPTIONS[method][name]
    nullable = (method, name) in _NULLABLE
    if value is None and nullable:
        return
    whole = default is None or isinstance(default, int)     # sparse_width: an integer or None
    if isinstance(value, int if whole else (int, float)) and not isinstance(value, bool) and value > 0:
        return
    kind = "a positive integer" if whole else "a positive number"
    raise InputError(f"{method}.{name} must be {kind}{' or null' if nullable else ''}, got {value!r}", field=FIELD)


def check_method_options(options: Mapping[str, Mapping[str, Any]] | None,
                         chosen: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``options`` (method -> name -> value) checked against the chosen methods' declared options."""
    out: dict[str, dict[str, Any]] = {}
    for method, given in (options or {}).items():
        if method not in chosen:
            raise InputError(f"{method!r} is not a method these levers run (they run: "
                             f"{', '.join(chosen) or 'none with options'})", field=FIELD)
        for name, value in given.items():
            if name not in METHOD_OPTIONS[method]:
                valid = ", ".join(sorted(METHOD_OPTIONS[method]))
                raise InputError(f"{name!r} is not an option of {method} (valid: {valid})", field=FIELD)
            _check_value(method, name, value)
        out[method] = dict(given)
    return out
