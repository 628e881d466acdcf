"""Whether a migration script runs under the runtime guard (its env.py calls
``alembic_safe.configure``), which sets ``lock_timeout`` before every statement."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ENV_SEARCH_DEPTH = 3  # versions/<branch>/script.py -> versions -> script_location


def runs_under_guard(script: Path) -> bool:
    """True when the nearest ``env.py`` above ``script`` (within a few folders) installs the
    guard: offline lint then knows that ``lock_timeout`` is managed at run time."""
    for folder in list(script.resolve().parents)[:ENV_SEARCH_DEPTH]:
        env = folder / "env.py"
        if env.is_file():
            return _installs_guard(env)
    return False


@lru_cache(maxsize=64)
def _installs_guard(env: Path) -> bool:
    """Whether ``env`` calls ``alembic_safe.configure`` (however it was imported)."""
    try:
        tree = ast.parse(env.read_text(encoding="utf-8"), filename=str(env))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return False  # an env.py Python cannot read is not known to install the guard
    modules: set[str] = set()  # names bound to the alembic_safe module
    functions: set[str] = set()  # names bound to alembic_safe.configure
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.asname or alias.name for alias in node.names
                           if alias.name == "alembic_safe")
        elif isinstance(node, ast.ImportFrom) and node.module == "alembic_safe":
            functions.update(alias.asname or alias.name for alias in node.names
                             if alias.name == "configure")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if isinstance(called, ast.Name) and called.id in functions:
            return True
        if (isinstance(called, ast.Attribute) and called.attr == "configure"
                and isinstance(called.value, ast.Name) and called.value.id in modules):
            return True
    return False
