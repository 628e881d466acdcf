"""The offline form of ``backfill()``: the same batches, written as SQL for psql to run.

Offline (``alembic upgrade --sql``, and when lint or ``alembic check`` render a migration)
``op.get_bind()`` is a mock connection: nothing runs, SQL is written. ``backfill()`` then writes
two ``DO`` blocks to the script. The first checks what the online backfill checks before it
starts (not inside a transaction block, the table and a NOT NULL key column exist), with the
same messages, and creates the progress table. The second runs the batches: key ranges of
``batch_size`` keys in key order, each ``UPDATE`` committed together with its row in the
progress table, resuming after the last committed batch and doing nothing once finished, under
the same session advisory lock: an online and an offline run of one backfill share progress and
exclude each other. PostgreSQL 11+ allows ``COMMIT`` inside a ``DO`` block run outside a
transaction block, which is where ``autocommit_block()`` puts it. Identifiers are quoted; the
SET list and WHERE condition are validated and re-emitted by the online code's own functions.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import alembic.op
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine.mock import MockConnection

from alembic_safe.batched_backfill import (
    CREATE_PROGRESS,
    IN_TRANSACTION,
    PROGRESS_TABLE,
    BackfillError,
    BackfillResult,
    default_name,
    lock_key,
    quote_ident,
    set_clause,
    where_expression,
)
from alembic_safe.capture import transactions
from alembic_safe.fix.quoting import dollar_quoted, literal

_BLOCK = "alembic_safe_backfill"  # the label that qualifies the block's own variables
_SAVED_TIMEOUT = "alembic_safe.statement_timeout"


@dataclass(frozen=True)
class RenderedBackfill(BackfillResult):
    """What ``backfill()`` returns offline: the SQL written to the script. Nothing has run yet,
    so ``rows`` and ``batches`` are 0."""

    sql: str = ""


@dataclass(frozen=True)
class _Target:
    name: str
    table: str  # quoted, possibly schema-qualified
    key: str  # quoted
    key_name: str
    update: str  # "UPDATE table SET ..." re-emitted from the parse tree
    condition: str | None
    batch_size: int
    sleep: float


def _migration_context(connection: MockConnection) -> MigrationContext:
    """The offline migration whose ``op.get_bind()`` is ``connection``."""
    try:
        context = alembic.op.get_context()
    except (AttributeError, NameError):  # no migration is running: the op proxy is unbound
        context = None
    bind: object = context.impl.connection if context is not None else None
    if context is None or bind is not connection:
        raise BackfillError(
            "backfill: got a SQLAlchemy mock connection outside an offline Alembic migration; "
            "offline, pass op.get_bind() from the running migration"
        )
    return context


def _raise(message: str) -> str:
    return f"RAISE EXCEPTION USING MESSAGE = {message};"


def _checks(target: _Target) -> str:
    """The first block: what the online backfill checks before it starts, the progress table,
    and statement_timeout lifted for the batches block (which psql sends as one statement)."""
    table, key = literal(target.table), literal(target.key_name)
    column = (f"FROM pg_attribute WHERE attrelid = to_regclass({table}) AND attname = {key} "
              "AND attnum > 0 AND NOT attisdropped")
    body = f"""BEGIN
    -- equal only in the first statement of a transaction: this one must not be in a block
    IF transaction_timestamp() <> statement_timestamp() THEN
        {_raise(literal(IN_TRANSACTION))}
    END IF;
    IF to_regclass({table}) IS NULL THEN
        {_raise(literal(
            f"backfill: table {target.table} does not exist (names are exact; "
            "pass schema= for a table outside the search_path)"))}
    END IF;
    IF NOT EXISTS (SELECT {column}) THEN
        {_raise(literal(
            f"backfill: table {target.table} has no column {target.key_name!r} to use as key="))}
    END IF;
    IF NOT (SELECT attnotnull {column}) THEN
        {_raise(literal(
            f"backfill: key column {target.key_name!r} of {target.table} may be NULL; rows "
            "with a NULL key would be skipped, so use a NOT NULL column (the primary key) as "
            "key="))}
    END IF;
    IF to_regclass({literal(PROGRESS_TABLE)}) IS NULL THEN  -- no NOTICE when it exists
        {textwrap.indent(CREATE_PROGRESS, '        ').lstrip()};
    END IF;
    -- statement_timeout would cover every batch of the next block together: lifted for it,
    -- restored at its end (lock_timeout still applies to each lock a batch waits for)
    PERFORM set_config({literal(_SAVED_TIMEOUT)}, current_setting('statement_timeout'), false);
    PERFORM set_config('statement_timeout', '0', false);
END"""
    comment = (f"-- backfill {target.name!r} of {target.table} (alembic_safe.backfill): "
               f"batches of {target.batch_size} keys by {target.key}, each committed; run "
               "again, it resumes after the last committed batch")
    return f"{comment}\nDO {dollar_quoted(body)}"


def _batches(target: _Target) -> str:
    """The second block: the batches, committed one by one, resumable through the progress
    table, under the backfill's advisory lock."""
    name, lock = literal(target.name), lock_key(target.name)
    key, table, var = target.key, target.table, f"{_BLOCK}."
    key_type = f"{table}.{key}%TYPE"
    condition = f" AND ({target.condition})" if target.condition is not None else ""
    where_name = f"WHERE name = {name}"
    restore = (f"PERFORM set_config('statement_timeout', "
               f"coalesce(current_setting({literal(_SAVED_TIMEOUT)}, true), "
               f"current_setting('statement_timeout')), false);")
    pause = f"\n        PERFORM pg_sleep({target.sleep!r});" if target.sleep else ""
    body = f"""#variable_conflict use_column
<<{_BLOCK}>>
DECLARE
    resume_after {key_type};
    lower_bound {key_type};
    upper_bound {key_type};
    progress record;
    batch_rows bigint;
    total_rows bigint := 0;
    total_batches integer := 0;
BEGIN
    INSERT INTO {PROGRESS_TABLE} (name, table_name, key_column)
    VALUES ({name}, {literal(table)}, {literal(key)}) ON CONFLICT (name) DO NOTHING;
    SELECT table_name, key_column INTO {var}progress FROM {PROGRESS_TABLE} {where_name};
    IF ({var}progress.table_name, {var}progress.key_column)
            IS DISTINCT FROM ({literal(table)}, {literal(key)}) THEN
        {_raise(
            f"{literal(f'backfill: the name {target.name!r} is already used by a backfill of ')}"
            f" || {var}progress.table_name || ' by ' || {var}progress.key_column || "
            f"{literal('; give this backfill another name=')}")}
    END IF;
    IF NOT pg_try_advisory_lock({lock}) THEN
        {_raise(literal(
            f"backfill {target.name!r} is running in another session; wait for it to finish "
            f"(progress: SELECT * FROM {PROGRESS_TABLE} WHERE name = '{target.name}')"))}
    END IF;
    SELECT last_key, finished_at INTO {var}progress FROM {PROGRESS_TABLE} {where_name};
    {var}resume_after := {var}progress.last_key;
    IF {var}progress.finished_at IS NOT NULL THEN
        PERFORM pg_advisory_unlock({lock});
        {restore}
        RAISE NOTICE 'backfill %: already finished', {name};
        RETURN;
    END IF;
    LOOP
        IF {var}resume_after IS NULL THEN
            SELECT {key} INTO {var}lower_bound FROM {table} ORDER BY {key} LIMIT 1;
        ELSE
            SELECT {key} INTO {var}lower_bound FROM {table}
            WHERE {key} > {var}resume_after ORDER BY {key} LIMIT 1;
        END IF;
        SELECT coalesce(
            (SELECT {key} FROM {table} WHERE {key} >= {var}lower_bound
             ORDER BY {key} OFFSET {target.batch_size - 1} LIMIT 1),
            (SELECT {key} FROM {table} WHERE {key} >= {var}lower_bound
             ORDER BY {key} DESC LIMIT 1))
        INTO {var}upper_bound;
        -- the batch and its progress commit together; with no key left (both bounds NULL)
        -- the UPDATE touches nothing and the backfill is marked finished
        {target.update}
        WHERE {key} >= {var}lower_bound AND {key} <= {var}upper_bound{condition};
        GET DIAGNOSTICS {var}batch_rows = ROW_COUNT;
        UPDATE {PROGRESS_TABLE}
        SET last_key = coalesce({var}upper_bound::text, last_key),
            batches = batches + CASE WHEN {var}upper_bound IS NULL THEN 0 ELSE 1 END,
            updated_rows = updated_rows + {var}batch_rows,
            updated_at = now(),
            finished_at = CASE WHEN {var}upper_bound IS NULL THEN now() END
        {where_name};
        COMMIT;
        EXIT WHEN {var}upper_bound IS NULL;
        {var}total_rows := {var}total_rows + {var}batch_rows;
        {var}total_batches := {var}total_batches + 1;
        RAISE NOTICE 'backfill %: % rows in % batches, last key %', {name},
            {var}total_rows, {var}total_batches, {var}upper_bound;
        {var}resume_after := {var}upper_bound;{pause}
    END LOOP;
    PERFORM pg_advisory_unlock({lock});
    {restore}
    RAISE NOTICE 'backfill %: finished, % rows in % batches', {name},
        {var}total_rows, {var}total_batches;
END"""
    return f"DO {dollar_quoted(body)}"


def render(connection: MockConnection, *, table: str, set: str, where: str | None, key: str,
           schema: str | None, name: str | None, batch_size: int, sleep: float
           ) -> RenderedBackfill:
    """Write the backfill to the offline migration's script (see the module docstring)."""
    context = _migration_context(connection)
    if transactions.in_transaction(context.impl):
        raise BackfillError(IN_TRANSACTION)
    if not math.isfinite(sleep):
        raise BackfillError(f"backfill: sleep must be a finite number of seconds, got {sleep!r}")
    qualified = (quote_ident(schema) + "." if schema is not None else "") + quote_ident(table)
    update = set_clause(qualified, set)
    condition = where_expression(where) if where is not None else None
    # the online default name, from the %-escaped texts it sends through psycopg
    default = default_name(".".join(filter(None, (schema, table))), update.replace("%", "%%"),
                            condition.replace("%", "%%") if condition is not None else None)
    target = _Target(name=name or default, table=qualified, key=quote_ident(key), key_name=key,
                     update=update, condition=condition, batch_size=batch_size,
                     sleep=float(sleep))
    statements = [_checks(target), _batches(target)]
    for statement in statements:
        context.impl.static_output(statement + context.impl.command_terminator)
    return RenderedBackfill(target.name, rows=0, batches=0, seconds=0.0,
                            sql="\n".join(s + ";" for s in statements))
