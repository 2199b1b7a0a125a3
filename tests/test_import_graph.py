"""Arrows between packages go one way: no import cycle between top-level packages,
none inside webhooks/, and nothing imports the project package connector_site
(settings, URLs and ASGI wiring import the apps, never the other way round).

Imports are read from the source (ast), including those inside functions: a
cycle hidden in a call-time import is still a cycle.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"accounts", "apps_admin", "bench", "chat", "connector_site", "core", "liveperson", "sandbox"}
PACKAGES |= {"api", "webhooks", "worker"}


def _sources(package: str):
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if "tests" not in parts and "migrations" not in parts:
            yield path


def _imported(path: Path) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved)."""
    module_parts = path.relative_to(ROOT).with_suffix("").parts
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*module_parts[: -node.level], *([base] if base else [])])
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph, as a path, or []."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target, [*path, target])):
                return found
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return []


def test_no_cycle_between_top_level_packages():
    graph = defaultdict(set)
    for package in PACKAGES - {"connector_site"}:
        for path in _sources(package):
            graph[package] |= {name.split(".")[0] for name in _imported(path)} & PACKAGES - {package}

    cycle = _cycle(graph)
    assert not cycle, " -> ".join(cycle)
    assert [p for p, targets in graph.items() if "connector_site" in targets] == []


def test_no_cycle_inside_webhooks():
    modules = {path.stem: path for path in (ROOT / "webhooks").glob("*.py") if path.stem != "__init__"}
    graph = {
        name: {imported.split(".")[1] for imported in _imported(path) if imported.startswith("webhooks.")}
        & set(modules) - {name}
        for name, path in modules.items()
    }

    cycle = _cycle(graph)
    assert not cycle, " -> ".join(cycle)


def test_the_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
