"""What alembic-safe's operations do when a migration runs: the SQL of
:mod:`alembic_safe.fix.sql`, through the migration context like any Alembic operation (so the
runtime guard checks it online and ``--sql`` writes it offline)."""

from __future__ import annotations

from alembic.operations import Operations
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from alembic_safe.autogenerate import ops
from alembic_safe.fix import sql
from alembic_safe.fix.quoting import for_text


def _execute(operations: Operations, statement: str) -> None:
    """Run ``statement`` as it is (``text()`` would read colons in it: see
    :func:`~alembic_safe.fix.quoting.for_text`)."""
    operations.migration_context.impl.execute(text(for_text(statement)))


PREFLIGHT_MESSAGE = "alembic-safe pre-flight check:"


class PreflightFailed(CommandError):
    """A pre-flight check found rows the next step would fail on (Alembic prints it as one
    FAILED: line; the migration stops before the expensive step)."""


@Operations.implementation_for(ops.AutocommitBlockOp)
def autocommit_block(operations: Operations, operation: ops.AutocommitBlockOp) -> None:
    with operations.get_context().autocommit_block():
        for child in operation.ops:
            operations.invoke(child)


@Operations.implementation_for(ops.NoteOp)
def note(operations: Operations, operation: ops.NoteOp) -> None:
    """A comment runs nothing."""


@Operations.implementation_for(ops.BackfillOp)
def backfill(operations: Operations, operation: ops.BackfillOp) -> None:
    from alembic_safe.batched_backfill import backfill as run

    run(operations.get_bind(), table=operation.table_name, set=operation.assignments,
        where=operation.where, key=operation.key, schema=operation.schema)


@Operations.implementation_for(ops.AddNotNullConstraintOp)
@Operations.implementation_for(ops.ValidateConstraintOp)
@Operations.implementation_for(ops.AddConstraintUsingIndexOp)
def step(operations: Operations, operation: ops.ValidateConstraintOp
         | ops.AddConstraintUsingIndexOp | ops.AddNotNullConstraintOp) -> None:
    _execute(operations, sql.statement(operation.to_step()))


@Operations.implementation_for(ops.PreflightUniqueOp)
@Operations.implementation_for(ops.PreflightNotNullOp)
@Operations.implementation_for(ops.PreflightCheckOp)
def preflight(operations: Operations, operation: ops._PreflightOp) -> None:
    try:
        _execute(operations, sql.statement(operation.to_step()))
    except DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)  # psycopg 3 and psycopg2
        message = str(getattr(diag, "message_primary", None) or str(exc.orig).split("\n")[0])
        if PREFLIGHT_MESSAGE not in message:
            raise
        message = message[message.index(PREFLIGHT_MESSAGE):]
        raise PreflightFailed(f"{message}: fix these rows, then run the migration again "
                              "(what ran before this check stays applied)") from None
