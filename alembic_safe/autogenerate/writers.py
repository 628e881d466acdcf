"""A rule's fix written as migration operations: the autogenerate front end of a Fix.

Each step becomes an operation. Where a step is the proposed operation made safe, that
operation is kept with the safe option set (``postgresql_concurrently=True`` on its
``CreateIndexOp``, ``postgresql_not_valid=True`` on its ``CreateForeignKeyOp``...), so the
script reads as Alembic would write it; the other steps become Alembic's operations or
alembic-safe's (:mod:`.ops`). A step with no operation form leaves the proposed operation as
it was, with a note saying what to do.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import conv

from alembic_safe.autogenerate import ops as safe_ops
from alembic_safe.fix import model
from alembic_safe.fix.quoting import ident

_ROW_KEY_TYPES = (sa.Integer, sa.String, sa.Uuid, sa.DateTime, sa.Date)


def _with(op: ops.CreateIndexOp | ops.DropIndexOp, **kw: Any) -> dict[str, Any]:
    return {**op.kw, **kw}


def reuse(op: ops.MigrateOperation, step: model.Step) -> ops.MigrateOperation | None:
    """``op`` made safe as ``step`` says, when ``step`` is ``op`` itself; else None."""
    if isinstance(op, ops.CreateIndexOp) and isinstance(step, model.BuildIndex):
        return ops.CreateIndexOp(op.index_name, op.table_name, op.columns, schema=op.schema,
                                 unique=op.unique, if_not_exists=op.if_not_exists,
                                 **_with(op, postgresql_concurrently=True))
    if isinstance(op, ops.DropIndexOp) and isinstance(step, model.DropIndex):
        return ops.DropIndexOp(op.index_name, op.table_name, schema=op.schema,
                               if_exists=step.if_exists or op.if_exists, _reverse=op._reverse,
                               **_with(op, postgresql_concurrently=True))
    if isinstance(op, ops.CreateForeignKeyOp) and isinstance(step, model.AddConstraint):
        return ops.CreateForeignKeyOp(op.constraint_name or conv(step.name), op.source_table,
                                      op.referent_table, op.local_cols, op.remote_cols,
                                      **{**op.kw, "postgresql_not_valid": True})
    if isinstance(op, ops.CreateCheckConstraintOp) and isinstance(step, model.AddConstraint):
        return ops.CreateCheckConstraintOp(op.constraint_name or conv(step.name), op.table_name,
                                           op.condition, schema=op.schema,
                                           **{**op.kw, "postgresql_not_valid": True})
    if isinstance(op, ops.CreateUniqueConstraintOp) and isinstance(step, model.BuildIndex):
        dialect = {k: v for k, v in op.kw.items() if k.startswith("postgresql_") and v}
        return ops.CreateIndexOp(conv(step.name), op.table_name, list(op.columns),
                                 schema=op.schema, unique=True, postgresql_concurrently=True,
                                 **dialect)
    if isinstance(op, ops.AddColumnOp) and isinstance(step, model.AddColumn):
        column = op.column._copy()
        column.nullable = True
        if step.default is None:  # a volatile default: set afterwards, for new rows only
            column.server_default = None
        return ops.AddColumnOp(op.table_name, column, schema=op.schema,
                               if_not_exists=op.if_not_exists, **op.kw)
    if isinstance(op, ops.AlterColumnOp) and isinstance(step, model.SetNotNull):
        return op
    return None


def step_op(step: model.Step, earlier: dict[str, ops.MigrateOperation] | None = None
            ) -> ops.MigrateOperation | None:
    """An operation that runs ``step``; None when none can (the step needs the model, such
    as a column's type, or has no operation). ``earlier``: the operations of the fix's
    previous steps by constraint name (what dropping a temporary constraint reverses to)."""
    table = getattr(step, "table", None)
    name, schema = (table.name, table.schema) if table is not None else ("", None)
    if isinstance(step, model.BuildIndex) and step.definition is None:
        where: dict[str, Any] = {"postgresql_where": sa.text(step.where)} if step.where else {}
        return ops.CreateIndexOp(conv(step.name), name, list(step.columns), schema=schema,
                                 unique=step.unique, postgresql_concurrently=True, **where)
    if isinstance(step, model.AddConstraint):
        return _constraint_op(step, name, schema)
    if isinstance(step, model.ValidateConstraint):
        return safe_ops.ValidateConstraintOp(step.name, name, schema=schema)
    if isinstance(step, model.SetNotNull):
        return ops.AlterColumnOp(name, step.column, modify_nullable=False, schema=schema)
    if isinstance(step, model.SetDefault):
        return ops.AlterColumnOp(name, step.column, schema=schema,
                                 modify_server_default=sa.DefaultClause(sa.text(step.expression)))
    if isinstance(step, model.DropConstraint):
        added = (earlier or {}).get(step.name)
        return ops.DropConstraintOp(
            conv(step.name), name, schema=schema, if_exists=step.if_exists or None,
            _reverse=added if isinstance(added, ops.AddConstraintOp) else None)
    if isinstance(step, model.Preflight):
        return _preflight_op(step, name, schema)
    if isinstance(step, model.Backfill):
        return safe_ops.BackfillOp(name, step.assignments, where=step.where, key=step.key,
                                   schema=schema)
    return None


def _constraint_op(step: model.AddConstraint, name: str, schema: str | None
                   ) -> ops.MigrateOperation | None:
    if step.using_index is not None:
        return safe_ops.AddConstraintUsingIndexOp(
            step.name, name, step.using_index, schema=schema,
            primary_key=step.type is model.ConstraintType.PRIMARY_KEY)
    if step.type is model.ConstraintType.CHECK and step.expression is not None:
        return ops.CreateCheckConstraintOp(conv(step.name), name, step.expression, schema=schema,
                                           postgresql_not_valid=step.not_valid or None)
    if step.type is model.ConstraintType.NOT_NULL:
        return safe_ops.AddNotNullConstraintOp(step.name, name, step.columns[0],
                                               not_valid=step.not_valid, schema=schema)
    if step.type is model.ConstraintType.FOREIGN_KEY and step.references is not None:
        options = {"ondelete": step.on_delete, "onupdate": step.on_update,
                   "match": "FULL" if step.match_full else None,
                   "deferrable": step.deferrable or None,
                   "initially": "DEFERRED" if step.initially_deferred else None,
                   "postgresql_not_valid": step.not_valid or None}
        return ops.CreateForeignKeyOp(
            conv(step.name), name, step.references.name, list(step.columns),
            list(step.referenced_columns), source_schema=schema,
            referent_schema=step.references.schema,
            **{k: v for k, v in options.items() if v is not None})
    return None


def _preflight_op(step: model.Preflight, name: str, schema: str | None) -> ops.MigrateOperation:
    protects = step.protects or None
    if step.kind is model.PreflightKind.UNIQUE:
        return safe_ops.PreflightUniqueOp(name, step.columns, schema=schema, protects=protects)
    if step.kind is model.PreflightKind.NOT_NULL:
        return safe_ops.PreflightNotNullOp(name, step.columns[0], schema=schema,
                                           protects=protects)
    return safe_ops.PreflightCheckOp(name, step.expression or "true", schema=schema,
                                     protects=protects)


def backfill_of(op: ops.AddColumnOp) -> model.Backfill | None:
    """The backfill a new column's model gives: its constant Python-side default, by the
    table's one-column primary key; None when either is missing (the application decides)."""
    column = op.column
    default = column.default
    table = column.table if isinstance(column.table, sa.Table) else None
    if default is None or not getattr(default, "is_scalar", False) or table is None:
        return None
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, _ROW_KEY_TYPES):
        return None
    try:
        value = sa.literal(default.arg, column.type).compile(  # type: ignore[attr-defined]
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True})
    except (sa.exc.CompileError, NotImplementedError, TypeError):
        return None
    from alembic_safe.analysis.facts import Relation

    return model.Backfill(Relation(op.table_name, op.schema), f"{ident(column.name)} = {value}",
                          where=f"{ident(column.name)} IS NULL", key=keys[0].name)
