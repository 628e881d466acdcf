"""What a statement handler reports, and what it may ask about earlier statements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from alembic_safe.analysis.facts import (
    Action,
    AnalysisContext,
    ConstraintDef,
    LockMode,
    Relation,
)
from alembic_safe.analysis.plpgsql import Item
from alembic_safe.analysis.schema import Routine


@dataclass(frozen=True)
class Body:
    """Code a statement runs whose SQL the analyzer reads: a DO block's, a called function's."""

    within: str  # "DO block", "function migrate()"
    items: tuple[Item, ...]


@dataclass
class Draft:
    """Facts of one statement under construction (``is_new`` is filled in afterwards)."""

    kind: str
    actions: list[Action] = field(default_factory=list)
    locks: dict[Relation, LockMode] = field(default_factory=dict)
    rewrites: list[Relation] = field(default_factory=list)
    scans: list[Relation] = field(default_factory=list)
    validates_constraint: bool = False
    requires_no_transaction: bool = False
    destroys_data: bool = False
    breaks_running_code: bool = False
    #: relations this statement creates / drops / renames (old, new)
    creates: list[Relation] = field(default_factory=list)
    #: IF NOT EXISTS / OR REPLACE: what ``creates`` names may already exist (else PostgreSQL
    #: refuses the statement, so a created relation is new without asking the catalog)
    may_exist: bool = False
    drops: list[Relation] = field(default_factory=list)
    renames: list[tuple[Relation, Relation]] = field(default_factory=list)
    #: functions and procedures this statement creates (or replaces) and drops
    defines: list[tuple[Relation, Routine]] = field(default_factory=list)
    undefines: list[Relation] = field(default_factory=list)
    #: code the statement runs (a DO block, a called function), analyzed after it
    bodies: list[Body] = field(default_factory=list)

    def lock(self, relation: Relation, mode: LockMode) -> None:
        """Record a lock; a relation locked twice keeps the stronger mode."""
        current = self.locks.get(relation)
        if current is None or mode > current:
            self.locks[relation] = mode

    def lock_all(self, relations: Iterable[Relation], mode: LockMode) -> None:
        for relation in relations:
            self.lock(relation, mode)

    def rewrite(self, relation: Relation) -> None:
        if relation not in self.rewrites:
            self.rewrites.append(relation)

    def scan(self, relation: Relation) -> None:
        if relation not in self.scans:
            self.scans.append(relation)


class Scope(Protocol):
    """Read access to the analysis context and to what earlier statements did."""

    @property
    def context(self) -> AnalysisContext: ...

    def column_type(self, table: Relation, column: str) -> str | None:
        """The column's type before this statement (catalog, or declared earlier)."""

    def has_validated_not_null_check(self, table: Relation, column: str) -> bool:
        """A validated CHECK (column IS NOT NULL) exists (catalog, or earlier statements)."""

    def constraint(self, table: Relation, name: str) -> ConstraintDef | None:
        """A constraint added earlier, by table and name."""

    def index_table(self, index: Relation) -> Relation | None:
        """The table of an index created earlier."""

    def referenced(self, table: Relation, columns: Iterable[str] | None = None
                   ) -> list[Relation]:
        """Tables that foreign keys of ``table`` declared earlier reference (those on
        ``columns``, when given)."""

    def referencing(self, table: Relation, columns: Iterable[str] | None = None
                    ) -> list[Relation]:
        """Tables whose foreign keys declared earlier reference ``table`` (its ``columns``,
        when given)."""

    def routine(self, name: Relation) -> Routine | None:
        """A function or procedure created earlier."""
