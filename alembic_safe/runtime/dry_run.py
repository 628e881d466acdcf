"""Dry run (``alembic -x alembic-safe-dry-run=1 upgrade head``): run, report, roll back.

The pending migrations' transactional parts run in one transaction that is rolled back at
the end; statements inside ``autocommit_block()`` cannot be rolled back, so they are
checked and listed but not run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy.sql import ClauseElement

from alembic_safe.runtime.guard import Guard, say

FLAG = "alembic-safe-dry-run"
_TRUE = ("1", "true", "yes", "on")


def requested(x_arguments: dict[str, str]) -> bool:
    """Whether ``-x alembic-safe-dry-run=1`` was given."""
    return x_arguments.get(FLAG, "").strip().lower() in _TRUE


def _text(construct: Any, context: MigrationContext) -> str:
    if isinstance(construct, ClauseElement):
        return str(construct.compile(dialect=context.dialect,
                                     compile_kwargs={"literal_binds": True}))
    return str(construct)


def install(guard: Guard, context: MigrationContext) -> None:
    """Skip autocommit blocks (listing their statements) and roll everything back."""
    impl = context.impl
    execute = impl._exec
    info = context.dialect.server_version_info
    version = int(info[0]) if info else guard.settings.pg_version
    listing = {"on": False}

    @contextmanager
    def autocommit_block() -> Iterator[None]:
        listing["on"] = True
        try:
            yield
        finally:
            listing["on"] = False

    def exec_or_list(construct: Any, *args: Any, **kw: Any) -> Any:
        if not listing["on"]:
            return execute(construct, *args, **kw)
        sql = _text(construct, context)
        guard.check(sql, in_transaction=False, version=version)
        say(f"dry run: not run (autocommit block): {' '.join(sql.split())}")
        return None

    context.autocommit_block = autocommit_block  # type: ignore[method-assign]
    impl._exec = exec_or_list  # type: ignore[method-assign]
    steps_of = context._migrations_fn
    if steps_of is None:
        return

    def steps(heads: Any, ctx: MigrationContext) -> Iterator[Any]:
        yield from steps_of(heads, ctx)
        say("dry run: rolling back, nothing was applied")
        raise SystemExit(0)

    context._migrations_fn = steps
