"""Plain data the analyzer produces from SQL: the contract between analysis and rules.

The analyzer turns each SQL statement into :class:`StatementFacts`; rules read only
these objects (never SQL text, never parser nodes), so the linter, the runtime guard
and the autogenerate rewriters share one understanding of what a statement does.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum


class LockMode(IntEnum):
    """PostgreSQL table-level lock modes, weakest first (docs: "Explicit Locking")."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def label(self) -> str:
        """The name as PostgreSQL writes it, e.g. ``ACCESS EXCLUSIVE``."""
        return self.name.replace("_", " ")

    @property
    def blocks_writes(self) -> bool:
        """Conflicts with ROW EXCLUSIVE (INSERT/UPDATE/DELETE)."""
        return self >= LockMode.SHARE

    @property
    def blocks_reads(self) -> bool:
        """Conflicts with ACCESS SHARE (plain SELECT)."""
        return self is LockMode.ACCESS_EXCLUSIVE

    @property
    def conflicts(self) -> int:
        """The modes this one conflicts with, as a bit mask (bit ``1 << mode``): PostgreSQL's
        "Conflicting Lock Modes" table."""
        return _CONFLICTS[self]

    def covered_by(self, held: int) -> bool:
        """Whether a transaction that already holds the modes ``held`` (a :attr:`conflicts`
        union) can be granted this mode without waiting: every mode that conflicts with it
        already conflicts with one held, so no other transaction can hold one now."""
        return self.conflicts & ~held == 0


def _modes(*modes: LockMode) -> int:
    mask = 0
    for mode in modes:
        mask |= 1 << mode
    return mask


_L = LockMode
_CONFLICTS = {
    _L.ACCESS_SHARE: _modes(_L.ACCESS_EXCLUSIVE),
    _L.ROW_SHARE: _modes(_L.EXCLUSIVE, _L.ACCESS_EXCLUSIVE),
    _L.ROW_EXCLUSIVE: _modes(_L.SHARE, _L.SHARE_ROW_EXCLUSIVE, _L.EXCLUSIVE,
                             _L.ACCESS_EXCLUSIVE),
    _L.SHARE_UPDATE_EXCLUSIVE: _modes(_L.SHARE_UPDATE_EXCLUSIVE, _L.SHARE,
                                      _L.SHARE_ROW_EXCLUSIVE, _L.EXCLUSIVE, _L.ACCESS_EXCLUSIVE),
    _L.SHARE: _modes(_L.ROW_EXCLUSIVE, _L.SHARE_UPDATE_EXCLUSIVE, _L.SHARE_ROW_EXCLUSIVE,
                     _L.EXCLUSIVE, _L.ACCESS_EXCLUSIVE),
    _L.SHARE_ROW_EXCLUSIVE: _modes(_L.ROW_EXCLUSIVE, _L.SHARE_UPDATE_EXCLUSIVE, _L.SHARE,
                                   _L.SHARE_ROW_EXCLUSIVE, _L.EXCLUSIVE, _L.ACCESS_EXCLUSIVE),
    _L.EXCLUSIVE: _modes(_L.ROW_SHARE, _L.ROW_EXCLUSIVE, _L.SHARE_UPDATE_EXCLUSIVE, _L.SHARE,
                         _L.SHARE_ROW_EXCLUSIVE, _L.EXCLUSIVE, _L.ACCESS_EXCLUSIVE),
    _L.ACCESS_EXCLUSIVE: _modes(*_L),
}


@dataclass(frozen=True, order=True)
class Relation:
    """A table, index, sequence or type name as written (lower-cased unless quoted)."""

    name: str
    schema: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def __str__(self) -> str:
        return self.qualified


@dataclass(frozen=True)
class Lock:
    """A lock a statement takes on one relation."""

    relation: Relation
    mode: LockMode
    #: The relation was created earlier in the same migration/file: nobody else can
    #: be waiting on it, so lock rules do not apply.
    is_new: bool = False


class Volatility(Enum):
    """How a default expression behaves (pg_proc.provolatile of what it calls)."""

    CONSTANT = "constant"  # literal, or an expression of literals and immutable functions
    STABLE = "stable"  # now(), CURRENT_TIMESTAMP, ...: evaluated once, no rewrite on PG 11+
    VOLATILE = "volatile"  # random(), gen_random_uuid(), clock_timestamp(), nextval(): rewrite
    UNKNOWN = "unknown"  # a function the analyzer does not know (treated as volatile by rules)


class ConstraintKind(Enum):
    CHECK = "check"
    FOREIGN_KEY = "foreign key"
    UNIQUE = "unique"
    PRIMARY_KEY = "primary key"
    EXCLUDE = "exclude"
    NOT_NULL = "not null"


# --------------------------------------------------------------------------- actions
# One statement yields one or more actions: what it does, in rule-friendly terms.
# ALTER TABLE with several subcommands yields one action per subcommand.


@dataclass(frozen=True)
class Action:
    """Base class of everything a statement does. ``table`` is the object it acts on."""

    table: Relation | None
    #: the table/type/index was created earlier in the same migration or file (or, for the
    #: runtime guard, by an earlier revision of the same run: ``AnalysisContext.new_relations``)
    is_new: bool = field(default=False, kw_only=True)
    #: created earlier in this very input (migration or file), not only earlier in the run:
    #: it holds no data but what this input put in it
    created_here: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class ColumnDef:
    """A column as declared in CREATE TABLE or ADD COLUMN."""

    name: str
    type_name: str  # normalized, e.g. "integer", "bigint", "character varying(20)", "text"
    not_null: bool = False
    has_default: bool = False
    default_volatility: Volatility | None = None  # None when no default
    generated_stored: bool = False
    identity: bool = False
    serial: bool = False  # serial/bigserial/smallserial pseudo-type
    primary_key: bool = False
    #: inline constraints declared on the column (REFERENCES, CHECK, UNIQUE, PRIMARY KEY)
    constraints: tuple[ConstraintDef, ...] = ()
    #: the type as SQL, printed from the parse tree (quoted, schema-qualified as written)
    type_sql: str = ""
    #: the DEFAULT expression as SQL, printed from the parse tree; None without a default
    default_sql: str | None = None
    #: the GENERATED ALWAYS AS expression as SQL, printed from the parse tree
    generated_sql: str | None = None
    #: GENERATED ALWAYS AS (...) VIRTUAL, or without STORED (PostgreSQL 18+): computed when
    #: read, so adding one writes nothing (a NOT NULL or CHECK on it still scans the table)
    generated_virtual: bool = False


@dataclass(frozen=True)
class ConstraintDef:
    kind: ConstraintKind
    name: str | None = None
    columns: tuple[str, ...] = ()
    #: existing rows are not checked (NOT VALID, or NOT ENFORCED)
    not_valid: bool = False
    using_index: str | None = None  # ADD CONSTRAINT ... USING INDEX idx
    references: Relation | None = None  # FOREIGN KEY target table
    #: CHECK (col IS NOT NULL), or the NOT NULL col constraint of PostgreSQL 18: the column it
    #: proves not null, else None
    not_null_check_column: str | None = None
    #: CHECK: the expression as SQL, printed from the parse tree
    expression: str | None = None
    #: FOREIGN KEY: the referenced columns (empty: the referenced table's primary key)
    referenced_columns: tuple[str, ...] = ()
    #: FOREIGN KEY: ON DELETE / ON UPDATE actions as SQL (None: NO ACTION); MATCH FULL
    on_delete: str | None = None
    on_update: str | None = None
    match_full: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    #: UNIQUE / PRIMARY KEY: INCLUDE columns, NULLS NOT DISTINCT
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    #: NOT ENFORCED (PostgreSQL 18+): never checked, not even for new rows
    not_enforced: bool = False


@dataclass(frozen=True)
class CreateTable(Action):
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[ConstraintDef, ...] = ()
    if_not_exists: bool = False
    unlogged: bool = False
    temporary: bool = False
    partition_of: Relation | None = None
    as_select: bool = False  # CREATE TABLE AS / SELECT INTO


@dataclass(frozen=True)
class DropObject(Action):
    """DROP TABLE / INDEX / TYPE / VIEW / FUNCTION / SCHEMA / ... (``table`` is the object)."""

    object_kind: str = "table"  # "table", "index", "type", "view", "materialized view", ...
    concurrently: bool = False
    if_exists: bool = False
    cascade: bool = False


@dataclass(frozen=True)
class CreateIndex(Action):
    index: str | None = None
    unique: bool = False
    concurrently: bool = False
    if_not_exists: bool = False
    columns: tuple[str, ...] = ()
    partial: bool = False
    #: ON ONLY parent (partitioned table): builds nothing on the partitions
    only: bool = False
    #: what follows ``ON table`` as SQL (method, expressions, INCLUDE, WITH, WHERE), printed
    #: from the parse tree; None when the index is a plain column list (``columns``)
    definition: str | None = None
    #: the WHERE predicate of a partial index as SQL
    where: str | None = None


@dataclass(frozen=True)
class Reindex(Action):
    target_kind: str = "index"  # "index", "table", "schema", "database", "system"
    concurrently: bool = False


@dataclass(frozen=True)
class AddColumn(Action):
    column: ColumnDef = field(default_factory=lambda: ColumnDef("?", "?"))
    if_not_exists: bool = False


@dataclass(frozen=True)
class DropColumn(Action):
    column: str = ""
    if_exists: bool = False
    cascade: bool = False


@dataclass(frozen=True)
class AlterColumnType(Action):
    column: str = ""
    new_type: str = ""
    using: bool = False
    #: the new type as SQL, printed from the parse tree
    new_type_sql: str = ""
    #: Filled when catalog facts are known: the old type, and whether PostgreSQL can
    #: switch without a rewrite (binary coercible: varchar(n)->varchar(m>=n), ->text, ...).
    old_type: str | None = None
    rewrite_free: bool | None = None


@dataclass(frozen=True)
class SetNotNull(Action):
    column: str = ""
    #: A validated CHECK (col IS NOT NULL) exists (from catalog facts, or validated
    #: earlier in this migration): on PG 12+ SET NOT NULL then skips the scan.
    has_validated_not_null_check: bool = False


@dataclass(frozen=True)
class DropNotNull(Action):
    column: str = ""


@dataclass(frozen=True)
class SetColumnDefault(Action):
    column: str = ""
    dropped: bool = False


@dataclass(frozen=True)
class AddConstraint(Action):
    constraint: ConstraintDef = field(default_factory=lambda: ConstraintDef(ConstraintKind.CHECK))
    #: ALTER DOMAIN ... ADD CONSTRAINT (``table`` is the domain): checks every column of the domain
    on_domain: bool = False


@dataclass(frozen=True)
class ValidateConstraint(Action):
    name: str = ""


@dataclass(frozen=True)
class DropConstraint(Action):
    name: str = ""
    if_exists: bool = False
    cascade: bool = False


@dataclass(frozen=True)
class Rename(Action):
    """RENAME of a table, column, index, constraint, type, schema, enum value..."""

    object_kind: str = "table"  # "table", "column", "index", "constraint", "enum value", ...
    old_name: str = ""
    new_name: str = ""


@dataclass(frozen=True)
class TableRewriteCommand(Action):
    """Whole-table maintenance: VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED, SET TABLESPACE,
    SET ACCESS METHOD, ATTACH/DETACH PARTITION..."""

    command: str = ""  # "VACUUM FULL", "CLUSTER", "SET LOGGED", "SET UNLOGGED", ...
    concurrently: bool = False
    #: ATTACH / DETACH PARTITION: the partition
    partition: Relation | None = None


@dataclass(frozen=True)
class LockTable(Action):
    mode: LockMode = LockMode.ACCESS_EXCLUSIVE


@dataclass(frozen=True)
class Truncate(Action):
    cascade: bool = False


@dataclass(frozen=True)
class ModifyRows(Action):
    """INSERT / UPDATE / DELETE / MERGE / COPY FROM on ``table``."""

    command: str = "UPDATE"  # "INSERT", "UPDATE", "DELETE", "MERGE", "COPY"
    has_where: bool = False
    #: a bounded batch (WHERE on a key range, LIMIT, ctid/IN (SELECT ... LIMIT n))
    batched: bool = False
    #: INSERT ... SELECT (copies rows from a query rather than a VALUES list)
    from_select: bool = False
    #: UPDATE: the SET list and the WHERE condition as SQL, printed from the parse tree, when
    #: the statement is only assignments of the table's columns (a fix can batch it)
    assignments: str | None = None
    where_sql: str | None = None


@dataclass(frozen=True)
class AlterEnum(Action):
    """ALTER TYPE ... ADD VALUE / RENAME VALUE (``table`` is the type)."""

    add_value: str | None = None
    rename_value: tuple[str, str] | None = None
    if_not_exists: bool = False
    #: ADD VALUE ... BEFORE/AFTER was given
    positioned: bool = False
    #: ADD VALUE ... BEFORE/AFTER: the neighbouring value, and whether it is AFTER
    neighbor: str | None = None
    after: bool = False


@dataclass(frozen=True)
class SetSetting(Action):
    """SET / SET LOCAL / RESET / set_config() of a run-time parameter."""

    name: str = ""
    value: str | None = None  # None for RESET
    local: bool = False


@dataclass(frozen=True)
class TransactionControl(Action):
    command: str = "BEGIN"  # "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", ...


@dataclass(frozen=True)
class OpaqueCode(Action):
    """Code that runs SQL the analyzer cannot see: a call of a function it does not know, a
    string built at run time and EXECUTEd, a DO block in a language other than PL/pgSQL."""

    #: what runs, as written: ``my_migration_fn()``, ``CALL archive_claims()``, ``EXECUTE
    #: format(...)``
    code: str = ""
    #: why its SQL cannot be seen
    reason: str = ""


@dataclass(frozen=True)
class OtherStatement(Action):
    """Anything the analyzer does not model further (SELECT, GRANT, CREATE FUNCTION, ...)."""

    command: str = ""


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Position:
    """Where a statement starts: 1-based line and column in its source."""

    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class StatementFacts:
    """Everything the rules need to know about one SQL statement."""

    sql: str  # the statement's own text, without trailing semicolon
    index: int  # 0-based position in the analyzed sequence
    position: Position
    #: e.g. "CREATE INDEX", "ALTER TABLE", "UPDATE"; "PARSE ERROR" when unparseable. Rules
    #: read "REFRESH MATERIALIZED VIEW" (plain: ACCESS EXCLUSIVE lock; CONCURRENTLY: EXCLUSIVE).
    kind: str
    actions: tuple[Action, ...] = ()
    locks: tuple[Lock, ...] = ()
    #: tables whose every row is rewritten (new relfilenode) while locked
    rewrites: tuple[Relation, ...] = ()
    #: tables read in full while locked (validation, SET NOT NULL scan)
    scans: tuple[Relation, ...] = ()
    validates_constraint: bool = False
    #: PostgreSQL refuses to run it inside a transaction block
    requires_no_transaction: bool = False
    #: runs inside a transaction block according to the transaction model
    in_transaction: bool = True
    #: id of the enclosing transaction (same id = same transaction); None outside one
    transaction_id: int | None = None
    destroys_data: bool = False
    #: code still running against the old schema breaks (renames, drops)
    breaks_running_code: bool = False
    #: SQL comments written on or just before the statement (text without ``--``/``/* */``)
    comments: tuple[str, ...] = ()
    #: set when the parser rejected the statement
    parse_error: str | None = None
    #: the newest PostgreSQL feature the statement uses, when older majors reject it
    requires: Requirement | None = None
    #: the code whose body holds this statement (``DO block``, ``function f()``); its position
    #: is that code's. None for a statement of the input itself
    within: str | None = None


@dataclass(frozen=True)
class Requirement:
    """A feature that exists from one PostgreSQL major on (older servers reject it)."""

    major: int
    feature: str  # e.g. "a virtual generated column"
    instead: str  # what to write for an older server


@dataclass(frozen=True)
class ColumnInfo:
    """A live column, from the catalog."""

    type_name: str  # format_type(), e.g. "character varying(20)"
    not_null: bool = False


@dataclass(frozen=True)
class CatalogFacts:
    """Live-database facts the runtime guard passes in (all optional)."""

    # Lookups only (``get``, ``in``): the guard answers them one key at a time from the
    # live catalog, so nothing here may need the whole catalog listed.
    #: (table qualified name, column) -> info
    columns: Mapping[tuple[str, str], ColumnInfo] = field(default_factory=dict)
    #: table qualified name -> columns with a validated CHECK (col IS NOT NULL)
    validated_not_null_checks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: table qualified name -> approximate row count (pg_class.reltuples)
    row_counts: Mapping[str, int] = field(default_factory=dict)
    #: existing relation names (qualified) so "new" can be told from "existing"
    existing_relations: Container[str] = frozenset()


@dataclass(frozen=True)
class AnalysisContext:
    """What the analyzer needs besides the SQL."""

    pg_version: int = 15
    #: statements run inside one transaction unless BEGIN/COMMIT say otherwise
    #: (Alembic migrations, ``--assume-in-transaction``); False = squawk's convention
    #: (autocommit unless the file opens a transaction)
    in_transaction: bool = False
    #: relations created earlier in the same migration (qualified names)
    new_relations: frozenset[str] = frozenset()
    #: the runner (runtime guard) sets lock_timeout itself before each transaction
    lock_timeout_managed: bool = False
    catalog: CatalogFacts | None = None
    #: search_path's first schema, used to qualify unqualified names for catalog lookups
    default_schema: str = "public"
