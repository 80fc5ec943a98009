"""The package's layers go one way: a module imports only its own layer and the layers before it, and
no import (function-local ones included) closes a cycle. The import graph is the one the staleness
stamps hash (:func:`hybridlib.fingerprint.module_imports`), so what is checked here is what is hashed."""

from __future__ import annotations

import ast
from pathlib import Path

from hybridlib.fingerprint import module_imports, package_modules

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "hybridlib"

#: Layers in pipeline order; a module may import modules of its own layer or of an earlier one.
LAYERS = [
    # the core: the parameter schema, locations, atomic writes, the writer lock, provenance, fingerprints
    {"hybridlib", "dataset_names", "params", "config", "io", "lock", "provenance", "fingerprint"},
    {"data"},
    {"pairs"},
    {"sampling"},
    {"model"},
    {"train"},
    {"retrieval"},
    {"evaluation"},
    {"analysis"},
    {"experiment"},
    # command-line entry points: ``python -m hybridlib.pipeline`` etc.
    {"pipeline", "sweep", "report", "download", "search", "pilot", "reproduce"},
]


def layer(module: str) -> int:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else parts[0]
    for rank, names in enumerate(LAYERS):
        if name in names:
            return rank
    raise AssertionError(f"{module} is in no layer: add its sub-package to LAYERS")


def test_every_module_has_a_layer():
    for module in package_modules():
        layer(module)


def test_no_module_imports_a_later_layer():
    upward = [
        f"{module} (layer {layer(module)}) imports {other} (layer {layer(other)})"
        for module in package_modules()
        for other in sorted(module_imports(module))
        if layer(other) > layer(module)
    ]
    assert not upward, "\n".join(upward)


def test_the_import_graph_has_no_cycle():
    graph = {module: sorted(module_imports(module)) for module in package_modules()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in graph.get(module, []):
            if state.get(other) == 1:
                cycles.append(" -> ".join([*path[path.index(other) :], other]))
            elif other not in state:
                visit(other, [*path, other])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_the_package_uses_absolute_imports_only():
    """Relative imports would escape the stamps' code fingerprint (it follows absolute ones)."""
    relative = [
        f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}"
        for path in PACKAGE_DIR.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    assert not relative, relative


def test_the_cli_modules_are_thin_shims():
    for name in LAYERS[-1]:
        assert len((PACKAGE_DIR / f"{name}.py").read_text().splitlines()) <= 10, name
