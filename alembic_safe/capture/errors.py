"""The error of a migration script that cannot be imported or run offline."""

from __future__ import annotations

from alembic_safe.errors import UsageError


class ScriptError(UsageError):
    """A migration script that cannot be imported or run offline (names the file and line)."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem
