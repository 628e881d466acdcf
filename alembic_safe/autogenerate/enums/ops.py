"""alembic-safe's enum operations, in Alembic's operation model.

Each is registered on :class:`~alembic.operations.Operations` (``op.add_enum_type_value(...)``
works in any script once alembic-safe is installed), with a renderer (:mod:`.render`), an
implementation (:mod:`.toimpl`), ``reverse()`` and ``to_diff_tuple()`` (``alembic check``
lists enum drift). Their SQL comes from :mod:`.sql`. Names are Alembic's: ``schema`` None is
the search_path's schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from alembic.operations import Operations
from alembic.operations.ops import MigrateOperation, OpContainer

from alembic_safe.autogenerate.enums import sql
from alembic_safe.autogenerate.ops import NoteOp


class _EnumOp(MigrateOperation):
    """An operation on one enum type."""

    def __init__(self, type_name: str, *, schema: str | None = None) -> None:
        self.type_name = type_name
        self.schema = schema

    def statements(self) -> list[str]:
        raise NotImplementedError


@Operations.register_operation("create_enum_type")
class CreateEnumTypeOp(_EnumOp):
    """``CREATE TYPE ... AS ENUM (...)``."""

    def __init__(self, type_name: str, values: Sequence[str], *, schema: str | None = None,
                 if_not_exists: bool = False) -> None:
        super().__init__(type_name, schema=schema)
        self.values = list(values)
        #: pass over it when a type of that name exists (checked in the catalog first; a
        #: second run after a failure): PostgreSQL has no CREATE TYPE IF NOT EXISTS
        self.if_not_exists = if_not_exists

    @classmethod
    def create_enum_type(cls, operations: Operations, type_name: str, values: Sequence[str],
                         *, schema: str | None = None, if_not_exists: bool = False) -> None:
        """Create the enum type ``type_name`` with ``values``, in this order
        (``if_not_exists``: nothing happens when a type of that name exists)."""
        operations.invoke(cls(type_name, values, schema=schema, if_not_exists=if_not_exists))

    def statements(self) -> list[str]:
        return [sql.create_type(self.type_name, self.values, self.schema)]

    def rerunnable_form(self) -> CreateEnumTypeOp:
        return CreateEnumTypeOp(self.type_name, self.values, schema=self.schema,
                                if_not_exists=True)

    def reverse(self) -> DropEnumTypeOp:
        return DropEnumTypeOp(self.type_name, schema=self.schema, values=self.values)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_enum", self.schema, self.type_name, tuple(self.values))


@Operations.register_operation("drop_enum_type")
class DropEnumTypeOp(_EnumOp):
    """``DROP TYPE`` of an enum (it fails while a column or function still uses it)."""

    def __init__(self, type_name: str, *, schema: str | None = None,
                 values: Sequence[str] | None = None) -> None:
        super().__init__(type_name, schema=schema)
        #: the values it had, for the reverse (not rendered)
        self.values = list(values) if values is not None else None

    @classmethod
    def drop_enum_type(cls, operations: Operations, type_name: str, *,
                       schema: str | None = None) -> None:
        """Drop the enum type ``type_name``."""
        operations.invoke(cls(type_name, schema=schema))

    def statements(self) -> list[str]:
        return [sql.drop_type(self.type_name, self.schema)]

    def reverse(self) -> CreateEnumTypeOp:
        if self.values is None:
            raise ValueError(f"the values of the dropped enum {self.type_name} are unknown")
        return CreateEnumTypeOp(self.type_name, self.values, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_enum", self.schema, self.type_name)


@Operations.register_operation("add_enum_type_value")
class AddEnumTypeValueOp(_EnumOp):
    """``ALTER TYPE ... ADD VALUE IF NOT EXISTS ... BEFORE/AFTER``: no row is touched."""

    def __init__(self, type_name: str, value: str, *, before: str | None = None,
                 after: str | None = None, schema: str | None = None) -> None:
        super().__init__(type_name, schema=schema)
        if before is not None and after is not None:
            raise ValueError("add_enum_type_value takes before= or after=, not both")
        self.value = value
        self.before = before
        self.after = after

    @classmethod
    def add_enum_type_value(cls, operations: Operations, type_name: str, value: str, *,
                       before: str | None = None, after: str | None = None,
                       schema: str | None = None) -> None:
        """Add ``value`` to the enum ``type_name``, before or after an existing value (at the
        end when neither is given); nothing happens when it is there already. Before
        PostgreSQL 12, and when the same transaction uses the value, run it in
        ``op.get_context().autocommit_block()``."""
        operations.invoke(cls(type_name, value, before=before, after=after, schema=schema))

    def statements(self) -> list[str]:
        return [sql.add_value(self.type_name, self.value, self.schema, before=self.before,
                              after=self.after)]

    def reverse(self) -> NoteOp:
        """Nothing: the value stays (see :class:`ValuesStayOp` for the downgrade's note)."""
        return NoteOp(())

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_enum_type_value", self.schema, self.type_name, self.value)


@Operations.register_operation("rename_enum_type_value")
class RenameEnumTypeValueOp(_EnumOp):
    """``ALTER TYPE ... RENAME VALUE`` (PostgreSQL 10+): no row is touched, but code still
    using the old value breaks."""

    def __init__(self, type_name: str, old_value: str, new_value: str, *,
                 schema: str | None = None) -> None:
        super().__init__(type_name, schema=schema)
        self.old_value = old_value
        self.new_value = new_value

    @classmethod
    def rename_enum_type_value(cls, operations: Operations, type_name: str, old_value: str,
                          new_value: str, *, schema: str | None = None) -> None:
        """Rename the value ``old_value`` of the enum ``type_name`` to ``new_value``."""
        operations.invoke(cls(type_name, old_value, new_value, schema=schema))

    def statements(self) -> list[str]:
        return [sql.rename_value(self.type_name, self.old_value, self.new_value, self.schema)]

    def reverse(self) -> RenameEnumTypeValueOp:
        return RenameEnumTypeValueOp(self.type_name, self.new_value, self.old_value,
                                 schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_enum_type_value", self.schema, self.type_name, self.old_value,
                self.new_value)


@Operations.register_operation("rename_enum_type")
class RenameEnumTypeOp(_EnumOp):
    """``ALTER TYPE ... RENAME TO`` (the last step of a type swap)."""

    def __init__(self, type_name: str, new_name: str, *, schema: str | None = None) -> None:
        super().__init__(type_name, schema=schema)
        self.new_name = new_name

    @classmethod
    def rename_enum_type(cls, operations: Operations, type_name: str, new_name: str, *,
                         schema: str | None = None) -> None:
        """Rename the enum type ``type_name`` to ``new_name``."""
        operations.invoke(cls(type_name, new_name, schema=schema))

    def statements(self) -> list[str]:
        return [sql.rename_type(self.type_name, self.new_name, self.schema)]

    def reverse(self) -> RenameEnumTypeOp:
        return RenameEnumTypeOp(self.new_name, self.type_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("rename_enum_type", self.schema, self.type_name, self.new_name)


@Operations.register_operation("convert_enum_columns")
class ConvertEnumColumnsOp(MigrateOperation):
    """``ALTER TABLE ... ALTER COLUMN ... TYPE enum USING col::text::enum`` for columns of one
    table, in one statement (one rewrite of the table under ACCESS EXCLUSIVE): the columns
    moved to another enum type by their labels; constant defaults are dropped first and set
    again on the new type (PostgreSQL has no cast between two enums)."""

    #: the type swap's note flags the rewrite (AS205) itself
    noted_rules = frozenset({"AS205"})

    def __init__(self, table_name: str, columns: Sequence[str], type_name: str, *,
                 schema: str | None = None, type_schema: str | None = None,
                 arrays: Sequence[str] = (), defaults: Mapping[str, str] | None = None,
                 from_type: str | None = None) -> None:
        self.table_name = table_name
        self.columns = list(columns)
        self.type_name = type_name
        self.schema = schema
        self.type_schema = type_schema
        #: the columns that are arrays of the enum
        self.arrays = list(arrays)
        #: the string each column's constant default casts (a label, or an array literal)
        self.defaults = dict(defaults or {})
        #: the type they had, for the reverse (not rendered)
        self.from_type = from_type

    @classmethod
    def convert_enum_columns(cls, operations: Operations, table_name: str,
                             columns: Sequence[str], type_name: str, *,
                             schema: str | None = None, type_schema: str | None = None,
                             arrays: Sequence[str] = (),
                             defaults: Mapping[str, str] | None = None) -> None:
        """Convert ``columns`` of the table to the enum ``type_name`` (those in ``arrays`` to
        an array of it) through the text of their values; ``defaults``: the string of each
        column's constant default, set again on the new type."""
        operations.invoke(cls(table_name, columns, type_name, schema=schema,
                              type_schema=type_schema, arrays=arrays, defaults=defaults))

    def statements(self) -> list[str]:
        return [sql.convert_columns(self.table_name, self.schema, [
            sql.Conversion(column, column in self.arrays, self.defaults.get(column))
            for column in self.columns], self.type_name, type_schema=self.type_schema)]

    def reverse(self) -> ConvertEnumColumnsOp:
        if self.from_type is None:
            raise ValueError(f"the former type of {self.table_name} {self.columns} is unknown")
        return ConvertEnumColumnsOp(self.table_name, self.columns, self.from_type,
                                    schema=self.schema, type_schema=self.type_schema,
                                    arrays=self.arrays, defaults=self.defaults,
                                    from_type=self.type_name)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("convert_enum_columns", self.schema, self.table_name, tuple(self.columns),
                self.type_schema, self.type_name)


class SwapNoteOp(NoteOp):
    """The note of a type swap; the downgrade's swap back gets its own."""

    def __init__(self, lines: Sequence[str], undone: Sequence[str] = ()) -> None:
        super().__init__(lines)
        self.undone = list(undone)

    def reverse(self) -> SwapNoteOp:
        return SwapNoteOp(self.undone, self.lines)


class EnumSwapOp(OpContainer):
    """The steps of one type swap, written one after the other (its note first, in the
    upgrade and in the downgrade's swap back)."""

    #: its note flags the rewrites (AS205) and, with several tables, the locks held until the
    #: end of the swap's one transaction (AS810)
    noted_rules = frozenset({"AS205", "AS810"})

    def reverse(self) -> EnumSwapOp:
        note, *steps = self.ops
        undone = [step.reverse() for step in reversed(steps)]
        return EnumSwapOp([note.reverse(), *(op for op in undone if not _nothing(op))])

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("swap_enum", [op.to_diff_tuple() for op in self.ops])


def _nothing(op: MigrateOperation) -> bool:
    """An operation that renders and runs nothing (the reverse of a check)."""
    return isinstance(op, OpContainer) and op.is_empty() and not getattr(op, "lines", None)


class ValuesStayOp(OpContainer):
    """The downgrade's word on values an upgrade added: they stay (removing a value needs a
    type swap that rewrites every column of the type, and rows may hold it by now). Runs
    nothing and lists no diff; rendered only in the downgrade."""

    def __init__(self, type_name: str, values: Sequence[str], *, schema: str | None = None,
                 downgrade: bool = False) -> None:
        super().__init__(())
        self.type_name = type_name
        self.values = list(values)
        self.schema = schema
        self.downgrade = downgrade

    def reverse(self) -> ValuesStayOp:
        return ValuesStayOp(self.type_name, self.values, schema=self.schema,
                            downgrade=not self.downgrade)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ()
