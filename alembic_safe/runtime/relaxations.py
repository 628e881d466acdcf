"""What the online guard allows because of what it sees on the real target.

Only the runtime guard relaxes findings: lint, ``alembic check`` and autogenerate do not see
the target and treat every table that exists before the migration as populated. A finding
an opt-out already allowed stays as it is; one whose rule fails whatever the data
(:attr:`Category.fails_regardless`, e.g. CREATE INDEX CONCURRENTLY in a transaction) is never
relaxed. Otherwise, first match wins:

1. a fresh install (the run started on a database with no revision and no table): allowed,
   without a line per finding (the run says so once);
2. a downgrade on a database that is not ``protected``: data-loss and compatibility findings
   on what the same revision's upgrade created;
3. findings whose harm grows with the rows (:attr:`Category.harmless_on_empty_tables`) on a
   statement whose tables all hold no row; then tables below ``small_table_rows``.

Tables created earlier in the run need no relaxation: the guard seeds the analyzer with them,
so they are new, as tables created earlier in the same migration are.
"""

from __future__ import annotations

from dataclasses import replace

from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    ConstraintDef,
    ConstraintKind,
    ModifyRows,
    Relation,
    StatementFacts,
)
from alembic_safe.analysis.names import qualified_key
from alembic_safe.config import Settings
from alembic_safe.findings import Finding, OptOut
from alembic_safe.rules import find_rule
from alembic_safe.rules.base import Category
from alembic_safe.runtime.catalog import LiveCatalog
from alembic_safe.runtime.created import CreatedObjects

#: OptOut.source of the guard's own relaxations (never written by users)
FRESH_INSTALL = "fresh install"
EMPTY_TABLE = "empty table"
UNPROTECTED = "unprotected downgrade"
SMALL_TABLE = "small_table_rows"
#: printed as "allowed: <reason>" (the others as "allowed by <source>: <reason>")
SELF_EXPLAINED = frozenset({EMPTY_TABLE, UNPROTECTED})
_UNDOABLE = (Category.DATA_LOSS, Category.COMPATIBILITY)
#: row writes that can put rows in an empty table
_FILLS = ("INSERT", "COPY", "MERGE")


class Relaxer:
    """Relaxes the findings of one pass over one revision's statements, in order."""

    def __init__(self, settings: Settings, catalog: LiveCatalog | None, schema: str, *,
                 fresh_install: bool = False, undone: CreatedObjects | None = None) -> None:
        self.settings = settings
        self.catalog = catalog
        self.schema = schema
        self.fresh_install = fresh_install
        self.undone = undone
        #: tables a statement of this pass wrote rows into: not known to be empty any more
        self._filled: set[str] = set()

    def relax(self, finding: Finding, stmt: StatementFacts) -> Finding:
        """``finding``, allowed when what the guard sees makes it harmless."""
        rule = find_rule(finding.rule)
        if finding.allowed_by is not None or rule is None or rule.category.fails_regardless:
            return finding
        if self.fresh_install:
            return _allowed(finding, FRESH_INSTALL, "nothing to protect yet")
        if self.undone is not None and rule.category in _UNDOABLE:
            created = self.undone.covering(stmt)
            if created is not None:
                return _allowed(finding, UNPROTECTED,
                                f"{created} was created by this revision's upgrade "
                                "(the database is not protected)")
        if rule.category.harmless_on_empty_tables and self.catalog is not None:
            return self._by_size(finding, stmt)
        return finding

    def observe(self, stmt: StatementFacts) -> None:
        """Take a checked statement into account (the rows it may add)."""
        for action in stmt.actions:
            if (isinstance(action, ModifyRows) and action.command in _FILLS
                    and action.table is not None):
                self._filled.add(qualified_key(action.table, self.schema))

    def _by_size(self, finding: Finding, stmt: StatementFacts) -> Finding:
        tables = tables_that_matter(stmt, self.schema)
        if not tables:
            return finding
        if all(self._is_empty(t) for t in tables):
            names = " and ".join(t.qualified for t in tables)
            verb = "has" if len(tables) == 1 else "have"
            return _allowed(finding, EMPTY_TABLE, f"{names} {verb} no rows")
        limit = self.settings.small_table_rows
        counts = [self._row_count(t) for t in tables]
        if limit <= 0 or any(c is None or c >= limit for c in counts):
            return finding
        largest = max(c for c in counts if c is not None)
        return _allowed(finding, SMALL_TABLE, f"small table ({largest} rows < {limit})")

    def _keys(self, table: Relation) -> tuple[str, str]:
        """Catalog keys of ``table``: in the default schema, then through search_path."""
        return qualified_key(table, self.schema), table.qualified

    def _is_empty(self, table: Relation) -> bool:
        assert self.catalog is not None
        if qualified_key(table, self.schema) in self._filled:
            return False
        for key in self._keys(table):
            empty = self.catalog.is_empty(key, self.settings.lock_timeout_ms)
            if empty is not None:
                return empty
        return False

    def _row_count(self, table: Relation) -> int | None:
        assert self.catalog is not None
        for key in self._keys(table):
            count = self.catalog.row_count(key)
            if count is not None:
                return count
        return None


def tables_that_matter(stmt: StatementFacts, schema: str) -> list[Relation]:
    """The existing tables whose rows make ``stmt`` slow: those it locks, except tables a
    foreign key only references (they are locked for the brief check of the rows of the
    table being altered)."""
    altered = {qualified_key(a.table, schema) for a in stmt.actions if a.table is not None}
    referenced = {qualified_key(c.references, schema) for a in stmt.actions
                  for c in _constraints(a)
                  if c.kind is ConstraintKind.FOREIGN_KEY and c.references is not None}
    seen: dict[str, Relation] = {}
    for lock in stmt.locks:
        key = qualified_key(lock.relation, schema)
        if not lock.is_new and (key in altered or key not in referenced):
            seen.setdefault(key, lock.relation)
    return list(seen.values())


def _constraints(action: object) -> tuple[ConstraintDef, ...]:
    if isinstance(action, AddConstraint):
        return (action.constraint,)
    if isinstance(action, AddColumn):
        return action.column.constraints
    return ()


def _allowed(finding: Finding, source: str, reason: str) -> Finding:
    return replace(finding, allowed_by=OptOut(finding.rule, reason, source))
