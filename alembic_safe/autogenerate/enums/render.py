"""How autogenerate writes the enum operations into a migration script (Alembic's
``renderers`` dispatcher; names and values written with ``repr()``, valid Python whatever they
hold)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from alembic.autogenerate.render import render_op, renderers
from alembic.operations import ops as alembic_ops

from alembic_safe.autogenerate.enums import ops
from alembic_safe.autogenerate.render import op_call

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

_WIDTH = 90
#: Alembic's own renderer of ``op.alter_column``
_plain_alter_column = renderers.dispatch(alembic_ops.AlterColumnOp)


@renderers.dispatch_for(alembic_ops.AlterColumnOp, replace=True)
def _alter_column(autogen_context: AutogenContext, op: alembic_ops.AlterColumnOp) -> str:
    """Alembic's ``op.alter_column(...)``, with ``postgresql_using=`` when the operation has
    one (Alembic leaves it out, and a change to an enum type needs it: PostgreSQL has no cast
    from text or another enum)."""
    text = str(_plain_alter_column(autogen_context, op))
    using = op.kw.get("postgresql_using")
    if using is None or not text.endswith(")"):
        return text
    return f"{text[:-1]},\n{' ' * 11}postgresql_using={using!r})"


@renderers.dispatch_for(ops.CreateEnumTypeOp)
def _create(autogen_context: AutogenContext, op: ops.CreateEnumTypeOp) -> str:
    return op_call(autogen_context, "create_enum_type", op.type_name, op.values,
                   schema=op.schema, if_not_exists=op.if_not_exists or None)


@renderers.dispatch_for(ops.DropEnumTypeOp)
def _drop(autogen_context: AutogenContext, op: ops.DropEnumTypeOp) -> str:
    return op_call(autogen_context, "drop_enum_type", op.type_name, schema=op.schema)


@renderers.dispatch_for(ops.AddEnumTypeValueOp)
def _add_value(autogen_context: AutogenContext, op: ops.AddEnumTypeValueOp) -> str:
    return op_call(autogen_context, "add_enum_type_value", op.type_name, op.value,
                   before=op.before, after=op.after, schema=op.schema)


@renderers.dispatch_for(ops.RenameEnumTypeValueOp)
def _rename_value(autogen_context: AutogenContext, op: ops.RenameEnumTypeValueOp) -> str:
    return op_call(autogen_context, "rename_enum_type_value", op.type_name, op.old_value,
                   op.new_value, schema=op.schema)


@renderers.dispatch_for(ops.RenameEnumTypeOp)
def _rename_type(autogen_context: AutogenContext, op: ops.RenameEnumTypeOp) -> str:
    return op_call(autogen_context, "rename_enum_type", op.type_name, op.new_name,
                   schema=op.schema)


@renderers.dispatch_for(ops.ConvertEnumColumnsOp)
def _convert(autogen_context: AutogenContext, op: ops.ConvertEnumColumnsOp) -> str:
    return op_call(autogen_context, "convert_enum_columns", op.table_name, op.columns,
                   op.type_name, schema=op.schema, type_schema=op.type_schema,
                   arrays=op.arrays or None, defaults=op.defaults or None)


@renderers.dispatch_for(ops.EnumSwapOp)
def _swap(autogen_context: AutogenContext, op: ops.EnumSwapOp) -> list[str]:
    return [line for child in op.ops for line in render_op(autogen_context, child)]


@renderers.dispatch_for(ops.ValuesStayOp)
def _values_stay(autogen_context: AutogenContext, op: ops.ValuesStayOp) -> list[str]:
    if not op.downgrade:
        return []
    name = f"{op.schema}.{op.type_name}" if op.schema else op.type_name
    values = ", ".join(repr(value) for value in op.values)
    text = (f"alembic-safe: the downgrade leaves {values} in enum {name}: removing a value "
            "recreates the type and rewrites every column that uses it, and rows may hold it "
            "by now; the older application never writes it.")
    # a statement after the comments: a body of comments alone is not valid Python
    return [f"# {line}" for line in textwrap.wrap(text, _WIDTH)] + ["pass"]
