"""The package's shape: data flows one way (SQL or ops -> facts -> findings -> report).

Module-level imports (those outside ``if TYPE_CHECKING:``) form no cycle; the analyzer imports
no other layer; the rules and fixes import no front end (lint, the guard, autogenerate, the CLI).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "alembic_safe"
FRONT_ENDS = {"runtime", "cli", "autogenerate", "lint", "capture", "report"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _module_level_imports(path: Path, name: str, modules: dict[str, Path]) -> Iterator[str]:
    """The modules imported at module level by the module ``name`` at ``path``: ``from p
    import m`` imports the module ``p.m`` when there is one, else (a name ``p`` defines) ``p``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1]
                                + ([node.module] if node.module else []))
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for target in _module_level_imports(path, name, modules)
                   if target in modules and target != name}
            for name, path in modules.items()}


def _layer(module: str) -> str:
    """The package under alembic_safe (``analysis``...) or the top-level module's name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target, [*path, target])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "alembic_safe.analysis.facts" in graph["alembic_safe.analysis.analyzer"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_level_import_cycle() -> None:
    assert _cycle(_graph()) is None


def test_the_analyzer_imports_no_other_layer() -> None:
    wrong = sorted((module, target) for module, targets in _graph().items()
                   if _layer(module) == "analysis"
                   for target in targets if _layer(target) != "analysis")
    assert wrong == []


def test_rules_and_fixes_import_no_front_end() -> None:
    wrong = sorted((module, target) for module, targets in _graph().items()
                   if _layer(module) in ("rules", "fix")
                   for target in targets if _layer(target) in FRONT_ENDS)
    assert wrong == []
