"""Where the proposed migration starts and stops using each enum type, and the columns it
writes made to leave type creation to alembic-safe.

SQLAlchemy creates an enum while ``op.create_table`` runs and never while ``op.add_column``
does, and a second table sharing the type fails on a type that exists; alembic-safe creates
each type once, before its first column, so the columns autogenerate writes carry
``create_type=False`` (copies: the model's objects are never changed).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.dialects import postgresql

from alembic_safe.autogenerate.enums.catalog import DatabaseEnum, EnumKey
from alembic_safe.autogenerate.enums.declared import native_enum
from alembic_safe.autogenerate.enums.sql import type_name
from alembic_safe.fix.quoting import ident

ColumnKey = tuple[str, str, str]
"""(schema, table, column), the schema spelled out."""


def children(op: ops.MigrateOperation) -> Iterator[tuple[ops.MigrateOperation, str | None]]:
    """``op`` or the operations of its ModifyTableOps, with the table's schema."""
    if isinstance(op, ops.ModifyTableOps):
        for child in op.ops:
            yield child, op.schema
    else:
        yield op, getattr(op, "schema", None)


class EnumColumns:
    """What the proposed operations do with enum columns."""

    def __init__(self, default_schema: str, database: dict[EnumKey, DatabaseEnum]) -> None:
        self.default_schema = default_schema
        #: the enum of each column the database has
        self.in_database: dict[ColumnKey, EnumKey] = {
            (col.schema, col.table, col.name): enum.key
            for enum in database.values() for col in enum.columns}

    def key(self, enum: sa.Enum) -> EnumKey:
        return (enum.schema or self.default_schema, str(enum.name))

    def _schema(self, schema: str | None) -> str:
        return schema or self.default_schema

    # ------------------------------------------------------------------ uses

    def added(self, op: ops.MigrateOperation) -> set[EnumKey]:
        """The enums a top-level operation gives a column (new table, new column, type
        change)."""
        found: set[EnumKey] = set()
        for child, _ in children(op):
            for type_ in _new_types(child):
                typed = native_enum(type_)
                if typed is not None:
                    found.add(self.key(typed[0]))
        return found

    def removed(self, op: ops.MigrateOperation) -> dict[EnumKey, set[ColumnKey]]:
        """The database's enum columns a top-level operation drops or moves to another
        type."""
        found: dict[EnumKey, set[ColumnKey]] = {}
        for child, schema in children(op):
            for column in self._gone(child, self._schema(schema)):
                enum = self.in_database.get(column)
                if enum is not None:
                    found.setdefault(enum, set()).add(column)
        return found

    def _gone(self, op: ops.MigrateOperation, schema: str) -> Iterator[ColumnKey]:
        if isinstance(op, ops.DropTableOp):
            yield from (key for key in self.in_database
                        if key[:2] == (schema, op.table_name))
        elif isinstance(op, ops.DropColumnOp):
            yield (schema, op.table_name, op.column_name)
        elif isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
            column = (schema, op.table_name, op.column_name)
            typed = native_enum(op.modify_type)
            if typed is None or self.key(typed[0]) != self.in_database.get(column):
                yield column

    # ------------------------------------------------------------------ the written columns

    def prepare(self, top: list[ops.MigrateOperation]) -> None:
        """Every native enum column the operations write gets ``create_type=False``; a type
        change to an enum gets ``postgresql_using`` (PostgreSQL has no cast to it)."""
        for n, op in enumerate(top):
            if isinstance(op, ops.ModifyTableOps):
                op.ops[:] = [self._prepare(child) for child in op.ops]
            else:
                top[n] = self._prepare(op)

    def _prepare(self, op: ops.MigrateOperation) -> ops.MigrateOperation:
        if isinstance(op, ops.CreateTableOp):
            op.columns = [self._column(c) if isinstance(c, sa.Column) else c
                          for c in op.columns]
        elif isinstance(op, ops.AddColumnOp):
            op.column = self._column(op.column)
        elif isinstance(op, (ops.DropTableOp, ops.DropColumnOp)) and op._reverse is not None:
            self._prepare(op._reverse)
        elif isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
            op.modify_type = self._type(op.modify_type)
            op.existing_type = self._type(op.existing_type)
            if native_enum(op.modify_type) is not None and "postgresql_using" not in op.kw:
                return EnumAlterColumnOp.of(op)
        return op

    def _type(self, type_: Any) -> Any:
        """``type_`` with ``create_type=False`` when it is (or holds) a native enum: a managed
        type is created by its own operation, any other by whoever manages it (SQLAlchemy's
        ``Enum`` loses ``create_type=False`` in the copies Alembic makes)."""
        typed = native_enum(type_)
        if typed is None:
            return type_
        enum, array = typed
        # PostgreSQL's ENUM keeps create_type through the copies Alembic makes (Enum does not)
        quiet = postgresql.ENUM(*enum.enums, name=enum.name, schema=enum.schema,
                                create_type=False)
        if not array:
            return quiet
        holder = copy.copy(type_)
        holder.__class__ = EnumArray
        holder.item_type = quiet
        return holder

    def _column(self, column: sa.Column[Any]) -> sa.Column[Any]:
        type_ = self._type(column.type)
        if type_ is column.type:
            return column
        written = column._copy()
        written.type = type_
        # still the model's column for what reads its table (the key of a backfill)
        written.table = column.table
        return written


def _new_types(op: ops.MigrateOperation) -> Iterator[Any]:
    if isinstance(op, ops.CreateTableOp):
        yield from (c.type for c in op.columns if isinstance(c, sa.Column))
    elif isinstance(op, ops.AddColumnOp):
        yield op.column.type
    elif isinstance(op, ops.AlterColumnOp) and op.modify_type is not None:
        yield op.modify_type


class EnumArray(sa.ARRAY):  # type: ignore[type-arg]
    """An ``ARRAY`` of an enum that Alembic renders right whatever the values hold.

    Alembic writes an array type by finding its item's repr inside its own with a regular
    expression, which misses when a value holds a backslash or another pattern character, and
    then leaves the item without its ``postgresql.`` prefix (a NameError in the script). This
    repr carries the prefix itself, so nothing is left to find. The module is SQLAlchemy's so
    that Alembic writes it as ``sa.ARRAY``.
    """

    __module__ = "sqlalchemy.sql.sqltypes"

    def __repr__(self) -> str:
        plain = sa.ARRAY.__repr__(self)
        return "ARRAY(postgresql." + plain[plain.index("(") + 1:]


def using(column: str, type_: Any) -> str | None:
    """``col::text::type`` for a change to an enum (or an array of one), None otherwise."""
    typed = native_enum(type_)
    if typed is None:
        return None
    enum, array = typed
    target = type_name(str(enum.name), enum.schema, array=array)
    return f"{ident(column)}::{'text[]' if array else 'text'}::{target}"


class EnumAlterColumnOp(ops.AlterColumnOp):
    """A type change to an enum, through the text of the values (``postgresql_using``:
    PostgreSQL has no cast from another type to an enum); its reverse casts back the same way
    when the old type is an enum too."""

    @classmethod
    def of(cls, op: ops.AlterColumnOp) -> EnumAlterColumnOp:
        kw = {key: value for key, value in op.kw.items() if key != "postgresql_using"}
        casts = using(op.column_name, op.modify_type)
        if casts is not None:
            kw["postgresql_using"] = casts
        return cls(op.table_name, op.column_name, schema=op.schema,
                   existing_type=op.existing_type,
                   existing_server_default=op.existing_server_default,
                   existing_nullable=op.existing_nullable,
                   existing_comment=op.existing_comment, modify_nullable=op.modify_nullable,
                   modify_comment=op.modify_comment,
                   modify_server_default=op.modify_server_default,
                   modify_name=op.modify_name, modify_type=op.modify_type, **kw)

    def reverse(self) -> EnumAlterColumnOp:
        undone = super().reverse()
        assert isinstance(undone, ops.AlterColumnOp)
        return EnumAlterColumnOp.of(undone)
