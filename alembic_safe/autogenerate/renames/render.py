"""How autogenerate writes the rename operations (Alembic's ``renderers``; names with
``repr()``, valid Python whatever they hold). :class:`~.ops.RenameColumnOp` needs none: it is
an ``AlterColumnOp`` and Alembic writes it as ``op.alter_column(..., new_column_name=...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic.autogenerate.render import renderers

from alembic_safe.autogenerate.renames import ops
from alembic_safe.autogenerate.render import op_call

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


@renderers.dispatch_for(ops.RenameTableOp)
def _rename_table(autogen_context: AutogenContext, op: ops.RenameTableOp) -> str:
    return op_call(autogen_context, "rename_table", op.table_name, op.new_table_name,
                   schema=op.schema)


@renderers.dispatch_for(ops.RenameIndexOp)
def _rename_index(autogen_context: AutogenContext, op: ops.RenameIndexOp) -> str:
    return op_call(autogen_context, "rename_index", op.index_name, op.new_index_name,
                   schema=op.schema)


@renderers.dispatch_for(ops.RenameConstraintOp)
def _rename_constraint(autogen_context: AutogenContext, op: ops.RenameConstraintOp) -> str:
    return op_call(autogen_context, "rename_constraint", op.table_name, op.constraint_name,
                   op.new_constraint_name, schema=op.schema)


@renderers.dispatch_for(ops.RenameSequenceOp)
def _rename_sequence(autogen_context: AutogenContext, op: ops.RenameSequenceOp) -> str:
    return op_call(autogen_context, "rename_sequence", op.sequence_name, op.new_sequence_name,
                   schema=op.schema)
