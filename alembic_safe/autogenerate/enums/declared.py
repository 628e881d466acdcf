"""The native enums the model declares: every ``Enum`` (``native_enum`` left on, or
PostgreSQL's ``ENUM``) on a column of the tables autogenerate compares, directly or as the item
type of an ``ARRAY``, with the rename hints for its values.

``native_enum=False`` is a VARCHAR to PostgreSQL and is left alone; ``create_type=False`` says
the type is managed elsewhere: it is neither created, changed nor dropped. Rename hints come from
the column (``info={"renamed_values": {"old": "new"}}``; SQLAlchemy keeps no ``info`` on the
type) or from the ``enum_renames`` setting (``{"schema.type" = {"old" = "new"}}``; a type of the
default schema may be named alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from alembic_safe.autogenerate.enums.catalog import EnumKey

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

HINT = "renamed_values"


class DeclarationError(ValueError):
    """The model declares an enum two ways, or a rename hint has the wrong shape."""


@dataclass(frozen=True)
class RenameHint:
    """Renames of values asked for in one place."""

    renames: Mapping[str, str]
    #: where, for the migration's opt-out reason: ``info['renamed_values'] on claims.status``
    source: str


@dataclass
class DeclaredEnum:
    """An enum type as the model declares it."""

    schema: str
    name: str
    values: tuple[str, ...]
    #: alembic-safe creates, changes and drops it (no declaration says ``create_type=False``)
    managed: bool = True
    #: (schema, table, column) of the model columns of the type or of an array of it
    columns: list[tuple[str, str, str]] = field(default_factory=list)
    hints: list[RenameHint] = field(default_factory=list)

    @property
    def key(self) -> EnumKey:
        return (self.schema, self.name)

    def renames(self) -> dict[str, str]:
        """Every hinted rename (old value to new value)."""
        merged: dict[str, str] = {}
        for hint in self.hints:
            for old, new in hint.renames.items():
                if merged.get(old, new) != new:
                    raise DeclarationError(
                        f"enum {self.schema}.{self.name}: value {old!r} is renamed to both "
                        f"{merged[old]!r} and {new!r} (see {hint.source}): keep one")
                merged[old] = new
        return merged

    def sources(self, renames: Mapping[str, str]) -> list[str]:
        """The places that asked for ``renames``."""
        return [hint.source for hint in self.hints
                if any(renames.get(old) == new for old, new in hint.renames.items())]


def native_enum(type_: Any) -> tuple[sa.Enum, bool] | None:
    """The native enum a column type is, or holds as ``ARRAY`` items, and whether it is an
    array; None for any other type (and for an enum without a name, which PostgreSQL cannot
    create)."""
    array = isinstance(type_, sa.ARRAY)
    item = type_.item_type if array else type_
    if isinstance(item, sa.Enum) and item.native_enum and item.name:
        return item, array
    return None


def _hint(value: Any, source: str) -> RenameHint:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise DeclarationError(f"{source} must map each old value to its new value, e.g. "
                               f"{{\"open\": \"pending\"}}; got {value!r}")
    return RenameHint(dict(value), source)


def _columns(autogen_context: AutogenContext) -> Iterator[tuple[sa.Table, sa.Column[Any]]]:
    """The model's columns that autogenerate compares (its include_object filter passes)."""
    for table in autogen_context.sorted_tables:
        if not autogen_context.run_object_filters(table, table.name, "table", False, None):
            continue
        for column in table.columns:
            if autogen_context.run_object_filters(column, column.name, "column", False, None):
                yield table, column


def declared(autogen_context: AutogenContext, default_schema: str,
             settings_renames: Mapping[str, Mapping[str, str]]) -> dict[EnumKey, DeclaredEnum]:
    """Every native enum of the compared model, by (schema, name)."""
    found: dict[EnumKey, DeclaredEnum] = {}
    for table, column in _columns(autogen_context):
        typed = native_enum(column.type)
        if typed is None:
            continue
        enum, _ = typed
        key = (enum.schema or default_schema, str(enum.name))
        values = tuple(enum.enums)
        entry = found.get(key)
        where = f"{table.fullname}.{column.name}"
        if entry is None:
            entry = found[key] = DeclaredEnum(*key, values)
        elif entry.values != values:
            first = ".".join(entry.columns[0][1:]) if entry.columns else "another column"
            raise DeclarationError(
                f"enum {key[0]}.{key[1]} is declared with values {list(entry.values)} on "
                f"{first} and {list(values)} on {where}: declare it once and share it")
        entry.managed = entry.managed and bool(getattr(enum, "create_type", True))
        entry.columns.append((table.schema or default_schema, table.name, column.name))
        if HINT in column.info:
            entry.hints.append(_hint(column.info[HINT], f"info['{HINT}'] on {where}"))
    for name, renames in settings_renames.items():
        for entry in found.values():
            if name == f"{entry.schema}.{entry.name}" or (
                    name == entry.name and entry.schema == default_schema):
                entry.hints.append(_hint(renames, f"enum_renames['{name}'] in the settings"))
    return found
