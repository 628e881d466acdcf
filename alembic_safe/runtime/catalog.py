"""Live catalog facts for the analyzer, read from the migration's own connection."""

from __future__ import annotations

from typing import Any

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AddConstraint, CatalogFacts, ColumnInfo

_COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""
_RELATIONS = """
SELECT n.nspname, c.relname, c.reltuples::bigint, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""

_CHECKS = """
SELECT n.nspname, c.relname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'c' AND k.convalidated
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""


def _not_null_checks(rows: list[tuple[str, str, str]]) -> dict[str, frozenset[str]]:
    """Columns with a validated ``CHECK (col IS NOT NULL)``, read by the analyzer (pglast)."""
    found: dict[str, set[str]] = {}
    for schema, table, definition in rows:
        target = ".".join('"' + name.replace('"', '""') + '"' for name in (schema, table))
        for stmt in Analyzer().feed(f"ALTER TABLE {target} ADD {definition}"):
            for action in stmt.actions:
                if isinstance(action, AddConstraint) and action.constraint.not_null_check_column:
                    found.setdefault(f"{schema}.{table}", set()).add(
                        action.constraint.not_null_check_column)
    return {table: frozenset(columns) for table, columns in found.items()}


def read_catalog(cursor: Any) -> CatalogFacts:
    """Columns (format_type), validated NOT NULL checks, approximate row counts and
    existing relations."""
    cursor.execute(_COLUMNS)
    columns = {
        (f"{schema}.{table}", column): ColumnInfo(type_name=type_name, not_null=bool(not_null))
        for schema, table, column, type_name, not_null in cursor.fetchall()
    }
    cursor.execute(_RELATIONS)
    rows = cursor.fetchall()
    relations = frozenset(f"{schema}.{name}" for schema, name, _, _ in rows)
    # reltuples is -1 for a table never vacuumed/analyzed: its size is unknown, not zero
    counts = {f"{schema}.{name}": int(tuples)
              for schema, name, tuples, kind in rows if kind in ("r", "p") and tuples >= 0}
    cursor.execute(_CHECKS)
    checks = _not_null_checks(cursor.fetchall())
    return CatalogFacts(columns=columns, validated_not_null_checks=checks, row_counts=counts,
                        existing_relations=relations)


def server_version(cursor: Any) -> int:
    """The server's major version (``server_version_num`` // 10000)."""
    cursor.execute("SHOW server_version_num")
    return int(cursor.fetchone()[0]) // 10000


def invalid_index_exists(cursor: Any, name: str) -> bool:
    """Whether an index called ``name`` (visible on the search_path) is INVALID."""
    cursor.execute(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.oid = to_regclass(%s)", (name,))
    row = cursor.fetchone()
    return bool(row and row[0])
