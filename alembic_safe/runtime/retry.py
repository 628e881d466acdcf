"""Lock-timeout retries: the whole migration transaction, or one autocommit statement.

A statement that waits for a lock makes every later query on that table queue behind it, so
the guard never waits longer than ``lock_timeout``: it gives up, releases what it holds and
tries again later. A migration's transactional part runs under a SAVEPOINT taken right after
Alembic's per-migration BEGIN; rolling back to it releases every lock the attempt took
(PostgreSQL releases locks acquired after a savepoint when it is rolled back), which is the
same as retrying the whole transaction. A statement inside ``autocommit_block()`` is retried
alone (what ran before it is committed).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

from alembic.runtime.migration import MigrationContext

from alembic_safe.runtime.driver import driver_for
from alembic_safe.runtime.guard import Guard, Refused, say


class LockTimeout(Refused):
    """A statement gave up waiting for a lock (SQLSTATE 55P03); ``detail`` names the table
    and who held the lock, as far as the guard saw it."""

    def __init__(self, message: str, *, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def _pause(guard: Guard, attempt: int, what: str, exc: LockTimeout) -> None:
    delay = guard.settings.lock_retry_backoff_ms * attempt / 1000
    say(f"lock_timeout ({guard.settings.lock_timeout}) reached, attempt {attempt} of "
        f"{guard.settings.lock_retries + 1}: retrying {what} in {delay:g} s; on {exc.detail}")
    time.sleep(delay)


def _give_up(exc: LockTimeout, attempts: int) -> LockTimeout:
    return LockTimeout(f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
                       detail=exc.detail)


def _refusal_behind(exc: BaseException) -> Refused | None:
    """A refusal that a later error masked (Alembic's autocommit_block() commits in a
    ``finally``, which fails again on a lost connection and hides the first error)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Refused):
            return seen
        seen = seen.__context__
    return None


def _retrying_migration(guard: Guard, context: MigrationContext,
                        function: Callable[..., None]) -> Callable[..., None]:
    per_migration = bool(context.opts.get("transaction_per_migration"))

    @functools.wraps(function)
    def run(**kw: Any) -> None:
        attempt = 1
        while True:
            connection = context.connection
            assert connection is not None
            savepoint = connection.begin_nested() if connection.in_transaction() else None
            try:
                function(**kw)
            except LockTimeout as exc:
                # after an autocommit_block() the savepoint's transaction is committed: part
                # of the migration is applied, so it cannot be run again from the start
                if savepoint is None or not savepoint.is_active:
                    raise
                savepoint.rollback()
                if attempt > guard.settings.lock_retries:
                    raise _give_up(exc, attempt) from None
                _pause(guard, attempt, "the migration's transaction", exc)
                guard.current = None  # a fresh analysis of the new attempt
                attempt += 1
                continue
            except Exception as exc:
                refusal = _refusal_behind(exc)
                if refusal is None:
                    raise
                raise refusal from None
            if savepoint is not None and savepoint.is_active and not per_migration:
                savepoint.commit()  # RELEASE: later migrations share this transaction
            # with a transaction per migration, its COMMIT ends the savepoint (one round trip
            # less per migration; SQLAlchemy cancels the nested transaction on that commit)
            return

    return run


def install(guard: Guard, context: MigrationContext) -> None:
    """Retry each migration step on lock timeouts, and autocommit statements alone."""
    steps_of = context._migrations_fn
    if steps_of is not None:
        def steps(heads: Any, ctx: MigrationContext) -> Iterator[Any]:
            for step in steps_of(heads, ctx):
                step.migration_fn = _retrying_migration(guard, context, step.migration_fn)
                yield step

        context._migrations_fn = steps
    impl = context.impl
    execute = impl._exec

    def exec_retrying(construct: Any, *args: Any, **kw: Any) -> Any:
        attempt = 1
        while True:
            try:
                return execute(construct, *args, **kw)
            except LockTimeout as exc:
                if context.connection is None or not driver_for(context.connection).autocommit:
                    raise
                if attempt > guard.settings.lock_retries:
                    raise _give_up(exc, attempt) from None
                _pause(guard, attempt, "the statement (autocommit block)", exc)
                attempt += 1

    impl._exec = exec_retrying  # type: ignore[method-assign]
