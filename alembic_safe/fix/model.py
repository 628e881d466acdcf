"""A rule's safe way as data: the steps to run instead of the flagged statement, in order.

A :class:`Fix` is what every front end renders: lint, the runtime guard and ``alembic check``
show it as SQL (:func:`alembic_safe.fix.sql.render`) and as Alembic op code
(:func:`alembic_safe.fix.ops.render`); autogenerate turns it into migration operations. No front
end spells a safe form itself, so they cannot disagree.

Each step says whether it runs inside the migration's transaction (``transactional``) or outside
any transaction block (a concurrent build, a validation in its own transaction, a batched
backfill, a pre-flight check), which Alembic puts in ``op.get_context().autocommit_block()``.
SQL fragments a step carries (an index definition, a CHECK expression, a column type) come from
the analyzer's deparsed parse tree, never from the user's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from alembic_safe.analysis.facts import Relation


@dataclass(frozen=True)
class Step:
    """One statement of a safe way."""

    #: runs inside the migration's transaction (False: outside any transaction block)
    transactional: ClassVar[bool] = True


@dataclass(frozen=True)
class BuildIndex(Step):
    """``CREATE [UNIQUE] INDEX CONCURRENTLY``: writes go on while it builds."""

    transactional: ClassVar[bool] = False
    table: Relation
    name: str
    #: plain column names; empty when ``definition`` says more (expressions, method, INCLUDE)
    columns: tuple[str, ...] = ()
    unique: bool = False
    #: the deparsed SQL after ``ON table`` when it is not a plain column list
    definition: str | None = None
    #: the deparsed WHERE predicate of a partial index (with ``columns``)
    where: str | None = None


@dataclass(frozen=True)
class DropIndex(Step):
    """``DROP INDEX CONCURRENTLY``: no ACCESS EXCLUSIVE lock on the table."""

    transactional: ClassVar[bool] = False
    index: Relation
    table: Relation | None = None
    if_exists: bool = False


@dataclass(frozen=True)
class RebuildIndex(Step):
    """``REINDEX INDEX|TABLE CONCURRENTLY``."""

    transactional: ClassVar[bool] = False
    target: Relation
    kind: str = "INDEX"  # "INDEX" or "TABLE"


class ConstraintType(Enum):
    UNIQUE = "UNIQUE"
    PRIMARY_KEY = "PRIMARY KEY"
    FOREIGN_KEY = "FOREIGN KEY"
    CHECK = "CHECK"
    NOT_NULL = "NOT NULL"  # PostgreSQL 18: ADD CONSTRAINT n NOT NULL col [NOT VALID]


@dataclass(frozen=True)
class AddConstraint(Step):
    """``ALTER TABLE ... ADD CONSTRAINT name ...``, ``NOT VALID`` or ``USING INDEX``."""

    table: Relation
    name: str
    type: ConstraintType
    columns: tuple[str, ...] = ()
    #: FOREIGN KEY: the referenced table and columns
    references: Relation | None = None
    referenced_columns: tuple[str, ...] = ()
    #: FOREIGN KEY: the referential actions as SQL words (``CASCADE``, ``SET NULL`` ...)
    on_delete: str | None = None
    on_update: str | None = None
    #: FOREIGN KEY: MATCH FULL; DEFERRABLE [INITIALLY DEFERRED]
    match_full: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    #: CHECK: the deparsed expression
    expression: str | None = None
    #: UNIQUE / PRIMARY KEY: adopt this existing (concurrently built) index
    using_index: str | None = None
    not_valid: bool = False


@dataclass(frozen=True)
class ValidateConstraint(Step):
    """``ALTER TABLE ... VALIDATE CONSTRAINT``: SHARE UPDATE EXCLUSIVE, in its own transaction
    (after the NOT VALID constraint committed), so its scan blocks no reads or writes."""

    transactional: ClassVar[bool] = False
    table: Relation
    name: str


@dataclass(frozen=True)
class SetNotNull(Step):
    """``ALTER TABLE ... ALTER COLUMN ... SET NOT NULL`` (no scan once a validated
    ``CHECK (col IS NOT NULL)`` exists, PostgreSQL 12+)."""

    table: Relation
    column: str


@dataclass(frozen=True)
class DropConstraint(Step):
    """``ALTER TABLE ... DROP CONSTRAINT``."""

    table: Relation
    name: str
    #: IF EXISTS (a temporary constraint: a re-run after a failure may find it gone)
    if_exists: bool = False


@dataclass(frozen=True)
class AddColumn(Step):
    """``ALTER TABLE ... ADD COLUMN name type`` (nullable, no volatile default)."""

    table: Relation
    column: str
    #: the deparsed type, e.g. ``character varying(20)``
    type_sql: str
    #: the deparsed constant default, if any
    default: str | None = None
    #: the deparsed expression of a virtual generated column (PostgreSQL 18: computed when
    #: read, so adding it writes nothing)
    virtual: str | None = None


@dataclass(frozen=True)
class Backfill(Step):
    """``alembic_safe.backfill``: key-range batches, each committed on its own."""

    transactional: ClassVar[bool] = False
    table: Relation
    #: the deparsed SET list, e.g. ``status = 'new'``
    assignments: str
    #: the deparsed condition of rows still to update, e.g. ``status IS NULL``
    where: str | None = None
    #: the unique, ordered key the batches walk
    key: str = "id"


class PreflightKind(Enum):
    UNIQUE = "unique"  # no duplicates of the columns (NULLs are distinct)
    NOT_NULL = "not-null"  # no NULL in the column
    CHECK = "check"  # no row where the expression is false


@dataclass(frozen=True)
class Preflight(Step):
    """A data check run before the locking or expensive step, outside its transaction: it stops
    the migration with the count and a few example keys instead of failing at the end."""

    transactional: ClassVar[bool] = False
    kind: PreflightKind
    table: Relation
    columns: tuple[str, ...] = ()
    #: CHECK: the deparsed expression every row must satisfy
    expression: str | None = None
    #: what the check protects (an index or constraint name), for the message
    protects: str = ""


@dataclass(frozen=True)
class SetDefault(Step):
    """``ALTER TABLE ... ALTER COLUMN ... SET DEFAULT``: for rows inserted from now on (no
    rewrite, whatever the expression)."""

    table: Relation
    column: str
    #: the deparsed default expression
    expression: str


@dataclass(frozen=True)
class CreateSequence(Step):
    """``CREATE SEQUENCE IF NOT EXISTS ... OWNED BY table.column`` (a re-run passes over
    it)."""

    sequence: Relation
    #: the column whose drop drops the sequence
    table: Relation
    column: str


@dataclass(frozen=True)
class AddEnumValue(Step):
    """``ALTER TYPE ... ADD VALUE IF NOT EXISTS``, outside the transaction: usable by the
    statements after it (and allowed before PostgreSQL 12)."""

    transactional: ClassVar[bool] = False
    enum: Relation
    value: str
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class RefreshView(Step):
    """``REFRESH MATERIALIZED VIEW CONCURRENTLY``: reads of the view go on (it needs a unique
    index on the view)."""

    view: Relation


@dataclass(frozen=True)
class DetachPartition(Step):
    """``ALTER TABLE parent DETACH PARTITION child CONCURRENTLY`` (PostgreSQL 14+): no ACCESS
    EXCLUSIVE on the parent; it cannot run inside a transaction block."""

    transactional: ClassVar[bool] = False
    table: Relation
    partition: Relation


@dataclass(frozen=True)
class AddDomainConstraint(Step):
    """``ALTER DOMAIN ... ADD CONSTRAINT name CHECK (...) [NOT VALID]``."""

    domain: Relation
    name: str
    #: the deparsed CHECK expression (``VALUE > 0``)
    expression: str
    not_valid: bool = False


@dataclass(frozen=True)
class ValidateDomainConstraint(Step):
    """``ALTER DOMAIN ... VALIDATE CONSTRAINT``, after the NOT VALID constraint committed."""

    transactional: ClassVar[bool] = False
    domain: Relation
    name: str


@dataclass(frozen=True)
class Vacuum(Step):
    """A plain ``VACUUM``: space made reusable without blocking reads or writes."""

    transactional: ClassVar[bool] = False
    table: Relation


@dataclass(frozen=True)
class SetLockTimeout(Step):
    """``SET lock_timeout``: a lock request waits this long at most, instead of queueing every
    later query on the table behind it."""

    value: str = "3s"


@dataclass(frozen=True)
class CreateView(Step):
    """``CREATE VIEW view AS SELECT * FROM table``: the table under a second name (a simple
    view: reads and writes through it reach the table)."""

    view: Relation
    table: Relation


@dataclass(frozen=True)
class RawSQL(Step):
    """A statement with no structured form (rendered as ``op.execute``), built from quoted
    names, or the flagged statement itself (its own text) moved elsewhere."""

    sql: str
    runs_in_transaction: bool = True


@dataclass(frozen=True)
class Fix:
    """The safe way for one finding: steps for this migration, and steps that must wait for a
    later revision (e.g. ``SET NOT NULL`` once the application writes the new column)."""

    steps: tuple[Step, ...]
    later: tuple[Step, ...] = ()
    #: when the ``later`` steps can run (their revision's condition)
    later_when: str = "once the application writes the column"
    #: one sentence on what the steps achieve, shown before them
    summary: str = ""
    #: the steps are another plan for the same goal (expand/contract), not the flagged
    #: statement made safe: front ends show them, autogenerate writes them as a comment
    alternative: bool = False


def runs_in_transaction(step: Step) -> bool:
    """Whether ``step`` runs inside the migration's transaction."""
    if isinstance(step, RawSQL):
        return step.runs_in_transaction
    return step.transactional
