"""The package's layering, read from its own imports: no import circle, and no package imports one above it.

Layers, lowest first (``docs/architecture.md`` draws them): plumbing, the
domain models, the file formats, the resolved setting and instance builder,
the solvers, the evaluator, the deployment optimiser, the experiments, the
view, the command line. A package may import its own layer (where listed
together) and every layer below.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "spacexnet_opt"

LAYERS = [
    {"", "errors", "status", "limits", "budget", "progress", "fileio", "plotting", "threads"},
    {"constellation", "moe", "partition"},
    {"formats"},
    {"setting"},
    {"solve"},
    {"evaluate"},
    {"serve"},
    {"optimize"},
    {"reproduce", "sweep"},
    {"view", "timeline"},
    {"cli"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(*, top_level: bool = False) -> dict[str, set[str]]:
    """Module -> the project modules it imports (outside ``if TYPE_CHECKING:`` blocks; with ``top_level``, only
    the imports outside functions, which run when the module is imported)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module, tree = _module(path), ast.parse(path.read_text())
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        if top_level:
            typing_only |= {id(n) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                            for n in ast.walk(node)}
        targets = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or id(node) in typing_only:
                continue
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    targets |= {f"{target}.{alias.name}" for alias in node.names}
                    continue
            else:
                target = node.module or ""
            if target.split(".")[0] == "spacexnet_opt":
                targets.add(target)
        graph[module] = targets
    return graph


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_package_has_a_layer():
    assert {_top(m) for m in _imports()} <= set(LEVEL)


def test_no_package_imports_one_above_it():
    upward = sorted(f"{m} -> {t}" for m, targets in _imports().items() for t in targets
                    if _top(t) in LEVEL and LEVEL[_top(t)] > LEVEL[_top(m)])
    assert upward == []


def _with_packages(target: str, source: str) -> set[str]:
    """``target`` and the packages Python initialises to import it (``a.b`` for ``a.b.c``), less ``source``'s own."""
    parts = target.split(".")
    ancestors = {".".join(parts[:n]) for n in range(2, len(parts))}
    own = {".".join(source.split(".")[:n]) for n in range(1, len(source.split(".")) + 1)}
    return {target} | (ancestors - own)


def test_no_import_circle():
    """Module-level imports only (the ones Python runs at import time), each with the packages it initialises."""
    graph = _imports(top_level=True)
    known = set(graph)
    edges = {m: {t for target in ts for t in _with_packages(target, m) if t in known and t != m}
             for m, ts in graph.items()}
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert circles == []
