"""The error of a file that cannot be linted: a migration script that cannot be imported or
run offline, a file that cannot be read, a malformed declaration in a script."""

from __future__ import annotations

from alembic_safe.errors import UsageError


class ScriptError(UsageError):
    """A file that cannot be linted (names the file and, where known, the line); the other
    files of the run are still linted."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class IrreversibleDowngrade(ScriptError):
    """A ``downgrade()`` whose first act is a ``raise`` statement: irreversible by design, so
    there is nothing to lint (not an error of the script)."""
