"""What the enum operations do when a migration runs: their SQL, through the migration
context like any Alembic operation (the runtime guard checks it online, ``--sql`` writes it
offline)."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import text

from alembic_safe.autogenerate.enums import ops
from alembic_safe.autogenerate.toimpl import _execute

_TYPE_EXISTS = ("SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE t.typname = :name "
                "AND n.nspname = coalesce(CAST(:schema AS text), current_schema())")


@Operations.implementation_for(ops.CreateEnumTypeOp)
def create(operations: Operations, operation: ops.CreateEnumTypeOp) -> None:
    context = operations.migration_context
    if operation.if_not_exists and not context.as_sql:
        found = context.connection.execute(  # type: ignore[union-attr]
            text(_TYPE_EXISTS), {"name": operation.type_name, "schema": operation.schema})
        if found.first() is not None:
            return
    run(operations, operation)


@Operations.implementation_for(ops.DropEnumTypeOp)
@Operations.implementation_for(ops.AddEnumTypeValueOp)
@Operations.implementation_for(ops.RenameEnumTypeValueOp)
@Operations.implementation_for(ops.RenameEnumTypeOp)
@Operations.implementation_for(ops.ConvertEnumColumnsOp)
def run(operations: Operations, operation: ops._EnumOp | ops.ConvertEnumColumnsOp) -> None:
    for statement in operation.statements():
        _execute(operations, statement)


@Operations.implementation_for(ops.EnumSwapOp)
def swap(operations: Operations, operation: ops.EnumSwapOp) -> None:
    for step in operation.ops:
        operations.invoke(step)


@Operations.implementation_for(ops.ValuesStayOp)
def values_stay(operations: Operations, operation: ops.ValuesStayOp) -> None:
    """A note runs nothing."""
