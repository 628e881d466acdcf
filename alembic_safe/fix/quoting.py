"""The one place that quotes names and values, for SQL and for Python (op code)."""

from __future__ import annotations

from pglast.stream import maybe_double_quote_name
from sqlalchemy.sql.compiler import BIND_PARAMS, BIND_PARAMS_ESC

from alembic_safe.analysis.facts import Relation


def ident(name: str) -> str:
    """``name`` as a SQL identifier: double-quoted (quotes doubled) when it must be."""
    return str(maybe_double_quote_name(name))


def relation(rel: Relation) -> str:
    """A relation as SQL, schema-qualified when it was written so."""
    return f"{ident(rel.schema)}.{ident(rel.name)}" if rel.schema else ident(rel.name)


def literal(value: str) -> str:
    """``value`` as a SQL string literal (standard_conforming_strings: only quotes double)."""
    return "'" + value.replace("'", "''") + "'"


def dollar_quoted(body: str, tag: str = "alembic_safe") -> str:
    """``body`` between dollar quotes (``$tag$``, numbered until the body does not contain it),
    each on its own line."""
    quote, number = f"${tag}$", 0
    while quote in body:
        number += 1
        quote = f"${tag}_{number}$"
    return f"{quote}\n{body}\n{quote}"


def py(value: object) -> str:
    """``value`` (a str, bool, int, None, or a list/tuple of them) as Python source: strings in
    double quotes when that needs no escape, else ``repr``; always valid Python."""
    if isinstance(value, str):
        return f'"{value}"' if '"' not in value and "\\" not in value and value.isprintable() \
            else repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py(item) for item in value) + "]"
    return repr(value)


def for_text(sql: str) -> str:
    """``sql`` as SQLAlchemy's ``text()`` must be given it to run it unchanged: ``text()``
    reads ``:name`` as a bind parameter and ``\\:name`` as an escaped colon, even inside
    quoted names and literals, so both get one more backslash (found with SQLAlchemy's own
    patterns)."""
    for pattern in (BIND_PARAMS_ESC, BIND_PARAMS):
        sql = pattern.sub(lambda m: "\\" + m.group(0), sql)
    return sql
