"""AS2xx: adding and altering columns."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    ConstraintKind,
    SetNotNull,
    StatementFacts,
    Volatility,
)
from alembic_safe.fix.model import Fix
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions


def _replaceable(stmt: StatementFacts, action: AddColumn) -> bool:
    """Whether a fix can replace the statement that adds ``action``'s column: it adds only
    that column, to a known table, with its type printed and no inline constraint (which
    re-adding the column bare would lose)."""
    return (len(stmt.actions) == 1 and action.table is not None
            and bool(action.column.type_sql) and not action.column.constraints)


@rule(
    code="AS201",
    name="add-column-not-null-without-default",
    on=(AddColumn,),
    category=Category.FAILS_ON_ROWS,
    summary="ADD COLUMN ... NOT NULL without a default",
    what="A `NOT NULL` column without a `DEFAULT` added to an existing table.",
    why=(
        "Existing rows would get NULL, so PostgreSQL rejects the statement on any non-empty "
        "table (`column ... contains null values`). It passes in CI on an empty database and "
        "fails in production."
    ),
    instead=(
        "1. Add the column nullable (or with a constant default: metadata-only on "
        "PostgreSQL 11+).\n"
        "2. Backfill it in batches outside the DDL transaction (`alembic_safe.backfill(...)`).\n"
        "3. Add `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE` it, then `SET NOT NULL` "
        "(no scan on 12+) and drop the CHECK."
    ),
    sql_example=("ALTER TABLE claims ADD COLUMN region text NOT NULL;", ""),
    op_example=('op.add_column("claims", sa.Column("region", sa.Text(), nullable=False))', ""),
    seen_in=("squawk adding-required-field", "Atlas MF103"),
)
def add_column_not_null_without_default(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        col = action.column
        if not col.not_null or col.has_default:
            continue
        if col.serial or col.identity or col.generated_stored or col.generated_virtual:
            continue  # these fill every row themselves (AS204/AS203/AS206 cover the cost)
        fix = fixes.column_expand(action.table, col.name, col.type_sql, ctx.pg_version) \
            if action.table is not None and _replaceable(stmt, action) else None
        yield Hit(
            message=f"ADD COLUMN {col.name} {col.type_name} NOT NULL on {action.table} has no "
            "default: it fails on a table that has rows",
            fix=fix,
            help="" if fix is not None else "Give it a constant default (metadata-only since "
            "PostgreSQL 11), or add it nullable on its own, fill it with "
            "alembic_safe.backfill(...) and make it NOT NULL in a later revision",
        )


@rule(
    code="AS202",
    name="add-column-volatile-default",
    on=(AddColumn,),
    category=Category.REWRITE,
    summary="ADD COLUMN with a volatile default rewrites the table",
    what=(
        "A column added to an existing table with a default that is volatile "
        "(`gen_random_uuid()`, `random()`, `clock_timestamp()`, `nextval()`) or that calls a "
        "function alembic-safe does not know. Constant and stable defaults (`0`, `'x'`, `now()`) "
        "are fine on PostgreSQL 11+."
    ),
    why=(
        "PostgreSQL must compute the default for every existing row, so it rewrites the whole "
        "table under ACCESS EXCLUSIVE: no reads, no writes until the rewrite ends."
    ),
    instead=(
        "1. Add the column without a default (or with a constant one).\n"
        "2. Set the volatile default for new rows: `ALTER TABLE ... ALTER COLUMN ... SET DEFAULT "
        "gen_random_uuid()` (metadata only).\n"
        "3. Backfill existing rows in batches with `alembic_safe.backfill(...)`."
    ),
    sql_example=("ALTER TABLE claims ADD COLUMN token uuid DEFAULT gen_random_uuid();", ""),
    op_example=(
        'op.add_column("claims", sa.Column("token", sa.Uuid(), '
        'server_default=sa.text("gen_random_uuid()")))', "",
    ),
    seen_in=("squawk adding-field-with-default", "strong_migrations add_column_default",
             "Eugene E11"),
)
def add_column_volatile_default(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        col = action.column
        if col.serial or col.identity or col.generated_stored or not col.has_default:
            continue
        if col.default_volatility not in (Volatility.VOLATILE, Volatility.UNKNOWN):
            continue
        kind = "volatile" if col.default_volatility is Volatility.VOLATILE else "unknown"
        fix = fixes.default_expand(action.table, col, ctx.pg_version) \
            if action.table is not None and col.default_sql is not None \
            and _replaceable(stmt, action) else None
        yield Hit(
            message=f"ADD COLUMN {col.name} on {action.table} has a {kind} default: PostgreSQL "
            "rewrites the table under ACCESS EXCLUSIVE",
            fix=fix,
            help="" if fix is not None else "Add the column on its own without the default, "
            "set the default for new rows (ALTER COLUMN ... SET DEFAULT: no rewrite), then fill "
            "the existing rows with alembic_safe.backfill(...)",
        )


@rule(
    code="AS203",
    name="add-column-stored-generated",
    on=(AddColumn,),
    category=Category.REWRITE,
    summary="ADD COLUMN ... GENERATED ALWAYS AS (...) STORED rewrites the table",
    what="A stored generated column added to an existing table.",
    why=(
        "PostgreSQL computes the value for every row and rewrites the table under ACCESS "
        "EXCLUSIVE: reads and writes wait for the whole rewrite."
    ),
    instead=(
        "Add a plain nullable column, keep it filled for new rows with a trigger (or in the "
        "application), backfill existing rows with `alembic_safe.backfill(...)`, or compute the "
        "value in a view or in queries."
    ),
    sql_example=(
        "ALTER TABLE claims ADD COLUMN total numeric GENERATED ALWAYS AS (net + tax) STORED;", "",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("total", sa.Numeric(), sa.Computed("net + tax")))', "",
    ),
    seen_in=("strong_migrations add_column_generated_stored", "Eugene E11"),
)
def add_column_stored_generated(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        col = action.column
        if not col.generated_stored:
            continue
        fix = fixes.generated_expand(action.table, col, ctx.pg_version) \
            if action.table is not None and col.generated_sql is not None \
            and _replaceable(stmt, action) else None
        yield Hit(
            message=f"stored generated column {col.name} on {action.table} rewrites the table "
            "under ACCESS EXCLUSIVE",
            fix=fix,
            help="" if fix is not None else "Add a plain column on its own, fill new rows with "
            "a trigger (or in the application) and the existing rows with "
            "alembic_safe.backfill(...)",
        )


@rule(
    code="AS204",
    name="add-column-serial-or-identity",
    on=(AddColumn,),
    category=Category.REWRITE,
    summary="Adding a serial or identity column rewrites the table",
    what="`ADD COLUMN ... serial|bigserial` or `GENERATED ... AS IDENTITY` on an existing table.",
    why=(
        "Every existing row needs a value from the sequence (`nextval()` is volatile), so "
        "PostgreSQL rewrites the table under ACCESS EXCLUSIVE: reads and writes wait."
    ),
    instead=(
        "1. Add a nullable `bigint` column.\n"
        "2. Create a sequence and set it as the column's default (metadata only).\n"
        "3. Backfill existing rows in batches (`alembic_safe.backfill(...)`), then add NOT NULL "
        "through a validated CHECK."
    ),
    sql_example=("ALTER TABLE claims ADD COLUMN seq bigserial;", ""),
    op_example=('op.add_column("claims", sa.Column("seq", sa.BigInteger(), sa.Identity()))', ""),
    seen_in=("squawk adding-serial-primary-key-field",
             "strong_migrations add_column_auto_incrementing", "Eugene E11"),
)
def add_column_serial_or_identity(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        col = action.column
        if not col.serial and not col.identity:
            continue
        kind = "serial" if col.serial else "identity"
        fix = fixes.sequence_expand(action.table, col, ctx.pg_version) \
            if action.table is not None and _replaceable(stmt, action) else None
        yield Hit(
            message=f"{kind} column {col.name} added to {action.table}: filling existing "
            "rows rewrites the table under ACCESS EXCLUSIVE",
            fix=fix,
            help="" if fix is not None else "Add the column plain on its own, attach a "
            "sequence as its default, number the existing rows with alembic_safe.backfill(...), "
            "then make it NOT NULL",
        )


@rule(
    code="AS205",
    name="alter-column-type",
    on=(AlterColumnType,),
    category=Category.REWRITE,
    summary="ALTER COLUMN TYPE rewrites the table",
    what=(
        "`ALTER TABLE ... ALTER [COLUMN] ... TYPE` on an existing table, unless the change is "
        "known to be binary coercible (e.g. `varchar(20)` to `varchar(50)` or `text`). The old "
        "type is known from the live catalog (runtime guard), from a column declared earlier in "
        "the input, or, in Alembic scripts, from `op.alter_column(..., existing_type=...)`; "
        "when it is unknown, the change is taken for a rewrite."
    ),
    why=(
        "Most type changes rewrite the table and rebuild its indexes under ACCESS EXCLUSIVE: "
        "reads and writes wait for the whole rewrite. Code still running against the old type "
        "may also break."
    ),
    instead=(
        "Expand and contract:\n"
        "1. Add a new column of the new type.\n"
        "2. Write to both (trigger or application), backfill with `alembic_safe.backfill(...)`.\n"
        "3. Switch reads, then drop the old column in a later release.\n"
        "Binary-coercible changes (larger varchar, varchar to text, larger numeric precision) "
        "are fine: run the guard against the database so it knows the old type."
    ),
    sql_example=("ALTER TABLE claims ALTER COLUMN amount TYPE numeric(12, 2);", ""),
    op_example=('op.alter_column("claims", "amount", type_=sa.Numeric(12, 2))', ""),
    seen_in=("squawk changing-column-type", "strong_migrations change_column", "Eugene E5",
             "Atlas PG301"),
)
def alter_column_type(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AlterColumnType):
        if action.rewrite_free:
            continue
        old = f" from {action.old_type}" if action.old_type else ""
        fix = fixes.type_change_expand(action.table, action.column, action.new_type_sql) \
            if action.table is not None and action.new_type_sql else None
        yield Hit(
            message=f"changing {action.table}.{action.column}{old} to {action.new_type} rewrites "
            "the table and its indexes under ACCESS EXCLUSIVE",
            fix=fix,
            help="" if fix is not None else "Expand and contract: add a column of the new "
            "type, fill it with alembic_safe.backfill(...), switch the code over, then drop "
            "the old column",
        )


@rule(
    code="AS206",
    name="set-not-null",
    on=(SetNotNull, AddConstraint, AddColumn),
    category=Category.LOCK,
    summary="SET NOT NULL scans the table under ACCESS EXCLUSIVE",
    what=(
        "`ALTER COLUMN ... SET NOT NULL` on an existing table without a validated "
        "`CHECK (col IS NOT NULL)` (or, on PostgreSQL 18, a validated `NOT NULL` constraint). "
        "On 18 also `ADD CONSTRAINT ... NOT NULL col` without `NOT VALID`, and a virtual "
        "generated column added `NOT NULL`: both check every row the same way."
    ),
    why=(
        "PostgreSQL reads every row to prove there is no NULL while holding ACCESS EXCLUSIVE: "
        "reads and writes wait for the whole scan."
    ),
    instead=(
        "On PostgreSQL 12+:\n"
        "1. `ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID` (brief lock, no scan).\n"
        "2. In a later transaction `VALIDATE CONSTRAINT c` (scans without blocking writes).\n"
        "3. `SET NOT NULL` (skips the scan thanks to the validated CHECK), then drop the CHECK.\n"
        "\n"
        "On PostgreSQL 18 in two steps: `ADD CONSTRAINT c NOT NULL col NOT VALID` (brief lock, "
        "no scan), then in a later transaction `VALIDATE CONSTRAINT c` (scans without blocking "
        "writes): the column is then NOT NULL."
    ),
    sql_example=("ALTER TABLE claims ALTER COLUMN region SET NOT NULL;", ""),
    op_example=('op.alter_column("claims", "region", nullable=False)', ""),
    seen_in=("squawk adding-not-nullable-field", "strong_migrations change_column_null",
             "django-pg-zero-downtime-migrations (rewritten via CHECK)", "Atlas PG303"),
)
def set_not_null(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, SetNotNull):
        if action.has_validated_not_null_check and ctx.pg_version >= 12:
            continue
        yield _not_null_hit(
            f"SET NOT NULL on {action.table}.{action.column} scans the whole table under "
            "ACCESS EXCLUSIVE",
            None if action.table is None else
            fixes.set_not_null(action.table, action.column, ctx.pg_version))
    for added in actions(stmt, AddConstraint):
        con = added.constraint
        if con.kind is ConstraintKind.NOT_NULL and not con.not_valid and con.columns:
            yield _not_null_hit(
                f"ADD CONSTRAINT ... NOT NULL {con.columns[0]} on {added.table} scans the whole "
                "table under ACCESS EXCLUSIVE",
                None if added.table is None or len(stmt.actions) != 1 else
                fixes.set_not_null(added.table, con.columns[0], ctx.pg_version, con.name))
    for column in actions(stmt, AddColumn):
        col = column.column
        if col.generated_virtual and col.not_null:
            yield _not_null_hit(
                f"virtual generated column {col.name} added NOT NULL to {column.table}: every "
                "row's value is computed and checked under ACCESS EXCLUSIVE",
                fixes.virtual_not_null(column.table, col, ctx.pg_version)
                if column.table is not None and col.generated_sql is not None
                and _replaceable(stmt, column) else None)


def _not_null_hit(message: str, fix: Fix | None) -> Hit:
    """A hit with its fix, or the safe way in words when there is none."""
    return Hit(message=message, fix=fix, help="" if fix is not None else
               "Add a NOT VALID constraint that proves the column has no NULL, validate it in "
               "a later transaction, then make the column NOT NULL (no scan)")
