"""Live catalog facts for the analyzer, read lazily from the migration's own connection.

The analyzer looks facts up by relation key (``schema.name``, or a bare name when the SQL did
not qualify it). :class:`LiveCatalog` reads a relation with one indexed catalog query the first
time a key is asked about, and keeps the answer for the rest of the migration; nothing is read
for keys nobody asks about. Validated single-column CHECK constraints are parsed by the analyzer
(pglast) to find ``CHECK (col IS NOT NULL)``, once per definition for the whole upgrade run.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AddConstraint, CatalogFacts, ColumnInfo, Relation
from alembic_safe.fix import quoting
from alembic_safe.runtime.driver import DriverConnection

# One relation: the key is split into (schema, name) candidates, '' as the schema of a bare
# name (resolved through search_path); to_regclass never raises for a missing relation.
_RELATION = """
SELECT n.nspname, c.relname, c.relkind::text, c.reltuples::bigint,
       cols.names, cols.types, cols.not_null, checks.definitions
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY a.attnum) AS names,
         array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS types,
         -- PostgreSQL 18 sets attnotnull for a NOT NULL constraint still NOT VALID too
         array_agg(a.attnotnull AND NOT EXISTS (
             SELECT FROM pg_constraint n WHERE n.conrelid = c.oid AND n.contype = 'n'
               AND NOT n.convalidated AND n.conkey[1] = a.attnum) ORDER BY a.attnum) AS not_null
  FROM pg_attribute a
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    AND c.relkind IN ('r', 'p')) AS cols
CROSS JOIN LATERAL (
  SELECT array_agg(pg_get_constraintdef(k.oid)) AS definitions
  FROM pg_constraint k
  WHERE k.conrelid = c.oid AND k.contype IN ('c', 'n') AND k.convalidated
    AND cardinality(k.conkey) = 1) AS checks
WHERE c.oid = ANY(ARRAY(
    SELECT to_regclass(CASE WHEN k.s = '' THEN quote_ident(k.r)
                            ELSE quote_ident(k.s) || '.' || quote_ident(k.r) END)
    FROM unnest(%s::text[], %s::text[]) AS k(s, r)))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%%'
"""

@dataclass(frozen=True)
class RelationFacts:
    """What the guard knows about one live relation."""

    schema: str  # pg_namespace.nspname
    name: str  # pg_class.relname
    kind: str  # pg_class.relkind
    #: pg_class.reltuples; -1 for a table never vacuumed/analyzed (size unknown, not zero)
    tuples: int
    columns: Mapping[str, ColumnInfo]
    not_null_checks: frozenset[str]


class NotNullChecks:
    """The column of a ``CHECK (col IS NOT NULL)`` or (PostgreSQL 18) ``NOT NULL col``
    definition (None for other constraints), parsed by the analyzer once per definition."""

    def __init__(self) -> None:
        self._parsed: dict[str, str | None] = {}

    def column(self, definition: str) -> str | None:
        if definition not in self._parsed:
            # the definition alone decides; the table name only makes the statement whole
            stmts = Analyzer().feed(f"ALTER TABLE alembic_safe_check ADD {definition}")
            found = [a.constraint.not_null_check_column for s in stmts for a in s.actions
                     if isinstance(a, AddConstraint)]
            self._parsed[definition] = next((c for c in found if c), None)
        return self._parsed[definition]


def _candidates(key: str) -> tuple[list[str], list[str]]:
    """(schemas, names) a key may stand for: every split at a dot, or ('', key) when bare."""
    splits = [(key[:i], key[i + 1:]) for i, char in enumerate(key) if char == "."]
    pairs = splits or [("", key)]
    return [schema for schema, _ in pairs], [name for _, name in pairs]


class LiveCatalog:
    """Relations read on first use through ``connection`` (the migration's, with the
    driver layer: no SQLAlchemy events, inside the migration's transaction) and kept."""

    def __init__(self, connection: DriverConnection, checks: NotNullChecks) -> None:
        self._connection = connection
        self._checks = checks
        self._read: dict[str, RelationFacts | None] = {}
        self._empty: dict[str, bool | None] = {}

    def relation(self, key: str) -> RelationFacts | None:
        """The live relation ``key`` names, or None when there is none."""
        if key not in self._read:
            self._read[key] = self._query(key)
        return self._read[key]

    def forget(self, key: str) -> None:
        """Read ``key`` again next time (a failed statement may have left it changed)."""
        self._read.pop(key, None)

    def _query(self, key: str) -> RelationFacts | None:
        schemas, names = _candidates(key)
        rows = self._connection.query(_RELATION, (schemas, names))
        for schema, name, kind, tuples, columns, types, not_null, definitions in rows:
            if "." in key and f"{schema}.{name}" != key:
                continue
            checks = (self._checks.column(d) for d in definitions or ())
            return RelationFacts(
                schema=schema, name=name, kind=kind, tuples=int(tuples),
                columns={column: ColumnInfo(type_name=type_name, not_null=bool(flag))
                         for column, type_name, flag in zip(
                             columns or (), types or (), not_null or (), strict=True)},
                not_null_checks=frozenset(c for c in checks if c is not None))
        return None

    def is_empty(self, key: str, lock_timeout_ms: int) -> bool | None:
        """Whether the table ``key`` holds no row at all, as this session sees it (its own
        uncommitted rows included); None when ``key`` is not a table. Asked once per key.

        ``pg_class.reltuples`` is an estimate (and -1 before the first ANALYZE), so this reads
        the table: ``SELECT 1`` stops at the first row. Reading takes ACCESS SHARE, which waits
        behind an ACCESS EXCLUSIVE holder: ``lock_timeout`` is set first, as for migration
        statements; a timeout raises the driver's lock-not-available error.
        """
        if key not in self._empty:
            relation = self.relation(key)
            if relation is None or relation.kind not in ("r", "p"):
                self._empty[key] = None
            else:
                table = quoting.relation(Relation(relation.name, relation.schema))
                self._connection.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
                rows = self._connection.query(f"SELECT NOT EXISTS (SELECT 1 FROM {table})",
                                              None)  # sent as it is: a % in a name stays
                self._empty[key] = bool(rows and rows[0][0])
        return self._empty[key]

    def row_count(self, key: str) -> int | None:
        """Approximate rows of a table; None when unknown (never analyzed) or not a table."""
        relation = self.relation(key)
        if relation is None or relation.kind not in ("r", "p") or relation.tuples < 0:
            return None
        return relation.tuples

    def facts(self) -> CatalogFacts:
        """The analyzer's view: mappings and a set that look keys up here."""
        # read-only views: they answer lookups (get, [], in) and refuse to be listed, which
        # would mean reading everything
        return CatalogFacts(
            columns=_Lookup(lambda key: _column(self.relation(key[0]), key[1])),
            validated_not_null_checks=_Lookup(lambda key: _checks(self.relation(key))),
            row_counts=_Lookup(self.row_count),
            existing_relations=_Existing(self),
        )


def _column(relation: RelationFacts | None, column: str) -> ColumnInfo | None:
    return relation.columns.get(column) if relation is not None else None


def _checks(relation: RelationFacts | None) -> frozenset[str] | None:
    return relation.not_null_checks if relation is not None and relation.not_null_checks else None


class _Unlisted:
    """Live facts are looked up one key at a time, never listed."""

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("live catalog facts can be looked up, not listed")

    def __len__(self) -> int:
        raise TypeError("live catalog facts can be looked up, not listed")


class _Lookup(_Unlisted, Mapping[Any, Any]):
    """A read-only mapping whose values come from ``find`` (None: no such key)."""

    def __init__(self, find: Callable[[Any], Any]) -> None:
        self._find = find

    def __getitem__(self, key: Any) -> Any:
        value = self._find(key)
        if value is None:
            raise KeyError(key)
        return value


class _Existing(Container[str]):
    """Qualified names of live relations. A bare name is never in it: ``CREATE`` puts a
    relation in the first schema of search_path, which its qualified key already names."""

    def __init__(self, live: LiveCatalog) -> None:
        self._live = live

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and "." in key and self._live.relation(key) is not None


def invalid_index_exists(connection: DriverConnection, name: str) -> bool:
    """Whether the index ``name`` (SQL text: quoted, schema-qualified where its table is; a
    bare name is looked up on the search_path) is INVALID."""
    rows = connection.query(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.oid = to_regclass(%s)", (name,))
    return bool(rows and rows[0][0])
