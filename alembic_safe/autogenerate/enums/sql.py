"""The SQL of alembic-safe's enum operations. Every name and value goes through
:mod:`alembic_safe.fix.quoting`: a value holding a quote or a backslash stays one value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alembic_safe.analysis.facts import Relation
from alembic_safe.fix.model import AddEnumValue
from alembic_safe.fix.quoting import ident, literal, relation
from alembic_safe.fix.sql import statement


def type_name(name: str, schema: str | None, *, array: bool = False) -> str:
    """The type as SQL (``schema.name``, ``name[]``)."""
    return relation(Relation(name, schema)) + ("[]" if array else "")


def create_type(name: str, values: Sequence[str], schema: str | None) -> str:
    labels = ", ".join(literal(value) for value in values)
    return f"CREATE TYPE {type_name(name, schema)} AS ENUM ({labels})"


def drop_type(name: str, schema: str | None) -> str:
    return f"DROP TYPE {type_name(name, schema)}"


def add_value(name: str, value: str, schema: str | None, *, before: str | None = None,
              after: str | None = None) -> str:
    """``ADD VALUE IF NOT EXISTS``: a second run after a failure passes over it (the SQL of
    the fix step, :class:`~alembic_safe.fix.model.AddEnumValue`)."""
    return statement(AddEnumValue(Relation(name, schema), value, before=before, after=after))


def rename_value(name: str, old: str, new: str, schema: str | None) -> str:
    return f"ALTER TYPE {type_name(name, schema)} RENAME VALUE {literal(old)} TO {literal(new)}"


def rename_type(name: str, new_name: str, schema: str | None) -> str:
    return f"ALTER TYPE {type_name(name, schema)} RENAME TO {ident(new_name)}"


@dataclass(frozen=True)
class Conversion:
    """One column of a conversion to another enum type."""

    column: str
    array: bool = False
    #: the string its constant default casts, set again on the new type
    default: str | None = None


def convert_columns(table: str, schema: str | None, columns: Sequence[Conversion],
                    type_: str, *, type_schema: str | None) -> str:
    """One ``ALTER TABLE`` (one rewrite) moving the columns to the enum ``type_`` through
    their text; a constant default is dropped first and set again on the new type, as
    PostgreSQL's ALTER TABLE documentation does for a default that cannot be cast."""
    actions = []
    for conversion in columns:
        col = ident(conversion.column)
        new_type = type_name(type_, type_schema, array=conversion.array)
        text = "text[]" if conversion.array else "text"
        if conversion.default is not None:
            actions.append(f"ALTER COLUMN {col} DROP DEFAULT")
        actions.append(f"ALTER COLUMN {col} TYPE {new_type} USING {col}::{text}::{new_type}")
        if conversion.default is not None:
            actions.append(f"ALTER COLUMN {col} SET DEFAULT {literal(conversion.default)}::"
                           f"{new_type}")
    return f"ALTER TABLE {relation(Relation(table, schema))} " + ", ".join(actions)
