"""What alembic-safe's operations do when a migration runs: the SQL of
:mod:`alembic_safe.fix.sql`, through the migration context like any Alembic operation (so the
runtime guard checks it online and ``--sql`` writes it offline)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.sql.elements import TextClause

from alembic_safe.autogenerate import ops
from alembic_safe.fix import sql


def _execute(operations: Operations, statement: str) -> None:
    """Run ``statement`` as it is: ``text()`` would read ``:name`` (even inside a quoted
    name) as a bind parameter, so such colons are escaped with SQLAlchemy's own pattern."""
    escaped = TextClause._bind_params_regex.sub(lambda m: "\\" + m.group(0), statement)
    operations.migration_context.impl.execute(text(escaped))


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
@Operations.implementation_for(ops.PreflightUniqueOp)
@Operations.implementation_for(ops.PreflightNotNullOp)
@Operations.implementation_for(ops.PreflightCheckOp)
def step(operations: Operations, operation: ops.ValidateConstraintOp
         | ops.AddConstraintUsingIndexOp | ops.AddNotNullConstraintOp
         | ops._PreflightOp) -> None:
    _execute(operations, sql.statement(operation.to_step()))
