"""The SQL an operation runs, rendered offline for PostgreSQL (no database involved).

Autogenerate's operations hold the model's objects; run as they stand, an ``AddColumnOp``
would also create the column's foreign keys and indexes, which autogenerate writes as
operations of their own. The column is first reduced to what the rendered ``op.add_column``
holds, so the SQL analyzed is the SQL the written script runs.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import CompileError
from sqlalchemy.sql.base import SchemaEventTarget

from alembic_safe.capture.offline import ExistingType


class OperationSql:
    """Renders operations to SQL statements, one operation at a time."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._tables: dict[tuple[str | None, str], sa.Table] = {}
        # MigrationContext logs its set-up at INFO: not something the user asked for
        logger = logging.getLogger("alembic.runtime.migration")
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            self.context = MigrationContext.configure(
                dialect_name="postgresql", dialect_opts={"paramstyle": "named"},
                opts={"as_sql": True, "output_buffer": io.StringIO(), "literal_binds": True,
                      "transactional_ddl": True})
        finally:
            logger.setLevel(level)
        self.context.impl.static_output = self._out.append  # type: ignore[method-assign, assignment]
        self.operations = Operations(self.context)

    def statements(self, op: ops.MigrateOperation) -> list[str]:
        """The statements ``op`` runs (raises what Alembic raises for an op it cannot run
        offline)."""
        self._out.clear()
        index = self._index(op)
        if isinstance(op, ops.CreateIndexOp) and index is not None:
            kw = {} if op.if_not_exists is None else {"if_not_exists": op.if_not_exists}
            self.context.impl.create_index(index, **kw)
        elif isinstance(op, ops.DropIndexOp) and index is not None:
            kw = {} if op.if_exists is None else {"if_exists": op.if_exists}
            self.context.impl.drop_index(index, **kw)
        else:
            self.operations.invoke(as_written(op))
        if index is not None:
            index.table.indexes.discard(index)  # type: ignore[union-attr]
        return [text.strip() for text in self._out]

    def _index(self, op: ops.MigrateOperation) -> sa.Index | None:
        """The index of a create or drop of an index on plain columns, on a table made once
        per name (what ``to_index()`` builds anew each time, the slow part of rendering many
        index operations); None for others (expressions: Alembic builds them)."""
        if isinstance(op, ops.CreateIndexOp):
            columns = op.columns
        elif isinstance(op, ops.DropIndexOp) and op.table_name is not None:
            # Alembic's to_index() names a stand-in column when the index's are not known
            columns = op._reverse.columns if op._reverse is not None else ["x"]
        else:
            return None
        names = [c if isinstance(c, str) else c.name for c in columns
                 if isinstance(c, (str, sa.Column))]
        if len(names) != len(columns) or op.table_name is None:
            return None
        key = (op.schema, op.table_name)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = sa.Table(op.table_name, sa.MetaData(), schema=op.schema)
        for name in names:
            if name not in table.c:
                table.append_column(sa.Column(name, sa.types.NULLTYPE))
        unique = op.unique if isinstance(op, ops.CreateIndexOp) else op.kw.get("unique", False)
        kw = {k: v for k, v in op.kw.items() if k != "unique"}
        return sa.Index(op.index_name, *(table.c[name] for name in names), unique=unique, **kw)

    def existing_type(self, op: ops.MigrateOperation) -> ExistingType | None:
        """The column type an ``alter_column`` declares as already there, as SQL."""
        if not isinstance(op, ops.AlterColumnOp) or op.existing_type is None \
                or op.modify_type is None:
            return None
        try:
            type_sql = str(sa.types.to_instance(op.existing_type).compile(
                dialect=self.context.dialect))
        except CompileError:
            return None
        return ExistingType(op.schema, op.table_name, op.column_name, type_sql)


@cache
def operation_sql() -> OperationSql:
    """The renderer of this process (it keeps no state between operations)."""
    return OperationSql()


def _copy_type(type_: Any) -> Any:
    """Schema types (Enum, Boolean) attach events to their table: each column its own copy,
    as ``Column._copy()`` does."""
    return type_.copy() if isinstance(type_, SchemaEventTarget) else type_  # type: ignore[attr-defined]


def written_column(column: sa.Column[Any]) -> sa.Column[Any]:
    """The column as ``op.add_column`` renders it: name, type, computed or identity, server
    default, nullability and comment; no foreign key, index or unique flag."""
    extras: list[Any] = []
    if column.computed is not None:
        extras.append(column.computed._copy())
    if column.identity is not None:
        extras.append(column.identity._copy())
    default = column.server_default
    return sa.Column(column.name, _copy_type(column.type), *extras,
                     nullable=column.nullable, comment=column.comment,
                     server_default=default._copy() if default is not None else None)


def as_written(op: ops.MigrateOperation) -> ops.MigrateOperation:
    """``op`` as the rendered script holds it."""
    if isinstance(op, ops.AddColumnOp):
        return ops.AddColumnOp(op.table_name, written_column(op.column), schema=op.schema,
                               if_not_exists=op.if_not_exists, **op.kw)
    return op
