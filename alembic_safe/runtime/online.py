"""Online hooks: check, time and protect every statement on the migration connection."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext

from alembic_safe.analysis.facts import CreateIndex, Relation, StatementFacts
from alembic_safe.analysis.names import qualified_key
from alembic_safe.runtime import rerun
from alembic_safe.runtime.catalog import LiveCatalog, NotNullChecks, invalid_index_exists
from alembic_safe.runtime.guard import Guard, Refused, say
from alembic_safe.runtime.retry import LockTimeout
from alembic_safe.runtime.timeouts import SessionTimeouts, may_change_timeouts, timeouts

LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
# SQLSTATE classes 08 (connection exception) and 57P (operator intervention: terminated)
_CONNECTION_LOST = ("08", "57P")
_STARTED = "alembic_safe_started"


def _concurrent_indexes(facts: list[StatementFacts]) -> list[CreateIndex]:
    return [a for stmt in facts for a in stmt.actions
            if isinstance(a, CreateIndex) and a.concurrently and a.index]


def _index_name(action: CreateIndex) -> sql.Composable:
    schema = action.table.schema if action.table is not None else None
    assert action.index is not None
    return sql.Identifier(schema, action.index) if schema else sql.Identifier(action.index)


def _index_key(action: CreateIndex, schema: str) -> str:
    """The catalog key of the index a CREATE INDEX builds (in its table's schema)."""
    table_schema = action.table.schema if action.table is not None else None
    return qualified_key(Relation(action.index or "", table_schema), schema)


def _literal(cursor: Any, statement: str, parameters: Any, many: bool) -> str:
    """The statement with its parameters inlined (what the analyzer must see)."""
    if not parameters:
        return statement
    first = parameters[0] if many else parameters
    return psycopg.ClientCursor(cursor.connection).mogrify(statement, first)


def install(guard: Guard, connection: Connection) -> None:
    """Attach the guard to ``connection`` (the one passed to ``context.configure``)."""
    info = connection.dialect.server_version_info
    version = int(info[0]) if info else guard.settings.pg_version
    # current_schema() when the dialect first connected: where unqualified names live
    schema = connection.dialect.default_schema_name or "public"
    checks = NotNullChecks()  # shared by the whole run: definitions parse the same way
    session = SessionTimeouts()
    reruns = rerun.Reruns(guard)  # statements whose object exists already (killed deploys)

    def existing_indexes(actions: list[CreateIndex]) -> list[CreateIndex]:
        """The concurrent builds whose index name is taken already (maybe by an INVALID
        leftover), by the migration's live catalog (the analyzer has just looked them up)."""
        live = guard.current.catalog if guard.current is not None else None
        return [a for a in actions if live is None or live.relation(_index_key(a, schema))]

    def before(conn: Connection, cursor: Any, statement: str, parameters: Any,
               context: Any, executemany: bool) -> None:
        in_transaction = not cursor.connection.autocommit
        facts = guard.check(lambda: _literal(cursor, statement, parameters, executemany),
                            in_transaction=in_transaction, version=version, schema=schema,
                            catalog=lambda: LiveCatalog(cursor.connection, checks))
        if facts is None:
            return
        reruns.prepare(conn, context, facts, cursor.connection, in_transaction, parameters,
                       schema)
        existing = existing_indexes(_concurrent_indexes(facts))
        for action in existing:
            if not in_transaction and invalid_index_exists(cursor, action.index or ""):
                say(f"dropping the INVALID index {action.index} left by a failed concurrent "
                    "build, then building it again")
                cursor.execute(sql.SQL("DROP INDEX CONCURRENTLY {}").format(_index_name(action)))
        session.ensure(cursor, timeouts(guard.settings, facts[0] if facts else None,
                                        in_transaction))
        if any(may_change_timeouts(stmt) for stmt in facts):
            session.forget()
        conn.info[_STARTED] = (time.monotonic(), existing)

    def after(conn: Connection, cursor: Any, statement: str, parameters: Any,
              context: Any, executemany: bool) -> None:
        started = conn.info.pop(_STARTED, None)
        if started is None:
            return
        begun, existing = started
        elapsed = (time.monotonic() - begun) * 1000
        if guard.dry_run or elapsed >= guard.settings.slow_statement_ms:
            label = "ran" if guard.dry_run else "slow statement"
            say(f"{label} ({elapsed:.0f} ms): {' '.join(statement.split())[:200]}")
        for action in existing:  # a new index built without error is valid
            if invalid_index_exists(cursor, action.index or ""):
                raise Refused(f"alembic-safe: the concurrent build of index {action.index} "
                              "left it INVALID; run the migration again to drop and rebuild it")

    def failed(context: ExceptionContext) -> None:
        conn = context.connection
        if conn is not None:
            conn.info.pop(_STARTED, None)
        code = getattr(context.original_exception, "sqlstate", None)
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
            raise LockTimeout(
                f"alembic-safe: lock_timeout ({guard.settings.lock_timeout}) reached{where}: "
                "another session holds a conflicting lock on the table. Waiting longer would "
                "queue the application's queries behind this migration; run it again when the "
                "table is quiet (find the holder in pg_locks / pg_stat_activity)"
            ) from None

    # a session SET survives COMMIT and new transactions; only a rollback can undo it
    for undoing in ("rollback", "rollback_savepoint"):
        event.listen(connection, undoing, session.forget)
    event.listen(connection, "before_cursor_execute", before)
    rerun.install(connection)
    event.listen(connection, "after_cursor_execute", after)
    event.listen(connection.engine, "handle_error", failed)
