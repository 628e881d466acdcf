"""The error of a wrong ``alembic_safe.allow()`` call (imports Alembic: loaded when raised)."""

from __future__ import annotations

from alembic.util import CommandError

from alembic_safe.errors import UsageError


class AllowError(UsageError, CommandError):
    """``alembic_safe.allow()`` with no rule, an unknown rule or no reason.

    A CommandError, so ``alembic upgrade`` prints it as one ``FAILED:`` line; lint reports
    ``problem`` at the script's line."""

    def __init__(self, problem: str, path: str, line: int) -> None:
        super().__init__(f"alembic-safe: {path}:{line}: {problem}")
        self.problem = problem
