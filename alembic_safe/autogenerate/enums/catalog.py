"""The enums the database has, read from the catalog in one query for all of them.

For each enum type (extension members left out): its labels in ``enumsortorder`` order and
every column whose type is the enum or an array of it (tables, partitions, views, composite
types, indexes), with the column's default as PostgreSQL prints it. What else depends on a
type (functions, domains, constraints, views) is read only when a type is about to be swapped
or dropped (:func:`dependents`), again in one query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

EnumKey = tuple[str, str]
"""(schema, name) of an enum type, the schema always spelled out."""

#: relation kinds whose columns ALTER COLUMN ... TYPE converts: tables, partitioned tables,
#: foreign tables
CONVERTIBLE = frozenset("rpf")
#: an index's columns follow its table's: never a use of their own
_INDEX_KINDS = frozenset("iI")

_ENUMS = """
WITH enum_types AS (
    SELECT t.oid, n.nspname::text AS schema, t.typname::text AS name, t.typarray
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype = 'e' AND NOT EXISTS (
        SELECT FROM pg_depend x
        WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e')
), type_ids AS (
    SELECT oid AS type_id, oid AS enum_oid, false AS is_array FROM enum_types
    UNION ALL
    SELECT typarray, oid, true FROM enum_types WHERE typarray <> 0
), labels AS (
    SELECT e.enumtypid, json_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_enum e JOIN enum_types t ON t.oid = e.enumtypid
    GROUP BY e.enumtypid
), uses AS (
    SELECT ti.enum_oid, json_agg(json_build_array(
        cn.nspname::text, c.relname::text, c.relkind::text, a.attname::text, ti.is_array,
        a.attinhcount > 0, pg_get_expr(d.adbin, d.adrelid))
        ORDER BY cn.nspname, c.relname, a.attnum) AS columns
    FROM pg_attribute a
    JOIN type_ids ti ON a.atttypid = ti.type_id
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace cn ON cn.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    GROUP BY ti.enum_oid
)
SELECT t.oid, t.schema, t.name, coalesce(l.labels, '[]')::text, coalesce(u.columns, '[]')::text
FROM enum_types t
LEFT JOIN labels l ON l.enumtypid = t.oid
LEFT JOIN uses u ON u.enum_oid = t.oid
ORDER BY t.schema, t.name
"""

_DEPENDENTS = """
WITH type_ids AS (
    SELECT t.oid AS type_id, t.oid AS enum_oid FROM pg_type t
    WHERE t.oid = ANY(CAST(:oids AS oid[]))
    UNION ALL
    SELECT t.typarray, t.oid FROM pg_type t
    WHERE t.oid = ANY(CAST(:oids AS oid[])) AND t.typarray <> 0
)
SELECT ti.enum_oid, CASE WHEN d.classid = 'pg_rewrite'::regclass
    THEN pg_describe_object('pg_class'::regclass,
                            (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid), 0)
    ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END
FROM type_ids ti
JOIN pg_depend d ON d.refclassid = 'pg_type'::regclass AND d.refobjid = ti.type_id
WHERE d.deptype = 'n'
  AND d.classid <> 'pg_attrdef'::regclass
  AND NOT (d.classid = 'pg_class'::regclass AND d.objsubid > 0)
UNION
SELECT ti.enum_oid, pg_describe_object('pg_class'::regclass, r.ev_class, 0)
FROM type_ids ti
JOIN pg_attribute a ON a.atttypid = ti.type_id AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid
    AND d.refobjsubid = a.attnum AND d.classid = 'pg_rewrite'::regclass
JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> a.attrelid
ORDER BY 1, 2
"""


@dataclass(frozen=True)
class EnumColumn:
    """A column whose type is an enum (or an array of it)."""

    schema: str
    table: str
    #: pg_class.relkind of the relation: r (table), p (partitioned), f (foreign), v (view),
    #: m (materialized view), c (composite type)
    kind: str
    name: str
    array: bool
    #: inherited from a parent (a partition's or child table's column): converted with it
    inherited: bool
    #: the default as pg_get_expr prints it, e.g. ``'new'::claim_status``
    default: str | None

    @property
    def convertible(self) -> bool:
        """``ALTER TABLE ... ALTER COLUMN ... TYPE`` converts it (its parent's does when it
        is inherited)."""
        return self.kind in CONVERTIBLE

    @property
    def described(self) -> str:
        kinds = {"v": "view", "m": "materialized view", "c": "composite type"}
        return f"column {self.name} of {kinds.get(self.kind, 'table')} {self.schema}.{self.table}"


@dataclass(frozen=True)
class DatabaseEnum:
    """An enum type as the database has it."""

    oid: int
    schema: str
    name: str
    values: tuple[str, ...]
    #: every column of the type or of an array of it (index columns left out)
    columns: tuple[EnumColumn, ...]

    @property
    def key(self) -> EnumKey:
        return (self.schema, self.name)


def read(connection: Connection) -> dict[EnumKey, DatabaseEnum]:
    """Every enum of the database (extension members left out), in one query."""
    found: dict[EnumKey, DatabaseEnum] = {}
    for oid, schema, name, labels, columns in connection.execute(sa.text(_ENUMS)):
        used = tuple(EnumColumn(*row) for row in json.loads(columns)
                     if row[2] not in _INDEX_KINDS)
        found[(schema, name)] = DatabaseEnum(int(oid), schema, name,
                                             tuple(json.loads(labels)), used)
    return found


def dependents(connection: Connection, enums: Iterable[DatabaseEnum]
               ) -> Mapping[EnumKey, tuple[str, ...]]:
    """What depends on each enum besides table columns and their defaults, as PostgreSQL
    describes it (``function f(claim_status)``, ``view claims_open``, ``type
    claim_status_domain``, ``constraint c on table t``, ``index ix``), including views and
    rules that read a column of the type; one query for all of them."""
    by_oid = {enum.oid: enum.key for enum in enums}
    if not by_oid:
        return {}
    out: dict[EnumKey, list[str]] = {key: [] for key in by_oid.values()}
    rows: Any = connection.execute(sa.text(_DEPENDENTS), {"oids": list(by_oid)})
    for oid, described in rows:
        out[by_oid[int(oid)]].append(str(described))
    return {key: tuple(found) for key, found in out.items()}
