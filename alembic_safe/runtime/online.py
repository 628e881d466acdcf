"""Online hooks: check, time and protect every statement on the migration connection."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext

from alembic_safe.analysis.facts import CreateIndex, Relation, StatementFacts
from alembic_safe.analysis.names import qualified_key
from alembic_safe.runtime import rerun
from alembic_safe.runtime.catalog import LiveCatalog, NotNullChecks, invalid_index_exists
from alembic_safe.runtime.driver import driver_for, sqlstate
from alembic_safe.runtime.guard import Guard, Refused, say
from alembic_safe.runtime.lock_watch import LockWatcher, Wait
from alembic_safe.runtime.retry import LockTimeout
from alembic_safe.runtime.timeouts import SessionTimeouts, may_change_timeouts, timeouts

LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
# SQLSTATE classes 08 (connection exception) and 57P (operator intervention: terminated)
_CONNECTION_LOST = ("08", "57P")
_STARTED = "alembic_safe_started"


@dataclass
class _Running:
    """A checked migration statement sent to the server."""

    begun: float
    builds: list[CreateIndex]  # its concurrent index builds
    existing: list[CreateIndex]  # those of a name taken before they ran
    tables: tuple[str, ...]  # the tables it locks, as written


def _concurrent_indexes(facts: list[StatementFacts]) -> list[CreateIndex]:
    return [a for stmt in facts for a in stmt.actions
            if isinstance(a, CreateIndex) and a.concurrently and a.index]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _index_name(action: CreateIndex) -> str:
    schema = action.table.schema if action.table is not None else None
    assert action.index is not None
    return f"{_quoted(schema)}.{_quoted(action.index)}" if schema else _quoted(action.index)


def _index_key(action: CreateIndex, schema: str) -> str:
    """The catalog key of the index a CREATE INDEX builds (in its table's schema)."""
    table_schema = action.table.schema if action.table is not None else None
    return qualified_key(Relation(action.index or "", table_schema), schema)


def _tables(facts: list[StatementFacts]) -> tuple[str, ...]:
    names = (str(lock.relation) for stmt in facts for lock in stmt.locks if not lock.is_new)
    return tuple(dict.fromkeys(names))


def _lock_wait(running: _Running | None, wait: Wait | None,
               watcher: LockWatcher | None) -> str:
    """The table a lock timeout happened on and who held the lock, as far as was seen."""
    table = (wait.relation if wait is not None and wait.relation
             else ", ".join(running.tables) if running is not None and running.tables
             else "")
    if wait is not None:
        seen = wait.describe()
    elif watcher is not None and watcher.problem is not None:
        seen = (f"(who held the lock is unknown: the lock watch could not connect: "
                f"{watcher.problem})")
    else:
        seen = "(who held the lock was not seen: look in pg_locks and pg_stat_activity)"
    return f"{table or 'the table'} {seen}"


def install(guard: Guard, connection: Connection) -> None:
    """Attach the guard to ``connection`` (the one passed to ``context.configure``); a
    driver the guard cannot work with is refused here, in one line."""
    driver = driver_for(connection)
    info = connection.dialect.server_version_info
    version = int(info[0]) if info else guard.settings.pg_version
    # current_schema() when the dialect first connected: where unqualified names live
    schema = connection.dialect.default_schema_name or "public"
    checks = NotNullChecks()  # shared by the whole run: definitions parse the same way
    session = SessionTimeouts()
    reruns = rerun.Reruns(guard)  # statements whose object exists already (killed deploys)
    watcher = (LockWatcher(connection.engine.url, guard.settings.lock_timeout_ms)
               if guard.settings.lock_timeout_ms > 0 else None)

    def existing_indexes(actions: list[CreateIndex]) -> list[CreateIndex]:
        """The concurrent builds whose index name is taken already (maybe by an INVALID
        leftover), by the migration's live catalog (the analyzer has just looked them up)."""
        live = guard.current.catalog if guard.current is not None else None
        return [a for a in actions if live is None or live.relation(_index_key(a, schema))]

    def before(conn: Connection, cursor: Any, statement: str, parameters: Any,
               context: Any, executemany: bool) -> None:
        in_transaction = not driver.autocommit
        facts = guard.check(lambda: driver.inline(statement, parameters, executemany, context),
                            in_transaction=in_transaction, version=version, schema=schema,
                            catalog=lambda: LiveCatalog(driver, checks))
        if facts is None:
            return
        # the timeouts first: the re-run checks and the recovery's DROP INDEX CONCURRENTLY
        # may wait for locks like the statement itself
        session.ensure(driver, timeouts(guard.settings, facts[0] if facts else None,
                                        in_transaction))
        reruns.prepare(conn, context, facts, driver, in_transaction, parameters, schema)
        builds = _concurrent_indexes(facts)
        existing = existing_indexes(builds)
        running = _Running(time.monotonic(), builds, existing, _tables(facts))
        conn.info[_STARTED] = running  # from here on, a failure is this statement's
        if watcher is not None:
            watcher.watch(driver.backend_pid())
        for action in existing:
            if not in_transaction and invalid_index_exists(driver, _index_name(action)):
                say(f"dropping the INVALID index {action.index} left by a failed concurrent "
                    "build, then building it again")
                driver.execute(f"DROP INDEX CONCURRENTLY {_index_name(action)}")
        if any(may_change_timeouts(stmt) for stmt in facts):
            session.forget()
        running.begun = time.monotonic()

    def after(conn: Connection, cursor: Any, statement: str, parameters: Any,
              context: Any, executemany: bool) -> None:
        running: _Running | None = conn.info.pop(_STARTED, None)
        if running is None:
            return
        if watcher is not None:
            watcher.seen()
        elapsed = (time.monotonic() - running.begun) * 1000
        if guard.dry_run or elapsed >= guard.settings.slow_statement_ms:
            label = "ran" if guard.dry_run else "slow statement"
            say(f"{label} ({elapsed:.0f} ms): {' '.join(statement.split())[:200]}")
        for action in running.existing:  # a new index built without error is valid
            if invalid_index_exists(driver, _index_name(action)):
                raise Refused(f"alembic-safe: the concurrent build of index {action.index} "
                              "left it INVALID; run the migration again to drop and rebuild it")

    def failed(context: ExceptionContext) -> None:
        conn = context.connection
        running: _Running | None = conn.info.pop(_STARTED, None) if conn is not None else None
        wait = watcher.seen() if watcher is not None and running is not None else None
        live = guard.current.catalog if guard.current is not None else None
        if running is not None and live is not None:
            for action in running.builds:  # a failed concurrent build leaves an INVALID
                live.forget(_index_key(action, schema))  # index: a retry must see it
        code = sqlstate(context.original_exception)
        located = guard.current
        where = f" in revision {located.script.revision}" if located else ""
        if code == QUERY_CANCELED and guard.settings.statement_timeout_ms:
            raise Refused(
                f"alembic-safe: statement canceled{where} (statement_timeout is "
                f"{guard.settings.statement_timeout}): "
                f"{' '.join(str(context.statement).split())[:200]}. Make the step shorter "
                "(batches, CONCURRENTLY, NOT VALID then VALIDATE) or raise statement_timeout"
            ) from None
        if context.is_disconnect or (code or "").startswith(_CONNECTION_LOST):
            raise Refused(
                f"alembic-safe: the connection to the database was lost{where} while running: "
                f"{' '.join(str(context.statement).split())[:200]} "
                f"({' '.join(str(context.original_exception).split())}). What was committed "
                "before it stays applied; an interrupted CREATE INDEX CONCURRENTLY leaves an "
                "INVALID index, which the guard drops and builds again when you rerun the upgrade"
            ) from None
        if code == LOCK_NOT_AVAILABLE:
            detail = _lock_wait(running, wait, watcher)
            raise LockTimeout(
                f"alembic-safe: lock_timeout ({guard.settings.lock_timeout}) reached{where} "
                f"on {detail}. Waiting longer would queue the application's queries behind "
                "this migration; run it again when the table is quiet", detail=detail,
            ) from None

    # a session SET survives COMMIT and new transactions; only a rollback can undo it
    for undoing in ("rollback", "rollback_savepoint"):
        event.listen(connection, undoing, session.forget)
    event.listen(connection, "before_cursor_execute", before)
    rerun.install(connection)
    event.listen(connection, "after_cursor_execute", after)
    event.listen(connection.engine, "handle_error", failed)
