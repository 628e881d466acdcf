"""lock_timeout, statement_timeout and transaction_timeout: which values a statement needs,
and sending them only when the session does not have them already.

transaction_timeout exists from PostgreSQL 17 on: it is set through ``set_config`` on the rows
of ``pg_settings`` that name it, so the same commands run on every major (and in the SQL script
of ``alembic upgrade --sql``) and do nothing where the setting does not exist.

The guard uses plain (session) ``SET``: a commit keeps it, a rollback (to a savepoint, too)
undoes it if it ran after the transaction (savepoint) began. :class:`SessionTimeouts` remembers
what it sent, so the next migration's transaction does not send it again, and forgets on every
rollback and savepoint rollback, and after a migration statement that may change the settings
itself (SET/RESET/set_config of them, DISCARD, transaction control, or SQL the parser
rejected).
"""

from __future__ import annotations

from typing import Any

from alembic_safe.analysis.facts import (
    OtherStatement,
    SetSetting,
    StatementFacts,
    TransactionControl,
)
from alembic_safe.config import Settings

_SETTINGS = frozenset({"lock_timeout", "statement_timeout", "transaction_timeout", "all"})


def timeouts(settings: Settings, stmt: StatementFacts | None, in_transaction: bool) -> str:
    """The commands to run before a statement: lock_timeout, statement_timeout and (PG 17+)
    transaction_timeout; long_statement_timeout replaces the last two for non-blocking
    builds/validations outside a transaction."""
    long = stmt is not None and not in_transaction and _non_blocking(stmt)
    statement = settings.long_statement_timeout_ms if long else settings.statement_timeout_ms
    transaction = settings.long_statement_timeout_ms if long else settings.transaction_timeout_ms
    return (f"SET lock_timeout = {settings.lock_timeout_ms}; "
            f"SET statement_timeout = {statement}; "
            f"SELECT set_config(name, '{transaction}', false) FROM pg_settings "
            "WHERE name = 'transaction_timeout'")


def _non_blocking(stmt: StatementFacts) -> bool:
    """CONCURRENTLY builds/drops and constraint validations (no write-blocking lock)."""
    return stmt.validates_constraint or any(
        getattr(action, "concurrently", False) for action in stmt.actions)


def may_change_timeouts(stmt: StatementFacts) -> bool:
    """The statement may leave other timeouts than the guard sent (or roll its SET back)."""
    return stmt.parse_error is not None or any(
        (isinstance(action, SetSetting) and action.name in _SETTINGS)
        or isinstance(action, TransactionControl)
        or (isinstance(action, OtherStatement) and action.command == "DISCARD")
        for action in stmt.actions)


class SessionTimeouts:
    """The SET commands last sent on one connection, while they are known to hold."""

    def __init__(self) -> None:
        self._sent: str | None = None

    def ensure(self, cursor: Any, commands: str) -> None:
        """Run ``commands`` on ``cursor`` unless the session already has them."""
        if commands != self._sent:
            cursor.execute(commands)
            self._sent = commands

    def forget(self, *_: Any) -> None:
        """The session's values are unknown again (usable as a SQLAlchemy event listener)."""
        self._sent = None
