"""What already exists in the live catalog, for re-runs: indexes, constraints, enum labels.

Every query goes through :func:`rows` on the migration's DB-API connection (as
:mod:`alembic_safe.runtime.catalog` does), outside SQLAlchemy's events, so the guard never
sees its own queries. :func:`normalised` lets PostgreSQL print a statement's definition the
way it stores it: it runs the statement on an empty temporary copy of the table inside a
savepoint (or a transaction of its own in an autocommit block) that is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alembic_safe.analysis.facts import Relation
from alembic_safe.runtime.driver import DriverConnection

SCRATCH = "alembic_safe_probe"  # the temporary table, and the probed object's name
_DEFAULT_TABLESPACE = ("(SELECT t.spcname FROM pg_tablespace t JOIN pg_database d "
                       "ON d.dattablespace = t.oid WHERE d.datname = current_database())")

_INDEX = f"""
SELECT t.oid, r.relkind::text, i.indisvalid, i.indrelid = t.oid,
       CASE WHEN r.relkind IN ('i', 'I') THEN pg_get_indexdef(r.oid) END,
       coalesce(s.spcname, {_DEFAULT_TABLESPACE}),
       CASE WHEN %s THEN ARRAY(
         SELECT k.conname::text FROM pg_constraint k
         WHERE k.conrelid = t.oid AND k.contype IN ('p', 'u') ORDER BY k.conname) END,
       CASE WHEN %s THEN ARRAY(
         SELECT pg_get_indexdef(k.conindid) FROM pg_constraint k
         WHERE k.conrelid = t.oid AND k.contype IN ('p', 'u') ORDER BY k.conname) END
FROM pg_class t
LEFT JOIN pg_class r ON r.relnamespace = t.relnamespace AND r.relname = %s
LEFT JOIN pg_index i ON i.indexrelid = r.oid
LEFT JOIN pg_tablespace s ON s.oid = r.reltablespace
WHERE t.oid = to_regclass(%s)
"""
_CONSTRAINT = """
SELECT t.oid, k.contype::text, k.convalidated, pg_get_constraintdef(k.oid),
       CASE WHEN k.contype IN ('p', 'u', 'x') THEN x.relname::text END,
       CASE WHEN k.contype IN ('p', 'u', 'x') THEN x.reloptions END, k.confrelid,
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(n, o)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
             ORDER BY u.o)
FROM pg_class t
LEFT JOIN pg_constraint k ON k.conrelid = t.oid AND k.conname = %s
LEFT JOIN pg_class x ON x.oid = k.conindid
WHERE t.oid = to_regclass(%s)
"""
_PRIMARY_KEY = """
SELECT c.oid, ARRAY(
  SELECT a.attname::text
  FROM pg_constraint k CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(n, o)
  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
  WHERE k.conrelid = c.oid AND k.contype = 'p' ORDER BY u.o)
FROM pg_class c WHERE c.oid = to_regclass(%s)
"""
_SIBLING = """
SELECT r.relkind::text FROM pg_class t JOIN pg_class r
  ON r.relnamespace = t.relnamespace AND r.relname = %s
WHERE t.oid = %s
"""
_ENUM = """
SELECT ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder)
FROM (SELECT to_regtype(%s) AS oid) AS t WHERE t.oid IS NOT NULL
"""


def rows(connection: DriverConnection, query: str,
         parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run ``query`` on the migration's DB-API connection; its rows (none for a command).

    The one place re-run checks talk to the database. Without ``parameters`` the query is
    sent as it is (a ``%`` in it is not a placeholder)."""
    return connection.query(query, parameters)


def quoted(relation: Relation) -> str:
    """The relation's name as SQL text (``"schema"."name"``), for to_regclass/to_regtype."""
    parts = [relation.schema, relation.name] if relation.schema else [relation.name]
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


@dataclass(frozen=True)
class NameInSchema:
    """A CREATE INDEX's table, and what holds the index's name in the table's schema."""

    table_oid: int
    #: pg_class.relkind of the relation holding the name; None when the name is free
    kind: str | None
    valid: bool
    #: the existing index is on this table
    on_table: bool
    definition: str | None  # pg_get_indexdef
    tablespace: str | None  # the index's tablespace (the database's default when 0)
    #: the table's UNIQUE / PRIMARY KEY constraints and their indexes' definitions
    #: (asked for CREATE UNIQUE INDEX only)
    constraint_indexes: tuple[tuple[str, str], ...]


def index_name(connection: DriverConnection, table: Relation, name: str,
               constraints: bool) -> NameInSchema | None:
    """What holds ``name`` in ``table``'s schema; None when the table does not exist."""
    found = rows(connection, _INDEX, (constraints, constraints, name, quoted(table)))
    if not found:
        return None
    oid, kind, valid, on_table, definition, tablespace, names, definitions = found[0]
    return NameInSchema(int(oid), kind, bool(valid), bool(on_table), definition, tablespace,
                        tuple(zip(names or (), definitions or (), strict=True)))


@dataclass(frozen=True)
class ExistingConstraint:
    kind: str  # pg_constraint.contype
    validated: bool
    definition: str  # pg_get_constraintdef
    index: str | None  # the index of a PRIMARY KEY / UNIQUE / EXCLUDE constraint
    storage: tuple[str, ...]  # that index's storage parameters (reloptions), sorted
    referenced_oid: int  # FOREIGN KEY: the referenced table (0 otherwise)
    referenced_columns: tuple[str, ...]


def constraint(connection: DriverConnection, table: Relation,
               name: str) -> tuple[int, ExistingConstraint | None] | None:
    """The table's oid and its constraint ``name`` (None when it has none); None when the
    table does not exist."""
    found = rows(connection, _CONSTRAINT, (name, quoted(table)))
    if not found:
        return None
    oid, kind, validated, definition, index, storage, referenced, columns = found[0]
    if kind is None:
        return int(oid), None
    return int(oid), ExistingConstraint(kind, bool(validated), definition, index,
                                        tuple(sorted(storage or ())), int(referenced or 0),
                                        tuple(columns or ()))


def primary_key(connection: DriverConnection,
                table: Relation) -> tuple[int, tuple[str, ...]] | None:
    """A referenced table's oid and primary key columns; None when it does not exist."""
    found = rows(connection, _PRIMARY_KEY, (quoted(table),))
    return (int(found[0][0]), tuple(found[0][1] or ())) if found else None


def sibling_kind(connection: DriverConnection, table_oid: int, name: str) -> str | None:
    """The relkind of the relation called ``name`` in the table's schema, if any."""
    found = rows(connection, _SIBLING, (name, table_oid))
    return str(found[0][0]) if found else None


def enum_labels(connection: DriverConnection, enum: Relation) -> list[str] | None:
    """The enum's labels in sort order; None when there is no such type."""
    found = rows(connection, _ENUM, (quoted(enum),))
    return list(found[0][0] or ()) if found else None


def normalised(connection: DriverConnection, in_transaction: bool, table_oid: int, statement: str,
               describe: str) -> str:
    """What PostgreSQL prints (``describe``, a query of one value) after running
    ``statement`` on :data:`SCRATCH`, an empty temporary copy of the table.

    Rolled back whatever happens. Raises the driver's error when PostgreSQL refuses it."""
    table = rows(connection, "SELECT %s::oid::regclass::text", (table_oid,))[0][0]
    rows(connection, f"SAVEPOINT {SCRATCH}" if in_transaction else "BEGIN")
    try:
        rows(connection, f"CREATE TEMPORARY TABLE {SCRATCH} (LIKE {table})")
        rows(connection, statement)
        return str(rows(connection, describe)[0][0])
    finally:
        if in_transaction:
            rows(connection, f"ROLLBACK TO SAVEPOINT {SCRATCH}")
            rows(connection, f"RELEASE SAVEPOINT {SCRATCH}")
        else:
            rows(connection, "ROLLBACK")


#: the index a probe built, as PostgreSQL prints it
DESCRIBE_INDEX = f"SELECT pg_get_indexdef('pg_temp.{SCRATCH}_index'::regclass)"
#: the constraint a probe added, as PostgreSQL prints it
DESCRIBE_CONSTRAINT = (f"SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                       f"WHERE conrelid = 'pg_temp.{SCRATCH}'::regclass AND conname = "
                       f"'{SCRATCH}_constraint'")
