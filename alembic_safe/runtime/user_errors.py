"""Errors of alembic-safe raised inside migrations (a backfill's, a wrong ``allow()``'s...)
reach the user as Alembic's one ``FAILED:`` line, never as a traceback."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from alembic_safe.errors import AlembicSafeError


def install(context: MigrationContext) -> None:
    """Turn an :class:`AlembicSafeError` escaping ``run_migrations`` into a CommandError."""
    run = context.run_migrations

    def run_migrations(**kw: Any) -> None:
        try:
            run(**kw)
        except AlembicSafeError as exc:
            if isinstance(exc, CommandError):
                raise
            raise CommandError(f"alembic-safe: {exc}") from None

    context.run_migrations = run_migrations  # type: ignore[method-assign]
