"""AS801-AS806: lock timeouts, and column types to prefer (style)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from alembic_safe.analysis.facts import (
    AddColumn,
    AlterColumnType,
    ColumnDef,
    ConstraintKind,
    CreateTable,
    LockMode,
    Relation,
    StatementFacts,
)
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions, strong_locks
from alembic_safe.rules.lock_state import LocksHeld, LockTimeoutSet


@rule(
    code="AS801",
    name="missing-lock-timeout",
    category=Category.BRIEF_LOCK,
    summary="Strong lock requested without a lock_timeout",
    what="A statement that requests SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE or ACCESS EXCLUSIVE "
    "on an existing table while no `lock_timeout` is set (by an earlier `SET` in the session, "
    "a `SET LOCAL` in the same transaction, or the runtime guard). A lock its transaction "
    "already holds in a mode that covers it (PostgreSQL's lock conflict table: ACCESS "
    "EXCLUSIVE covers every mode; SHARE does not cover SHARE UPDATE EXCLUSIVE) cannot be "
    "waited for again, so a second `ALTER TABLE` of the same table in one transaction is not "
    "reported. The finding names every table whose lock can wait: for a foreign key, the "
    "altered table and the referenced one.",
    why="If a long query holds a conflicting lock, the statement waits in the lock queue, and "
    "every later query on the table (even plain SELECTs behind an ACCESS EXCLUSIVE request) "
    "queues behind it: a quick DDL statement turns into an outage. A `SET LOCAL` ends at "
    "COMMIT (including the commit `autocommit_block()` performs).",
    instead="Set `lock_timeout` before the statement so it gives up after a few seconds, and "
    "retry. With the alembic-safe runtime guard in env.py this is done for you (and retried); "
    "in plain SQL: `SET lock_timeout = '3s';`.",
    sql_example=("ALTER TABLE claims ADD COLUMN note text;", ""),
    op_example=('op.add_column("claims", sa.Column("note", sa.Text()))', ""),
    seen_in=("squawk require-timeout-settings", "strong_migrations lock_timeout",
             "django-pg-zero-downtime-migrations LOCK_TIMEOUT", "Eugene E9"),
    memos=(LockTimeoutSet, LocksHeld),
)
def missing_lock_timeout(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if ctx.analysis.lock_timeout_managed:
        return
    held = ctx.memo(LocksHeld)
    waiting = [(relation, mode) for relation, mode in strong_locks(stmt)
               if held.can_wait(stmt, relation, mode)]
    if not waiting or ctx.memo(LockTimeoutSet).in_effect(stmt):
        return
    tables = "the table" if len(waiting) == 1 else "these tables"
    yield Hit(
        message=f"{stmt.kind} requests {_requests(waiting)} with no lock_timeout: while it "
        f"waits, later queries on {tables} queue behind it",
        fix=fixes.lock_timeout_first(stmt) if stmt.within is None else None,
        help="" if stmt.within is None else "Set lock_timeout before it, or run migrations "
        "through the alembic-safe guard, which sets it and retries",
    )


def _requests(locks: list[tuple[Relation, LockMode]]) -> str:
    """``ACCESS EXCLUSIVE on claims``, ``SHARE ROW EXCLUSIVE on claims and users``."""
    by_mode: dict[LockMode, list[str]] = {}
    for relation, mode in sorted(locks, key=lambda lock: -lock[1]):
        by_mode.setdefault(mode, []).append(str(relation))
    return " and ".join(f"{mode.label} on {' and '.join(names)}"
                        for mode, names in by_mode.items())


#: the actions :func:`_pk_columns` and :func:`_declared_types` read
_PK_DECLARING = (CreateTable, AddColumn)
_TYPE_DECLARING = (CreateTable, AddColumn, AlterColumnType)


def _declared_columns(stmt: StatementFacts) -> Iterator[tuple[Relation | None, ColumnDef]]:
    for created in actions(stmt, CreateTable, existing=False):
        for column in created.columns:
            yield created.table, column
    for added in actions(stmt, AddColumn, existing=False):
        yield added.table, added.column


def _declared_types(stmt: StatementFacts) -> Iterator[tuple[Relation | None, str, str]]:
    """(table, column, type) of every column declared or retyped by the statement."""
    for table, column in _declared_columns(stmt):
        yield table, column.name, column.type_name
    for altered in actions(stmt, AlterColumnType, existing=False):
        yield altered.table, altered.column, altered.new_type


def _pk_columns(stmt: StatementFacts) -> Iterator[tuple[Relation | None, ColumnDef]]:
    for created in actions(stmt, CreateTable, existing=False):
        pk = {
            name
            for constraint in created.constraints
            if constraint.kind is ConstraintKind.PRIMARY_KEY
            for name in constraint.columns
        }
        for column in created.columns:
            if column.primary_key or column.name in pk:
                yield created.table, column
    for added in actions(stmt, AddColumn, existing=False):
        if added.column.primary_key:
            yield added.table, added.column


@rule(
    code="AS802",
    name="prefer-bigint-primary-key",
    on=_PK_DECLARING,
    category=Category.STYLE,
    summary="integer or smallint primary key",
    what="A primary key column of type `integer`/`serial` or `smallint`/`smallserial`.",
    why="A 32-bit key runs out at 2,147,483,647; changing the type later rewrites the table "
    "and every referencing table under ACCESS EXCLUSIVE.",
    instead="Use `bigint` (`bigint GENERATED BY DEFAULT AS IDENTITY`) for primary keys.",
    sql_example=("CREATE TABLE claims (id serial PRIMARY KEY);",
                 "CREATE TABLE claims (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);"),
    op_example=('op.create_table("claims", sa.Column("id", sa.Integer(), primary_key=True))',
                'op.create_table("claims", sa.Column("id", sa.BigInteger(), sa.Identity(), '
                "primary_key=True))"),
    seen_in=("squawk prefer-bigint-over-int", "squawk prefer-bigint-over-smallint",
             "squawk prefer-identity"),
)
def prefer_bigint_primary_key(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for table, column in _pk_columns(stmt):
        if column.type_name in ("integer", "smallint"):
            yield Hit(
                message=f"primary key {table}.{column.name} is {column.type_name}: it can run "
                "out of values",
                help="Declare it bigint, as an identity column (GENERATED BY DEFAULT AS "
                "IDENTITY) rather than bigserial",
            )


def _type_rule(
    stmt: StatementFacts, wanted: str, matches: Callable[[str], bool]
) -> Iterator[Hit]:
    for table, column, type_name in _declared_types(stmt):
        if matches(type_name):
            yield Hit(
                message=f"column {table}.{column} is {type_name}",
                help=f"Declare {column} as {wanted}",
            )


@rule(
    code="AS803",
    name="prefer-text-over-varchar",
    on=_TYPE_DECLARING,
    category=Category.STYLE,
    summary="varchar(n) column",
    what="A column declared `varchar(n)` / `character varying(n)`.",
    why="Raising the limit later is cheap, but lowering it or any change that is not binary "
    "coercible rewrites the table; `text` performs the same and a CHECK on `length()` can be "
    "changed with NOT VALID + VALIDATE without blocking.",
    instead="Use `text`, plus `CHECK (length(col) <= n)` when the limit matters.",
    sql_example=("CREATE TABLE claims (number varchar(20));",
                 "CREATE TABLE claims (number text CHECK (length(number) <= 20));"),
    op_example=('op.add_column("claims", sa.Column("number", sa.String(20)))',
                'op.add_column("claims", sa.Column("number", sa.Text()))'),
    seen_in=("squawk prefer-text-field",),
)
def prefer_text_over_varchar(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    yield from _type_rule(stmt, "text (with a CHECK on length() if needed)",
                          lambda t: t.startswith("character varying("))


@rule(
    code="AS804",
    name="prefer-timestamptz",
    on=_TYPE_DECLARING,
    category=Category.STYLE,
    summary="timestamp without time zone column",
    what="A column declared `timestamp` (`timestamp without time zone`).",
    why="It stores wall-clock time without the zone, so values depend on the writer's time "
    "zone; converting to `timestamptz` later rewrites the table unless the session is UTC.",
    instead="Use `timestamptz` (`timestamp with time zone`).",
    sql_example=("CREATE TABLE claims (created_at timestamp);",
                 "CREATE TABLE claims (created_at timestamptz);"),
    op_example=('op.add_column("claims", sa.Column("created_at", sa.DateTime()))',
                'op.add_column("claims", sa.Column("created_at", sa.DateTime(timezone=True)))'),
    seen_in=("squawk prefer-timestamptz",),
)
def prefer_timestamptz(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    yield from _type_rule(stmt, "timestamptz", lambda t: t.startswith("timestamp")
                          and t.endswith("without time zone"))


@rule(
    code="AS805",
    name="prefer-jsonb",
    on=_TYPE_DECLARING,
    category=Category.STYLE,
    summary="json column",
    what="A column declared `json`.",
    why="`json` keeps the raw text: it has no equality operator (DISTINCT, UNIQUE, GROUP BY "
    "fail), no GIN indexing, and is reparsed on every access.",
    instead="Use `jsonb`.",
    sql_example=("CREATE TABLE claims (payload json);", "CREATE TABLE claims (payload jsonb);"),
    op_example=('op.add_column("claims", sa.Column("payload", sa.JSON()))',
                'op.add_column("claims", sa.Column("payload", postgresql.JSONB()))'),
    seen_in=("strong_migrations add_column_json",),
)
def prefer_jsonb(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    yield from _type_rule(stmt, "jsonb", lambda t: t == "json")


@rule(
    code="AS806",
    name="ban-char",
    on=_TYPE_DECLARING,
    category=Category.STYLE,
    summary="char(n) column",
    what="A column declared `char(n)` / `character(n)`.",
    why="Values are blank-padded to n characters, comparisons ignore trailing spaces, and it is "
    "no faster than `text`.",
    instead="Use `text` (with a CHECK on `length()` when the length matters).",
    sql_example=("CREATE TABLE claims (country char(2));",
                 "CREATE TABLE claims (country text CHECK (length(country) = 2));"),
    op_example=('op.add_column("claims", sa.Column("country", sa.CHAR(2)))',
                'op.add_column("claims", sa.Column("country", sa.Text()))'),
    seen_in=("squawk ban-char-field",),
)
def ban_char(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    yield from _type_rule(stmt, "text", lambda t: t in ("character", "bpchar")
                          or t.startswith("character("))
