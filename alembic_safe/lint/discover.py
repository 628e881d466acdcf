"""Which files ``alembic-safe lint`` reads: .sql files and Alembic migration scripts."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic_safe.errors import UsageError

_SKIPPED_SCRIPTS = frozenset({"env.py", "__init__.py"})
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


def is_migration_script(path: Path) -> bool:
    """Whether ``path`` defines ``revision`` and ``upgrade`` at module level (read with ast)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return True  # linted anyway, so that the error is reported with its line
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {"revision", "upgrade"} <= names


def _walk(folder: Path) -> Iterable[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            if not entry.name.startswith(".") and entry.name not in _SKIPPED_DIRS:
                yield from _walk(entry)
        elif entry.suffix == ".sql" or (
            entry.suffix == ".py" and entry.name not in _SKIPPED_SCRIPTS
            and is_migration_script(entry)
        ):
            yield entry


def collect(paths: Sequence[Path]) -> list[Path]:
    """The files to lint under ``paths`` (folders recursed), in order, without duplicates.

    A path that does not exist, a file that is neither .sql nor .py, or a folder that holds no
    migration (a mistyped CI path would otherwise pass silently) is a UsageError.
    """
    found: dict[Path, None] = {}
    empty: list[str] = []
    for path in paths:
        if path.is_dir():
            inside = dict.fromkeys(_walk(path))
            if not inside:
                empty.append(str(path))
            found.update(inside)
        elif path.is_file():
            if path.suffix not in (".sql", ".py"):
                raise UsageError(f"{path}: cannot lint this file: give .sql files, Alembic "
                                 "migration scripts (.py) or folders")
            found[path] = None
        else:
            raise UsageError(f"{path}: no such file or folder")
    if empty:
        raise UsageError(
            f"{', '.join(empty)}: no migration to lint (no .sql file, no Alembic script "
            "defining revision and upgrade); check the path"
        )
    return list(found)
