"""What makes a dropped column (table) and an added one a probable rename.

A column pair is probable when the added column takes every value the dropped one holds
without a table rewrite: the same type (as Alembic compares types) or a change PostgreSQL makes
without rewriting (``varchar(20)`` to ``text``, a wider ``numeric``...), and the same
nullability or NOT NULL relaxed; neither is a generated column. A table pair is probable when
the two have the same columns: the same names, each of the same type and nullability.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from pglast.parser import ParseError
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError, UnsupportedCompilationError

from alembic_safe.analysis import names, tree
from alembic_safe.analysis.coercion import rewrite_free

Columns = list[sa.Column[Any]]


def canonical_type(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> str | None:
    """The type as PostgreSQL's ``format_type()`` prints it; None when it cannot be told."""
    try:
        sql = type_.compile(dialect=dialect)
        parsed = tree.parse(f"SELECT NULL::{sql}")
    except (CompileError, UnsupportedCompilationError, ParseError):
        return None
    for tag, node in tree.walk(parsed[0][:2]):
        if tag == "TypeName":
            return names.type_name(node)[0]
    return None


def same_type(impl: DefaultImpl, conn: sa.Column[Any], model: sa.Column[Any]) -> bool:
    """Alembic sees no type change between the database's column and the model's."""
    return not impl.compare_type(conn, model)


def compatible(impl: DefaultImpl, conn: sa.Column[Any], model: sa.Column[Any]) -> bool:
    """``model`` can be ``conn`` renamed, with every value kept and no table rewrite."""
    if conn.computed is not None or model.computed is not None:
        return False
    if not (model.nullable or not conn.nullable):
        return False
    if same_type(impl, conn, model):
        return True
    old = canonical_type(conn.type, impl.dialect)
    new = canonical_type(model.type, impl.dialect)
    return old is not None and new is not None and rewrite_free(old, new)


def same_columns(impl: DefaultImpl, conn: Columns, model: Columns) -> bool:
    """Both tables have the same columns: names, types, nullability."""
    by_name = {column.name: column for column in conn}
    if not model or set(by_name) != {column.name for column in model}:
        return False
    return all(same_type(impl, by_name[column.name], column)
               and by_name[column.name].nullable == column.nullable for column in model)
