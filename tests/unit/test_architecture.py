"""The package's layering holds: no import cycles, no import that reaches a higher layer.

The layers are data (``LAYERS``, lowest first), mirrored in docs/architecture.md
(section "What may import what").  Every import of every module under evalkit/ is
read with ``ast``, including imports inside functions (a lazy import is still a
dependency).  A submodule's implicit import of its parent package is not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "evalkit"

# Module prefix -> layer.  A module belongs to the layer of its longest matching prefix
# (whole dotted components); the root package ``evalkit`` (the Python API) matches only itself.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("evalkit.errors", "evalkit.version", "evalkit.unitids", "evalkit.tree", "evalkit.scheme", "evalkit.project",
              "evalkit.panel", "evalkit.ranking", "evalkit.normalise", "evalkit.weight", "evalkit.aggregate", "evalkit.workers",
              "evalkit.prepare", "evalkit.analysis.network", "evalkit.i18n")),
    ("loading", ("evalkit.load", "evalkit.changes", "evalkit.output", "evalkit.collect", "evalkit.importers")),
    ("scoring", ("evalkit.pipeline", "evalkit.summary")),
    ("analyses", ("evalkit.analysis", "evalkit.plan")),
    ("reports", ("evalkit.report",)),
    ("command line", ("evalkit", "evalkit.cli", "evalkit.run", "evalkit.__main__")),
)
RANK = {layer: i for i, (layer, _) in enumerate(LAYERS)}


def layer_of(module: str) -> str | None:
    """The layer of ``module`` (longest matching prefix), None when no prefix matches."""
    best, best_len = None, -1
    for layer, prefixes in LAYERS:
        for prefix in prefixes:
            matches = module == prefix if prefix == "evalkit" else (
                module == prefix or module.startswith(prefix + "."))
            if matches and len(prefix) > best_len:
                best, best_len = layer, len(prefix)
    return best


def modules(root: Path = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


def imports_of(name: str, path: Path, is_pkg: bool, known: set[str]) -> dict[str, int]:
    """The evalkit modules ``name`` imports (module -> first line), at any depth of its code."""
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        while target not in known and "." in target:   # `from evalkit.x import name`: the module x
            target = target.rsplit(".", 1)[0]
        if target in known and target != name:
            found.setdefault(target, line)

    package = name.split(".") if is_pkg else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "evalkit":
                    add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "evalkit":
                continue
            for alias in node.names:   # `from . import context`: the submodule, when there is one
                sub = f"{source}.{alias.name}"
                add(sub if sub in known else source, node.lineno)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, dict[str, int]]:
    mods = modules(root)
    known = set(mods)
    return {name: imports_of(name, path, is_pkg, known) for name, (path, is_pkg) in mods.items()}


def upward_imports(graph: dict[str, dict[str, int]], files: dict[str, Path]) -> list[str]:
    bad = []
    for source, targets in sorted(graph.items()):
        for target, line in sorted(targets.items()):
            a, b = layer_of(source), layer_of(target)
            if a is not None and b is not None and RANK[b] > RANK[a]:
                bad.append(f"{files[source].relative_to(PACKAGE.parent)}:{line}: {source} ({a}) imports "
                           f"{target} ({b}), a higher layer")
    return bad


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


GRAPH = import_graph()
FILES = {name: path for name, (path, _) in modules().items()}


def test_the_graph_sees_the_package():
    # the reader finds the known edges, module- and function-level alike
    assert "evalkit.errors" in GRAPH["evalkit.tree"]
    assert "evalkit.pipeline" in GRAPH["evalkit"]                   # inside a function of __init__
    assert "evalkit.report.context" in GRAPH["evalkit.report.render"]   # `from . import context as C`
    assert len(GRAPH) > 50


def test_every_module_has_a_layer():
    missing = sorted(m for m in GRAPH if layer_of(m) is None)
    assert not missing, f"give these modules a layer in LAYERS (and in docs/architecture.md): {missing}"


def test_no_import_cycles():
    found = cycles(GRAPH)
    assert not found, "import cycles (move the shared part into a lower module): " + "; ".join(
        " <-> ".join(c) for c in found)


def test_no_import_reaches_a_higher_layer():
    bad = upward_imports(GRAPH, FILES)
    assert not bad, "imports crossing a layer upward:\n" + "\n".join(bad)


@pytest.mark.parametrize("module, layer", [
    ("evalkit.weight.entropy", "core"), ("evalkit.load.yamlnodes", "loading"), ("evalkit.pipeline", "scoring"),
    ("evalkit.analysis.disparity", "analyses"), ("evalkit.report.region", "reports"),
    ("evalkit", "command line"), ("evalkit.cli", "command line"), ("evalkit.nowhere", None),
])
def test_layer_of(module, layer):
    assert layer_of(module) == layer


def test_the_checks_catch_what_they_should():
    # a made-up graph: a cycle, and core reaching up into the reports and the command line
    graph = {"evalkit.tree": {"evalkit.report.render": 3}, "evalkit.report.render": {"evalkit.tree": 1},
             "evalkit.aggregate": {"evalkit.cli": 7}, "evalkit.cli": {"evalkit.aggregate": 2}}
    files = {m: PACKAGE / (m.split(".", 1)[1].replace(".", "/") + ".py") for m in graph}
    assert sorted(cycles(graph)) == [["evalkit.aggregate", "evalkit.cli"], ["evalkit.report.render", "evalkit.tree"]]
    bad = upward_imports(graph, files)
    assert bad == ["evalkit/aggregate.py:7: evalkit.aggregate (core) imports evalkit.cli (command line), a higher "
                   "layer",
                   "evalkit/tree.py:3: evalkit.tree (core) imports evalkit.report.render (reports), a higher layer"]


def test_the_layers_are_documented():
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for layer, prefixes in LAYERS:
        assert f"**{layer}**" in doc, layer
        for prefix in prefixes:
            assert f"`{prefix}`" in doc, prefix
