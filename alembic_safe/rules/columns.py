"""AS2xx: adding and altering columns."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    ConstraintKind,
    Relation,
    SetNotNull,
    StatementFacts,
    Volatility,
)
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions, ident, op_name, rel, schema_kw


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
    sql_example=(
        "ALTER TABLE claims ADD COLUMN region text NOT NULL;",
        "ALTER TABLE claims ADD COLUMN region text NOT NULL DEFAULT 'eu';",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("region", sa.Text(), nullable=False))',
        'op.add_column("claims", sa.Column("region", sa.Text(), nullable=False, '
        "server_default=\"eu\"))",
    ),
    seen_in=("squawk adding-required-field", "Atlas MF103"),
)
def add_column_not_null_without_default(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        col = action.column
        if not col.not_null or col.has_default:
            continue
        if col.serial or col.identity or col.generated_stored or col.generated_virtual:
            continue  # these fill every row themselves (AS204/AS203/AS206 cover the cost)
        yield Hit(
            message=f"ADD COLUMN {col.name} {col.type_name} NOT NULL on {action.table} has no "
            "default: it fails on a table that has rows",
            help=f"Add it with a constant default (`ALTER TABLE {rel(action.table)} ADD COLUMN "
            f"{ident(col.name)} {col.type_name} NOT NULL DEFAULT <constant>`), or add it "
            "nullable, backfill with alembic_safe.backfill(...), then set NOT NULL via a "
            "validated CHECK",
            # inline constraints would be lost by re-adding the column bare
            fix=fixes.column_expand(action.table, col.name, col.type_sql, ctx.pg_version)
            if action.table is not None and col.type_sql and not col.constraints else None,
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
    sql_example=(
        "ALTER TABLE claims ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE claims ADD COLUMN token uuid;\n"
        "ALTER TABLE claims ALTER COLUMN token SET DEFAULT gen_random_uuid();",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("token", sa.Uuid(), '
        'server_default=sa.text("gen_random_uuid()")))',
        'op.add_column("claims", sa.Column("token", sa.Uuid()))\n'
        'op.alter_column("claims", "token", server_default=sa.text("gen_random_uuid()"))',
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
        table = rel(action.table)
        yield Hit(
            message=f"ADD COLUMN {col.name} on {action.table} has a {kind} default: PostgreSQL "
            "rewrites the table under ACCESS EXCLUSIVE",
            help=f"`ALTER TABLE {table} ADD COLUMN {ident(col.name)} {col.type_name}`, then "
            f"`ALTER TABLE {table} ALTER COLUMN {ident(col.name)} SET DEFAULT <expression>`, "
            "then backfill existing rows with alembic_safe.backfill(...)",
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
        "ALTER TABLE claims ADD COLUMN total numeric GENERATED ALWAYS AS (net + tax) STORED;",
        "ALTER TABLE claims ADD COLUMN total numeric;",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("total", sa.Numeric(), sa.Computed("net + tax")))',
        'op.add_column("claims", sa.Column("total", sa.Numeric()))',
    ),
    seen_in=("strong_migrations add_column_generated_stored", "Eugene E11"),
)
def add_column_stored_generated(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        if action.column.generated_stored:
            yield Hit(
                message=f"stored generated column {action.column.name} on {action.table} "
                "rewrites the table under ACCESS EXCLUSIVE",
                help=f"Add {action.column.name} as a plain column, fill new rows with a trigger "
                "and backfill old rows with alembic_safe.backfill(...)",
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
    sql_example=(
        "ALTER TABLE claims ADD COLUMN seq bigserial;",
        "ALTER TABLE claims ADD COLUMN seq bigint;\nCREATE SEQUENCE claims_seq_seq OWNED BY "
        "claims.seq;\nALTER TABLE claims ALTER COLUMN seq SET DEFAULT nextval('claims_seq_seq');",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("seq", sa.BigInteger(), sa.Identity()))',
        'op.add_column("claims", sa.Column("seq", sa.BigInteger()))\n'
        'op.execute("CREATE SEQUENCE claims_seq_seq OWNED BY claims.seq")\n'
        'op.alter_column("claims", "seq", server_default=sa.text("nextval(\'claims_seq_seq\')"))',
    ),
    seen_in=("squawk adding-serial-primary-key-field",
             "strong_migrations add_column_auto_incrementing", "Eugene E11"),
)
def add_column_serial_or_identity(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AddColumn):
        col = action.column
        if col.serial or col.identity:
            kind = "serial" if col.serial else "identity"
            yield Hit(
                message=f"{kind} column {col.name} added to {action.table}: filling existing "
                "rows rewrites the table under ACCESS EXCLUSIVE",
                help=f"Add {ident(col.name)} as a nullable bigint, attach a sequence as its "
                "default, backfill with alembic_safe.backfill(...)",
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
    sql_example=(
        "ALTER TABLE claims ALTER COLUMN amount TYPE numeric(12, 2);",
        "ALTER TABLE claims ADD COLUMN amount_v2 numeric(12, 2);",
    ),
    op_example=(
        'op.alter_column("claims", "amount", type_=sa.Numeric(12, 2))',
        'op.add_column("claims", sa.Column("amount_v2", sa.Numeric(12, 2)))',
    ),
    seen_in=("squawk changing-column-type", "strong_migrations change_column", "Eugene E5",
             "Atlas PG301"),
)
def alter_column_type(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, AlterColumnType):
        if action.rewrite_free:
            continue
        old = f" from {action.old_type}" if action.old_type else ""
        yield Hit(
            message=f"changing {action.table}.{action.column}{old} to {action.new_type} rewrites "
            "the table and its indexes under ACCESS EXCLUSIVE",
            help=f"Add a new column `{ident(action.column)}_new {action.new_type}`, backfill it "
            "with alembic_safe.backfill(...), switch the code over, then drop the old column",
            fix=fixes.type_change_expand(action.table, action.column, action.new_type_sql)
            if action.table is not None and action.new_type_sql else None,
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
    sql_example=(
        "ALTER TABLE claims ALTER COLUMN region SET NOT NULL;",
        "ALTER TABLE claims ADD CONSTRAINT claims_region_not_null "
        "CHECK (region IS NOT NULL) NOT VALID;\n"
        "COMMIT;\n"
        "ALTER TABLE claims VALIDATE CONSTRAINT claims_region_not_null;\n"
        "ALTER TABLE claims ALTER COLUMN region SET NOT NULL;\n"
        "ALTER TABLE claims DROP CONSTRAINT claims_region_not_null;",
    ),
    op_example=(
        'op.alter_column("claims", "region", nullable=False)',
        'op.create_check_constraint("claims_region_not_null", "claims", "region IS NOT NULL", '
        "postgresql_not_valid=True)\n"
        "with op.get_context().autocommit_block():\n"
        '    op.execute("ALTER TABLE claims VALIDATE CONSTRAINT claims_region_not_null")\n'
        'op.alter_column("claims", "region", nullable=False)\n'
        'op.drop_constraint("claims_region_not_null", "claims")',
    ),
    seen_in=("squawk adding-not-nullable-field", "strong_migrations change_column_null",
             "django-pg-zero-downtime-migrations (rewritten via CHECK)", "Atlas PG303"),
)
def set_not_null(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, SetNotNull):
        if action.has_validated_not_null_check and ctx.pg_version >= 12:
            continue
        yield Hit(
            message=f"SET NOT NULL on {action.table}.{action.column} scans the whole table under "
            "ACCESS EXCLUSIVE",
            help=_not_null_help(action.table, action.column, ctx.pg_version),
            fix=fixes.set_not_null(action.table, action.column, ctx.pg_version)
            if action.table is not None else None,
        )
    for added in actions(stmt, AddConstraint):
        con = added.constraint
        if con.kind is ConstraintKind.NOT_NULL and not con.not_valid and con.columns:
            yield Hit(
                message=f"ADD CONSTRAINT ... NOT NULL {con.columns[0]} on {added.table} scans "
                "the whole table under ACCESS EXCLUSIVE",
                help=_not_null_help(added.table, con.columns[0], ctx.pg_version, con.name),
                fix=fixes.set_not_null(added.table, con.columns[0], ctx.pg_version)
                if added.table is not None else None,
            )
    for column in actions(stmt, AddColumn):
        col = column.column
        if col.generated_virtual and col.not_null:
            yield Hit(
                message=f"virtual generated column {col.name} added NOT NULL to {column.table}: "
                "every row's value is computed and checked under ACCESS EXCLUSIVE",
                help=f"Add {ident(col.name)} without NOT NULL, then "
                + _not_null_help(column.table, col.name, ctx.pg_version),
            )


def _not_null_help(table: Relation | None, column: str, pg_version: int,
                   name: str | None = None) -> str:
    """The safe way to make ``table.column`` NOT NULL on ``pg_version``."""
    sql = rel(table)
    check = name or f"{table.name if table else 't'}_{column}_not_null"
    if pg_version >= 18:
        return (
            f"`ALTER TABLE {sql} ADD CONSTRAINT {ident(check)} NOT NULL {ident(column)} NOT "
            f"VALID` (no scan); in a later transaction `ALTER TABLE {sql} VALIDATE CONSTRAINT "
            f"{ident(check)}` (scans without blocking writes): the column is then NOT NULL. "
            f"Alembic: op.execute(...) with these statements, the VALIDATE inside "
            "op.get_context().autocommit_block()"
        )
    return (
        f"`ALTER TABLE {sql} ADD CONSTRAINT {ident(check)} CHECK "
        f"({ident(column)} IS NOT NULL) NOT VALID`; in a later transaction "
        f"`ALTER TABLE {sql} VALIDATE CONSTRAINT {ident(check)}`; then SET NOT NULL and "
        f"drop the CHECK. Alembic: op.create_check_constraint(\"{check}\", "
        f"{op_name(table)}, \"{column} IS NOT NULL\"{schema_kw(table)}, "
        "postgresql_not_valid=True)"
    )
