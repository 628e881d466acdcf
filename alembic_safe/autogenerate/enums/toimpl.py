"""What the enum operations do when a migration runs: their SQL, through the migration
context like any Alembic operation (the runtime guard checks it online, ``--sql`` writes it
offline)."""

from __future__ import annotations

from alembic.operations import Operations

from alembic_safe.autogenerate.enums import ops
from alembic_safe.autogenerate.toimpl import _execute


@Operations.implementation_for(ops.CreateEnumTypeOp)
@Operations.implementation_for(ops.DropEnumTypeOp)
@Operations.implementation_for(ops.AddEnumValueOp)
@Operations.implementation_for(ops.RenameEnumValueOp)
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
