"""The operations a rename is written with, in Alembic's operation model.

:class:`RenameColumnOp` and :class:`RenameTableOp` are Alembic's ``op.alter_column(...,
new_column_name=...)`` and ``op.rename_table(...)`` with what Alembic leaves out for them: a
reverse (the downgrade renames back) and a diff tuple (``alembic check`` and
``compare_metadata()`` list a pending rename). ``op.rename_index``, ``op.rename_constraint`` and
``op.rename_sequence`` rename what was named after the old name. The rename itself is written
inside :class:`~alembic_safe.autogenerate.allow.AllowOp` (``with alembic_safe.allow(...):``),
with the reason the model gave.
"""

from __future__ import annotations

from typing import Any

from alembic.operations import Operations
from alembic.operations import ops as alembic_ops
from alembic.operations.ops import MigrateOperation


class RenameColumnOp(alembic_ops.AlterColumnOp):
    """``op.alter_column(table, old, new_column_name=new)``."""

    def __init__(self, table_name: str, column_name: str, new_column_name: str, *,
                 schema: str | None = None) -> None:
        super().__init__(table_name, column_name, schema=schema, modify_name=new_column_name)
        self.new_column_name = new_column_name

    def reverse(self) -> RenameColumnOp:
        return RenameColumnOp(self.table_name, self.new_column_name, self.column_name,
                              schema=self.schema)

    def to_diff_tuple(self) -> Any:
        return ("rename_column", self.schema, self.table_name, self.column_name,
                self.new_column_name)


class RenameTableOp(alembic_ops.RenameTableOp):
    """``op.rename_table(old, new, schema=...)``."""

    def reverse(self) -> RenameTableOp:
        return RenameTableOp(self.new_table_name, self.table_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_table", self.schema, self.table_name, self.new_table_name)


@Operations.register_operation("rename_index")
class RenameIndexOp(MigrateOperation):
    """``ALTER INDEX schema.old RENAME TO new`` (a brief SHARE UPDATE EXCLUSIVE lock)."""

    def __init__(self, index_name: str, new_index_name: str, *,
                 schema: str | None = None) -> None:
        self.index_name = index_name
        self.new_index_name = new_index_name
        self.schema = schema

    @classmethod
    def rename_index(cls, operations: Operations, index_name: str, new_index_name: str, *,
                     schema: str | None = None) -> None:
        """Rename an index (it lives in its table's schema)."""
        operations.invoke(cls(index_name, new_index_name, schema=schema))

    def reverse(self) -> RenameIndexOp:
        return RenameIndexOp(self.new_index_name, self.index_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_index", self.schema, self.index_name, self.new_index_name)


@Operations.register_operation("rename_constraint")
class RenameConstraintOp(MigrateOperation):
    """``ALTER TABLE schema.table RENAME CONSTRAINT old TO new`` (a primary key or unique
    constraint's index is renamed with it)."""

    def __init__(self, table_name: str, constraint_name: str, new_constraint_name: str, *,
                 schema: str | None = None) -> None:
        self.table_name = table_name
        self.constraint_name = constraint_name
        self.new_constraint_name = new_constraint_name
        self.schema = schema

    @classmethod
    def rename_constraint(cls, operations: Operations, table_name: str, constraint_name: str,
                          new_constraint_name: str, *, schema: str | None = None) -> None:
        """Rename a constraint of a table."""
        operations.invoke(cls(table_name, constraint_name, new_constraint_name, schema=schema))

    def reverse(self) -> RenameConstraintOp:
        return RenameConstraintOp(self.table_name, self.new_constraint_name,
                                  self.constraint_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_constraint", self.schema, self.table_name, self.constraint_name,
                self.new_constraint_name)


@Operations.register_operation("rename_sequence")
class RenameSequenceOp(MigrateOperation):
    """``ALTER SEQUENCE schema.old RENAME TO new`` (a column default that uses the sequence
    follows it: ``nextval`` holds its oid)."""

    def __init__(self, sequence_name: str, new_sequence_name: str, *,
                 schema: str | None = None) -> None:
        self.sequence_name = sequence_name
        self.new_sequence_name = new_sequence_name
        self.schema = schema

    @classmethod
    def rename_sequence(cls, operations: Operations, sequence_name: str,
                        new_sequence_name: str, *, schema: str | None = None) -> None:
        """Rename a sequence (a serial or identity column's, or any other)."""
        operations.invoke(cls(sequence_name, new_sequence_name, schema=schema))

    def reverse(self) -> RenameSequenceOp:
        return RenameSequenceOp(self.new_sequence_name, self.sequence_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_sequence", self.schema, self.sequence_name, self.new_sequence_name)
