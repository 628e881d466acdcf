"""Batched, resumable backfills: update a big table in short transactions by key range.

``backfill(target, table=..., set=...)`` walks ``table`` in key order, ``batch_size`` keys
at a time. Each batch is one ``UPDATE ... WHERE key > last AND key <= upper`` that commits
on its own, together with its progress row in ``alembic_safe_backfill_progress`` (one
statement, so batch and progress commit atomically even in autocommit mode). Running the
same backfill again continues after the last committed batch, and does nothing once it
has finished. Table and key are quoted identifiers; the SET list and WHERE condition are
parsed with pglast and re-emitted from the parse tree, so they cannot escape their place.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import pglast
from pglast.stream import RawStream
from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.mock import MockConnection
from sqlalchemy.exc import DBAPIError

from alembic_safe.errors import AlembicSafeError
from alembic_safe.runtime.driver import driver_for, for_paramstyle, supported

PROGRESS_TABLE = "alembic_safe_backfill_progress"

CREATE_PROGRESS = f"""CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (
    name text PRIMARY KEY,
    table_name text NOT NULL,
    key_column text NOT NULL,
    last_key text,
    updated_rows bigint NOT NULL DEFAULT 0,
    batches integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
)"""


IN_TRANSACTION = (
    "backfill: the connection is inside a transaction, so batches could not commit one by one; "
    "in a migration call it inside `with op.get_context().autocommit_block():`"
)


class BackfillError(AlembicSafeError):
    """A backfill that cannot start or that failed in a batch (committed batches stay)."""


@dataclass(frozen=True)
class BackfillProgress:
    """Reported to ``progress`` after every committed batch (totals of this call)."""

    name: str
    batches: int
    rows: int
    last_key: str | None
    seconds: float


@dataclass(frozen=True)
class BackfillResult:
    """What one ``backfill()`` call did."""

    name: str
    rows: int  # rows updated by this call
    batches: int  # batches committed by this call
    seconds: float
    resumed: bool = False  # continued a backfill that an earlier run had started
    already_finished: bool = False  # nothing to do: an earlier run finished it


@dataclass(frozen=True)
class _Plan:
    name: str
    table: str  # quoted, possibly schema-qualified
    key: str  # quoted
    key_type: str  # format_type() of the key column
    update: str  # "UPDATE table SET ..." re-emitted from the parse tree, %-escaped
    condition: str | None  # the WHERE expression re-emitted, %-escaped
    batch_size: int


def quote_ident(name: str) -> str:
    """Quote ``name`` as a PostgreSQL identifier, always, keeping its exact spelling."""
    if not name or "\x00" in name:
        raise BackfillError(f"backfill: {name!r} is not a valid identifier")
    return '"' + name.replace('"', '""') + '"'


def _parse_error(what: str, text: str, exc: pglast.parser.ParseError) -> BackfillError:
    return BackfillError(
        f"backfill: {what}={text!r} is not valid SQL ({exc.args[0]}); "
        f"write it as {'column = expression, ...' if what == 'set' else 'a boolean expression'}"
    )


def set_clause(table: str, set_: str) -> str:
    """``UPDATE table SET <set_>``, checked to be nothing more and re-emitted."""
    try:
        parsed = pglast.parse_sql(f"UPDATE {table} SET {set_}")
    except pglast.parser.ParseError as exc:
        raise _parse_error("set", set_, exc) from None
    stmt = parsed[0].stmt if len(parsed) == 1 else None
    if not (
        isinstance(stmt, pglast.ast.UpdateStmt)
        and stmt.whereClause is None
        and stmt.fromClause is None
        and stmt.returningClause is None
    ):
        raise BackfillError(
            f"backfill: set={set_!r} must be only the assignments of SET "
            "(column = expression, ...): put conditions in where=, nothing else is allowed"
        )
    return str(RawStream()(stmt))


def where_expression(where: str) -> str:
    """The boolean expression ``where``, checked to be only that and re-emitted."""
    try:
        parsed = pglast.parse_sql(f"SELECT WHERE {where}")
    except pglast.parser.ParseError as exc:
        raise _parse_error("where", where, exc) from None
    stmt = parsed[0].stmt if len(parsed) == 1 else None
    if not isinstance(stmt, pglast.ast.SelectStmt) or stmt.whereClause is None:
        raise BackfillError(f"backfill: where={where!r} must be one boolean expression")
    expression = str(RawStream()(stmt.whereClause))
    if str(RawStream()(stmt)) != f"SELECT WHERE {expression}":
        raise BackfillError(
            f"backfill: where={where!r} must be one boolean expression, with no other clauses"
        )
    return expression


def default_name(table: str, update: str, condition: str | None) -> str:
    """``table:hash of SET and WHERE``: the same call resumes, a changed one starts afresh."""
    digest = hashlib.sha1(f"{update}|{condition}".encode()).hexdigest()[:12]
    return f"{table}:{digest}"


@contextmanager
def _connect(target: Connection | Engine | str) -> Iterator[Connection]:
    if isinstance(target, Connection):
        yield target
        return
    if isinstance(target, str) and make_url(target).get_dialect().is_async:
        raise BackfillError(
            f"backfill: {make_url(target).drivername} is an async driver: pass the connection "
            "of connection.run_sync (in a migration: op.get_bind()) or a psycopg URL")
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        if isinstance(target, str):
            engine.dispose()


def _autocommit(connection: Connection) -> bool:
    return driver_for(connection).autocommit


def _batch_scope(connection: Connection, autocommit: bool) -> Any:
    """A transaction per batch; in autocommit mode every statement commits by itself."""
    return nullcontext() if autocommit else connection.begin()


def _run(connection: Connection, sql: str, **params: Any) -> list[Any]:
    # written for psycopg's pyformat; asyncpg gets $n placeholders
    result = connection.exec_driver_sql(
        *for_paramstyle(connection.dialect.paramstyle, sql, params))
    return list(result.fetchall()) if result.returns_rows else []


def _key_column(connection: Connection, table: str, key_name: str) -> str:
    """The key's type, after checking the table and the key column exist."""
    rows = _run(
        connection,
        "SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass(%(table)s) AND a.attname = %(key)s "
        "AND a.attnum > 0 AND NOT a.attisdropped",
        table=table, key=key_name,
    )
    if not rows:
        exists = _run(connection, "SELECT to_regclass(%(table)s)", table=table)[0][0]
        if exists is None:
            raise BackfillError(
                f"backfill: table {table} does not exist (names are exact; "
                "pass schema= for a table outside the search_path)"
            )
        raise BackfillError(f"backfill: table {table} has no column {key_name!r} to use as key=")
    key_type, not_null = rows[0]
    if not not_null:
        raise BackfillError(
            f"backfill: key column {key_name!r} of {table} may be NULL; rows with a NULL key "
            "would be skipped, so use a NOT NULL column (the primary key) as key="
        )
    return str(key_type)


def _batch_sql(plan: _Plan, first: bool) -> tuple[str, str, str]:
    """(upper-bound query, batch UPDATE, UPDATE + progress statement) for a batch."""
    after = "" if first else f"{plan.key} > CAST(%(last)s::text AS {plan.key_type})"
    keys = f"SELECT {plan.key} FROM {plan.table}" + (f" WHERE {after}" if after else "")
    upper = (
        f"SELECT coalesce(({keys} ORDER BY {plan.key} OFFSET %(offset)s LIMIT 1), "
        f"({keys} ORDER BY {plan.key} DESC LIMIT 1))::text"
    )
    conditions = [after] if after else []
    conditions.append(f"{plan.key} <= CAST(%(upper)s::text AS {plan.key_type})")
    if plan.condition is not None:
        conditions.append(f"({plan.condition})")
    update = f"{plan.update} WHERE {' AND '.join(conditions)}"
    batch = (
        f"WITH batch AS ({update} RETURNING 1) "
        f"UPDATE {PROGRESS_TABLE} SET last_key = %(upper)s, batches = batches + 1, "
        "updated_rows = updated_rows + (SELECT count(*) FROM batch), updated_at = now() "
        "WHERE name = %(name)s RETURNING (SELECT count(*) FROM batch)"
    )
    return upper, update, batch


def _start(connection: Connection, plan: _Plan, autocommit: bool) -> tuple[Any, ...]:
    """Create the progress table and row; return (last_key, finished_at, batches)."""
    with _batch_scope(connection, autocommit):
        _run(connection, CREATE_PROGRESS)
        _run(
            connection,
            f"INSERT INTO {PROGRESS_TABLE} (name, table_name, key_column) "
            "VALUES (%(name)s, %(table)s, %(key)s) ON CONFLICT (name) DO NOTHING",
            name=plan.name, table=plan.table, key=plan.key,
        )
        row = _run(
            connection,
            f"SELECT table_name, key_column, last_key, finished_at, batches "
            f"FROM {PROGRESS_TABLE} WHERE name = %(name)s",
            name=plan.name,
        )[0]
    if (row[0], row[1]) != (plan.table, plan.key):
        raise BackfillError(
            f"backfill: the name {plan.name!r} is already used by a backfill of {row[0]} "
            f"by {row[1]}; give this backfill another name="
        )
    return row[2], row[3], row[4]


def _explain(connection: Connection, plan: _Plan, autocommit: bool) -> None:
    """Let PostgreSQL check columns and types of the batch statement without running it."""
    _, update, _ = _batch_sql(plan, first=False)
    try:
        with _batch_scope(connection, autocommit):
            _run(connection, "EXPLAIN " + update, last=None, upper=None)
    except DBAPIError as exc:
        raise BackfillError(
            f"backfill {plan.name!r}: PostgreSQL rejects the update of {plan.table}: "
            f"{_first_line(exc)}"
        ) from None


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


def backfill(
    target: Connection | Engine | MockConnection | str,
    *,
    table: str,
    set: str,  # shadows the builtin on purpose: the SQL keyword reads best at call sites
    where: str | None = None,
    key: str = "id",
    schema: str | None = None,
    name: str | None = None,
    batch_size: int = 10_000,
    progress: Callable[[BackfillProgress], None] | None = None,
    sleep: float = 0.0,
) -> BackfillResult:
    """Run ``UPDATE table SET <set> [WHERE <where>]`` in committed batches of ``batch_size`` keys.

    ``target`` is a SQLAlchemy Connection (in a migration: ``op.get_bind()`` inside
    ``op.get_context().autocommit_block()``; a connection inside an open transaction is
    refused), an Engine, or a database URL. ``name`` identifies the backfill in the progress
    table (default: derived from table, SET and WHERE); running it again resumes after the
    last committed batch and is a no-op once finished. ``progress`` is called after each
    batch; ``sleep`` seconds pass between batches to leave room for other traffic.
    Offline (``alembic upgrade --sql``, lint) ``op.get_bind()`` is a mock connection: the
    same batches are written to the script as SQL (:mod:`alembic_safe.offline_backfill`).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise BackfillError(f"backfill: batch_size must be a positive integer, got {batch_size!r}")
    if sleep < 0:
        raise BackfillError(f"backfill: sleep must be 0 or more seconds, got {sleep!r}")
    if isinstance(target, MockConnection):  # Alembic offline (--sql), lint: write it as SQL
        from alembic_safe.offline_backfill import render

        return render(target, table=table, set=set, where=where, key=key, schema=schema,
                      name=name, batch_size=batch_size, sleep=sleep)
    qualified = (quote_ident(schema) + "." if schema is not None else "") + quote_ident(table)
    update = set_clause(qualified, set).replace("%", "%%")
    condition = where_expression(where).replace("%", "%%") if where is not None else None
    started = time.monotonic()
    with _connect(target) as connection:
        if not supported(connection.dialect):
            raise BackfillError("backfill: needs a PostgreSQL connection through psycopg, "
                                "psycopg2 or asyncpg")
        autocommit = _autocommit(connection)
        if not autocommit and connection.in_transaction():
            raise BackfillError(IN_TRANSACTION)
        with _batch_scope(connection, autocommit):
            key_type = _key_column(connection, qualified, key)
        plan = _Plan(
            name=name or default_name(".".join(filter(None, (schema, table))), update, condition),
            table=qualified,
            key=quote_ident(key), key_type=key_type, update=update, condition=condition,
            batch_size=batch_size,
        )
        _explain(connection, plan, autocommit)
        with _exclusive(connection, plan.name, autocommit):
            last_key, finished_at, earlier_batches = _start(connection, plan, autocommit)
            if finished_at is not None:
                return BackfillResult(plan.name, 0, 0, time.monotonic() - started,
                                      resumed=True, already_finished=True)
            rows, batches = _loop(connection, plan, autocommit, last_key, progress, sleep,
                                  started)
    return BackfillResult(plan.name, rows, batches, time.monotonic() - started,
                          resumed=earlier_batches > 0)


def lock_key(name: str) -> int:
    """The session advisory lock a backfill holds while it runs (the offline form too)."""
    return int.from_bytes(hashlib.sha1(f"alembic_safe.backfill:{name}".encode()).digest()[:8],
                          "big", signed=True)


@contextmanager
def _exclusive(connection: Connection, name: str, autocommit: bool) -> Iterator[None]:
    """Hold a session advisory lock on the backfill's name: one runner at a time."""
    lock = lock_key(name)
    with _batch_scope(connection, autocommit):
        got = _run(connection, "SELECT pg_try_advisory_lock(%(lock)s)", lock=lock)[0][0]
    if not got:
        raise BackfillError(
            f"backfill {name!r} is running in another session; wait for it to finish "
            f"(progress: SELECT * FROM {PROGRESS_TABLE} WHERE name = '{name}')"
        )
    try:
        yield
    finally:
        with _batch_scope(connection, autocommit):
            _run(connection, "SELECT pg_advisory_unlock(%(lock)s)", lock=lock)


def _loop(
    connection: Connection,
    plan: _Plan,
    autocommit: bool,
    last_key: str | None,
    progress: Callable[[BackfillProgress], None] | None,
    sleep: float,
    started: float,
) -> tuple[int, int]:
    """Run batches until no key is left; return (rows, batches) of this call."""
    rows = batches = 0
    while True:
        upper_sql, _, batch_sql = _batch_sql(plan, first=last_key is None)
        try:
            with _batch_scope(connection, autocommit):
                upper = _run(connection, upper_sql, last=last_key,
                             offset=plan.batch_size - 1)[0][0]
                if upper is None:
                    _run(connection, f"UPDATE {PROGRESS_TABLE} SET finished_at = now(), "
                         "updated_at = now() WHERE name = %(name)s", name=plan.name)
                    return rows, batches
                updated = _run(connection, batch_sql, last=last_key, upper=upper,
                               name=plan.name)[0][0]
        except DBAPIError as exc:
            raise BackfillError(
                f"backfill {plan.name!r} failed in the batch after key {last_key} of "
                f"{plan.table}: {_first_line(exc)}; {batches} batch(es) of this run "
                f"({rows} rows) are committed: fix the cause and run it again to resume"
            ) from None
        rows, batches, last_key = rows + int(updated), batches + 1, upper
        if progress is not None:
            progress(BackfillProgress(plan.name, batches, rows, last_key,
                                      time.monotonic() - started))
        if sleep:
            time.sleep(sleep)
