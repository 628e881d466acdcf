"""What the rename operations run: SQL quoted by :mod:`alembic_safe.fix.quoting`, through the
migration context (the runtime guard checks it online, ``--sql`` writes it offline)."""

from __future__ import annotations

from alembic.operations import Operations

from alembic_safe.analysis.facts import Relation
from alembic_safe.autogenerate.renames import ops
from alembic_safe.autogenerate.toimpl import _execute
from alembic_safe.fix.quoting import ident, relation


def rename_sql(operation: ops.RenameIndexOp | ops.RenameConstraintOp | ops.RenameSequenceOp
               ) -> str:
    """The statement of a rename of an index, a constraint or a sequence."""
    if isinstance(operation, ops.RenameIndexOp):
        return (f"ALTER INDEX {relation(Relation(operation.index_name, operation.schema))} "
                f"RENAME TO {ident(operation.new_index_name)}")
    if isinstance(operation, ops.RenameConstraintOp):
        return (f"ALTER TABLE {relation(Relation(operation.table_name, operation.schema))} "
                f"RENAME CONSTRAINT {ident(operation.constraint_name)} TO "
                f"{ident(operation.new_constraint_name)}")
    return (f"ALTER SEQUENCE {relation(Relation(operation.sequence_name, operation.schema))} "
            f"RENAME TO {ident(operation.new_sequence_name)}")


@Operations.implementation_for(ops.RenameIndexOp)
@Operations.implementation_for(ops.RenameConstraintOp)
@Operations.implementation_for(ops.RenameSequenceOp)
def rename(operations: Operations, operation: ops.RenameIndexOp | ops.RenameConstraintOp
           | ops.RenameSequenceOp) -> None:
    _execute(operations, rename_sql(operation))
