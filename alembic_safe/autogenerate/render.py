"""How autogenerate writes alembic-safe's operations into a migration script.

Registered with Alembic's ``renderers`` dispatcher, as Alembic's own operations are. Names are
written with ``repr()`` (valid Python whatever they hold), like Alembic's renderers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# the module, not the package: Alembic sets plugins up while alembic.autogenerate is loading
from alembic.autogenerate.render import render_op, renderers

from alembic_safe.autogenerate import ops

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

BLOCK = "{prefix}get_context().autocommit_block():"


def _prefix(autogen_context: AutogenContext) -> str:
    return str(autogen_context.opts.get("alembic_module_prefix") or "")


def op_call(autogen_context: AutogenContext, name: str, *args: Any, **kwargs: Any) -> str:
    """``op.name(args..., key=value...)``; keyword arguments that are None are left out (pass
    ``flag or None`` for a flag written only when set). Every operation alembic-safe adds is
    written through it."""
    parts = [repr(arg) for arg in args]
    parts += [f"{key}={value!r}" for key, value in kwargs.items() if value is not None]
    return f"{_prefix(autogen_context)}{name}({', '.join(parts)})"


@renderers.dispatch_for(ops.AutocommitBlockOp)
def _autocommit_block(autogen_context: AutogenContext, op: ops.AutocommitBlockOp) -> list[str]:
    body = [line.replace("\n", "\n    ") for child in op.ops
            for line in render_op(autogen_context, child)]
    if not body:
        return []
    # the empty line ends the block (Mako's PythonPrinter dedents on it)
    return ["with " + BLOCK.format(prefix=_prefix(autogen_context)), *body, ""]


@renderers.dispatch_for(ops.NoteOp)
def _note(autogen_context: AutogenContext, op: ops.NoteOp) -> list[str]:
    return [f"# {line}".rstrip() for line in op.lines]


@renderers.dispatch_for(ops.ValidateConstraintOp)
def _validate(autogen_context: AutogenContext, op: ops.ValidateConstraintOp) -> str:
    return op_call(autogen_context, "validate_constraint", op.constraint_name, op.table_name,
                   schema=op.schema)


@renderers.dispatch_for(ops.AddConstraintUsingIndexOp)
def _using_index(autogen_context: AutogenContext, op: ops.AddConstraintUsingIndexOp) -> str:
    return op_call(autogen_context, "add_constraint_using_index", op.constraint_name,
                   op.table_name, op.index_name, primary_key=op.primary_key or None,
                   schema=op.schema)


@renderers.dispatch_for(ops.PreflightUniqueOp)
def _preflight_unique(autogen_context: AutogenContext, op: ops.PreflightUniqueOp) -> str:
    return op_call(autogen_context, "preflight_unique", op.table_name, op.columns,
                   schema=op.schema, protects=op.protects)


@renderers.dispatch_for(ops.PreflightNotNullOp)
def _preflight_not_null(autogen_context: AutogenContext, op: ops.PreflightNotNullOp) -> str:
    return op_call(autogen_context, "preflight_not_null", op.table_name, op.column_name,
                   schema=op.schema, protects=op.protects)


@renderers.dispatch_for(ops.PreflightCheckOp)
def _preflight_check(autogen_context: AutogenContext, op: ops.PreflightCheckOp) -> str:
    return op_call(autogen_context, "preflight_check", op.table_name, op.expression,
                   schema=op.schema, protects=op.protects)


@renderers.dispatch_for(ops.AddNotNullConstraintOp)
def _not_null(autogen_context: AutogenContext, op: ops.AddNotNullConstraintOp) -> str:
    return op_call(autogen_context, "add_not_null_constraint", op.constraint_name, op.table_name,
                   op.column_name, not_valid=op.not_valid or None, schema=op.schema)


@renderers.dispatch_for(ops.BackfillOp)
def _backfill(autogen_context: AutogenContext, op: ops.BackfillOp) -> str:
    autogen_context.imports.add("import alembic_safe")
    parts = [f"{_prefix(autogen_context)}get_bind()", f"table={op.table_name!r}",
             f"set={op.assignments!r}"]
    parts += [f"{key}={value!r}" for key, value in (("where", op.where), ("schema", op.schema))
              if value is not None]
    if op.key != "id":
        parts.append(f"key={op.key!r}")
    return f"alembic_safe.backfill({', '.join(parts)})"
