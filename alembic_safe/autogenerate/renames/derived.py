"""Names derived from a table's or a column's name, before and after a rename.

An index or a constraint of the model is named by the metadata's naming convention
(``ix_%(column_0_label)s``, ``fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s``,
``pk_%(table_name)s``...), by PostgreSQL when the model leaves it unnamed (``users_pkey``,
``users_email_key``, ``orders_user_id_fkey``, ``users_email_check``), or by hand. Its name
*before* the rename is what the same rule gives with the old names: SQLAlchemy applies the
convention to a stand-in of the object on a stand-in of the old table, so every token means
what it means to SQLAlchemy. A hand-given name derives from nothing and stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from alembic_safe.autogenerate.keys import referenced_columns
from alembic_safe.autogenerate.renames.mapping import Renames
from alembic_safe.fix import names

#: stands for the ``%(constraint_name)s`` token (a name never holds a NUL)
_MARK = "\x00constraint_name\x00"
_PREFIXES = ((sa.Index, "ix"), (sa.PrimaryKeyConstraint, "pk"), (sa.UniqueConstraint, "uq"),
             (sa.ForeignKeyConstraint, "fk"), (sa.CheckConstraint, "ck"))
Named = sa.Index | sa.Constraint


@dataclass(frozen=True)
class Shape:
    """What a name can be derived from: the table, the object's columns, what it refers to."""

    schema: str | None
    table: str
    columns: tuple[str, ...]
    referred: tuple[str | None, str, tuple[str, ...]] | None = None


def _convention(metadata: sa.MetaData, obj: Named) -> Any:
    conventions: dict[Any, Any] = dict(metadata.naming_convention)
    for kind in type(obj).__mro__:
        if kind in conventions:
            return conventions[kind]
        prefix = next((p for k, p in _PREFIXES if k is kind), None)
        if prefix is not None and prefix in conventions:
            return conventions[prefix]
    return None


def _stand_in(obj: Named, shape: Shape, metadata: sa.MetaData) -> str | None:
    """The name SQLAlchemy gives a copy of ``obj`` of this shape (the constraint_name token
    as :data:`_MARK`); None when the convention names nothing, or fails on the copy."""
    convention = _convention(metadata, obj)
    if convention is None:
        return None
    stub = sa.MetaData(naming_convention=metadata.naming_convention)
    wanted = dict.fromkeys(shape.columns)
    if shape.referred is not None and shape.referred[:2] == (shape.schema, shape.table):
        wanted.update(dict.fromkeys(shape.referred[2]))
    table = sa.Table(shape.table, stub, *[sa.Column(c, sa.Integer) for c in wanted],
                     schema=shape.schema)
    name = _MARK if isinstance(convention, str) and "constraint_name" in convention else None
    try:
        copy: Named
        if isinstance(obj, sa.Index):
            copy = sa.Index(name, *[table.c[c] for c in shape.columns])  # joins the table
        else:
            copy = _constraint_copy(obj, shape, table, name)
            table.append_constraint(copy)
    except Exception:  # a convention with callables or tokens the stand-in cannot give
        return None
    return str(copy.name) if copy.name is not None else None


def _constraint_copy(obj: Named, shape: Shape, table: sa.Table, name: str | None
                     ) -> sa.Constraint:
    if isinstance(obj, sa.PrimaryKeyConstraint):
        return sa.PrimaryKeyConstraint(*shape.columns, name=name)
    if isinstance(obj, sa.UniqueConstraint):
        return sa.UniqueConstraint(*shape.columns, name=name)
    if isinstance(obj, sa.ForeignKeyConstraint) and shape.referred is not None:
        schema, referred_name, referred_columns = shape.referred
        referred = table if (schema, referred_name) == (shape.schema, shape.table) else \
            sa.Table(referred_name, table.metadata,
                     *[sa.Column(c, sa.Integer) for c in referred_columns], schema=schema)
        return sa.ForeignKeyConstraint(list(shape.columns),
                                       [referred.c[c] for c in referred_columns], name=name)
    if isinstance(obj, sa.CheckConstraint):
        condition = sa.and_(sa.true(), *[table.c[c].is_not(None) for c in shape.columns])
        return sa.CheckConstraint(condition, name=name)
    raise TypeError(f"no stand-in for {type(obj).__name__}")


def postgres_name(obj: Named, shape: Shape) -> str | None:
    """The name PostgreSQL gives ``obj`` when the statement leaves it unnamed."""
    if isinstance(obj, sa.PrimaryKeyConstraint):
        return names.constraint_name(shape.table, (), "pkey")
    if isinstance(obj, sa.UniqueConstraint):
        return names.constraint_name(shape.table, shape.columns, "key")
    if isinstance(obj, sa.ForeignKeyConstraint):
        return names.constraint_name(shape.table, shape.columns, "fkey")
    if isinstance(obj, sa.CheckConstraint):
        single = shape.columns if len(shape.columns) == 1 else ()
        return names.object_name(shape.table, single[0] if single else None, "check")
    if isinstance(obj, sa.Index):
        return names.index_name(shape.table, shape.columns)
    return None


class Derivation:
    """The names of one model object under the new names (the model's) and the old ones."""

    def __init__(self, renames: Renames) -> None:
        self.renames = renames

    def shapes(self, obj: Named, table: sa.Table, schema: str | None) -> tuple[Shape, Shape]:
        """(new, old) shapes of a model object of ``table`` (``schema``: the migration's)."""
        columns = _columns(obj)
        referred = _referred(obj)
        old_table = self.renames.old_table(schema, table.name)
        new = Shape(table.schema, table.name, columns, referred)
        old_referred = None
        if referred is not None:
            r_schema, r_table, r_columns = referred
            r_old = self.renames.old_table(r_schema, r_table)
            old_referred = (r_schema, r_old, tuple(
                self.renames.old_column(r_schema, r_table, c) for c in r_columns))
        old = Shape(table.schema, old_table,
                    tuple(self.renames.old_column(schema, table.name, c) for c in columns),
                    old_referred)
        return new, old

    def names(self, obj: Named, table: sa.Table, schema: str | None) -> tuple[str, str] | None:
        """(name now, name before the renames); None when the object has no name to give."""
        new_shape, old_shape = self.shapes(obj, table, schema)
        given = obj.name if isinstance(obj.name, str) else None
        if given is None:
            new, old = postgres_name(obj, new_shape), postgres_name(obj, old_shape)
            return (new, old) if new is not None and old is not None else None
        ruled = _stand_in(obj, new_shape, table.metadata)
        if ruled is None:
            return given, given
        if _MARK in ruled:
            token = _token(ruled, given)
            before = _stand_in(obj, old_shape, table.metadata)
            if token is None or before is None:
                return given, given
            return given, before.replace(_MARK, token)
        if ruled != given:
            return given, given
        before = _stand_in(obj, old_shape, table.metadata)
        return given, before if before is not None else given


def _token(template: str, name: str) -> str | None:
    prefix, _, suffix = template.partition(_MARK)
    if len(name) >= len(prefix) + len(suffix) and name.startswith(prefix) \
            and name.endswith(suffix):
        return name[len(prefix):len(name) - len(suffix)]
    return None


def _columns(obj: Named) -> tuple[str, ...]:
    if isinstance(obj, sa.CheckConstraint):
        found = tuple(column.name for column in obj.columns)
        if found:
            return found
        return referenced_columns(f"SELECT {obj.sqltext}")
    if isinstance(obj, (sa.Index, ColumnCollectionConstraint)):
        return tuple(column.name for column in obj.columns)
    return ()


def _referred(obj: Named) -> tuple[str | None, str, tuple[str, ...]] | None:
    if not isinstance(obj, sa.ForeignKeyConstraint) or not obj.elements:
        return None
    try:
        columns = [element.column for element in obj.elements]
    except sa.exc.NoReferencedTableError:
        return None
    table = columns[0].table
    if not isinstance(table, sa.Table):
        return None
    return (table.schema, table.name, tuple(column.name for column in columns))


def model_objects(table: sa.Table) -> Sequence[Named]:
    """The named objects of a model table: indexes and constraints."""
    return [*table.indexes, *table.constraints]
