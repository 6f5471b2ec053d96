"""The solver methods as data: one :class:`Method` record per backend.

Each record names the problem kinds the method accepts (``linear``, ``top2``,
``trace``, ``qap``: the problem's ``kind``), whether it proves optimality,
its options with their defaults, and its backend as ``"module:function"``
inside :mod:`spacexnet_opt.solve.backends`, imported only when the method runs
(heavy optional dependencies load only for the backend that needs them).

Every backend has the signature::

    fn(problem, *, time_limit: float | None, rng: numpy.random.Generator, **options) -> BackendOutput

where ``options`` are exactly the keys of :attr:`Method.options`.

>>> REGISTRY["dp"].kinds, REGISTRY["dp"].exact
(('top2', 'trace'), True)
>>> sorted(REGISTRY["faq"].options.items())
[('starts', 1)]
>>> [m.name for m in methods_for("linear") if m.exact][:2]
['hungarian', 'ortools-lsa']
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

__all__ = ["KINDS", "Method", "REGISTRY", "METHODS", "DEFAULT_METHOD", "get_method", "methods_for", "default_method"]

KINDS = ("linear", "top2", "trace", "qap")
"""Problem kinds: linear assignment, top-2 bottleneck QAP, trace bottleneck, general QAP (QAPLIB)."""


@dataclass(frozen=True)
class Method:
    """One solver method: what it accepts, what it proves, how to tune it, where it lives."""

    name: str
    kinds: tuple[str, ...]
    exact: bool
    backend: str  # "module:function" inside spacexnet_opt.solve.backends
    summary: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def refusal(self, kind: str) -> str:
        """The message for a problem of a kind this method does not accept."""
        label = "QAP" if set(self.kinds) == {"top2", "qap"} else " and ".join(self.kinds)
        return f"{self.name} solves {label} problems only, not {kind!r}"

    def function(self) -> Callable:
        """The backend callable, imported on first use."""
        module_name, func_name = self.backend.split(":")
        module = importlib.import_module(f"{__package__}.backends.{module_name}")
        return getattr(module, func_name)

    def resolve_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults updated by ``options``; an unknown key raises ``ValueError`` naming the valid ones."""
        unknown = sorted(set(options or {}) - set(self.options))
        if unknown:
            valid = ", ".join(sorted(self.options)) or "none"
            raise ValueError(f"unknown option{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))} "
                             f"for method {self.name!r}; valid options: {valid}")
        return {**self.options, **(options or {})}


_BOTTLENECK = ("top2", "trace")
_QAP = ("top2", "qap")

REGISTRY: Mapping[str, Method] = MappingProxyType({m.name: m for m in (
    Method("sorted", ("linear", "top2", "trace"), False, "closed_form:solve_sorted",
           "experts by activation onto candidates by latency; exact for a non-negative rank-one linear cost"),
    Method("hungarian", ("linear",), True, "scipy_lsa:solve_hungarian",
           "scipy linear_sum_assignment (Jonker-Volgenant)"),
    Method("ortools-lsa", ("linear",), True, "ortools_lsa:solve_ortools_lsa",
           "OR-Tools linear sum assignment on floor-scaled integer costs"),
    Method("dp", _BOTTLENECK, True, "subset_dp:solve_dp",
           "dynamic programme over subsets of experts on the m fastest candidates (m <= max_experts)",
           {"max_experts": 22}),
    Method("order-ls", _BOTTLENECK, False, "order_ls:solve_order_ls",
           "swap and insert local search on the expert order, seeded by sorted, with random kicks",
           {"kicks": 100, "kick_size": 3}),
    Method("cpsat", KINDS, True, "cpsat:solve_cpsat",
           "OR-Tools CP-SAT on floor-scaled integers, started from a heuristic hint",
           {"workers": None, "hint": True}),
    Method("pulp-cbc", KINDS, True, "pulp_milp:solve_pulp_cbc",
           "MILP (Adams-Johnson for QAP) with CBC", {"mip_rel_gap": 1e-9}),
    Method("pulp-highs", KINDS, True, "pulp_milp:solve_pulp_highs",
           "MILP (Adams-Johnson for QAP) with HiGHS", {"mip_rel_gap": 1e-9}),
    Method("brute", KINDS, True, "brute:solve_brute",
           "enumeration of every relevant assignment (small layers)", {"max_assignments": 1_000_000}),
    Method("bnb", _QAP, True, "qap_bnb:solve_bnb",
           "branch and bound with the RLT-1 dual-ascent bound and symmetry reduction, in parallel threads",
           {"workers": None}),
    Method("faq", _QAP, False, "scipy_qap:solve_faq", "scipy FAQ, best of several starts", {"starts": 1}),
    Method("2opt", _QAP, False, "scipy_qap:solve_2opt", "scipy pairwise-exchange local search", {"starts": 1}),
    Method("tabu", _QAP, False, "tabu:solve_tabu", "robust tabu search (Taillard)",
           {"tenure_min": 0.9, "tenure_max": 1.1, "aspiration": 5.0}),
    Method("bls", _QAP, False, "bls:solve_bls", "breakout local search, compiled with numba"),
    Method("memetic", _QAP, False, "memetic:solve_memetic",
           "crossover plus robust tabu walks, one child per thread and round (numba)",
           {"population": 10, "walk": 10, "patience": 40, "workers": None}),
)})
"""Every method by name."""

METHODS: Mapping[str, str] = MappingProxyType({name: m.backend for name, m in REGISTRY.items()})
"""Method name -> ``"module:function"`` of its backend (a view of :data:`REGISTRY`)."""

DEFAULT_METHOD = {"linear": "hungarian", "qap": "memetic"}
"""Default method per problem kind; ``top2`` and ``trace`` use ``dp`` up to its reach, else ``order-ls``."""


def get_method(name: str) -> Method:
    """The record of ``name``; ``ValueError`` lists the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(sorted(REGISTRY))}") from None


def methods_for(kind: str) -> list[Method]:
    """The methods accepting problems of ``kind``, in registry order."""
    return [m for m in REGISTRY.values() if kind in m.kinds]


def default_method(problem) -> str:
    """The method :func:`~spacexnet_opt.solve.solve` uses when none is named."""
    kind = problem.kind
    if kind in _BOTTLENECK:
        return "dp" if problem.shape[0] <= REGISTRY["dp"].options["max_experts"] else "order-ls"
    return DEFAULT_METHOD[kind]
