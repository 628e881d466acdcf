"""AS1xx: index builds, drops and rebuilds."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import (
    AlterEnum,
    CreateIndex,
    DropObject,
    Reindex,
    StatementFacts,
)
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions


@rule(
    code="AS101",
    name="create-index-not-concurrent",
    on=(CreateIndex,),
    category=Category.LOCK,
    summary="CREATE INDEX without CONCURRENTLY on an existing table",
    what="`CREATE [UNIQUE] INDEX` on a table that already exists, without `CONCURRENTLY`.",
    why=(
        "A plain index build takes a SHARE lock on the table for the whole build: every INSERT, "
        "UPDATE and DELETE waits until the index is complete, which takes minutes on a large "
        "table. Reads keep working, writes stall."
    ),
    instead=(
        "1. Build the index with `CREATE INDEX CONCURRENTLY` (SHARE UPDATE EXCLUSIVE: writes keep "
        "working). It cannot run inside a transaction block, so in Alembic put it in "
        "`op.get_context().autocommit_block()`.\n"
        "2. If the build fails or is cancelled it leaves an INVALID index behind: drop it with "
        "`DROP INDEX CONCURRENTLY` and build it again (`IF NOT EXISTS` would skip the invalid "
        "index silently).\n"
        "Indexes on tables created in the same migration are fine as they are."
    ),
    sql_example=("CREATE INDEX ix_claims_status ON claims (status);", ""),
    op_example=('op.create_index("ix_claims_status", "claims", ["status"])', ""),
    seen_in=(
        "squawk require-concurrent-index-creation",
        "strong_migrations add_index",
        "django-pg-zero-downtime-migrations (rewritten to CONCURRENTLY)",
        "Eugene E6",
        "Atlas PG101",
    ),
)
def create_index_not_concurrent(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, CreateIndex):
        if action.concurrently or action.only:
            continue
        name = action.index or "index"
        unique = "UNIQUE " if action.unique else ""
        yield Hit(
            message=f"CREATE {unique}INDEX {name} on {action.table} takes a SHARE lock that "
            "blocks all writes to the table until the build ends",
            fix=fixes.index_build(action) if action.table is not None else None,
            help="" if action.table is not None else "Build it concurrently, outside a "
            "transaction",
        )


@rule(
    code="AS102",
    name="drop-index-not-concurrent",
    on=(DropObject,),
    category=Category.BRIEF_LOCK,
    summary="DROP INDEX without CONCURRENTLY",
    what="`DROP INDEX` of an index of an existing table, without `CONCURRENTLY`.",
    why=(
        "A plain DROP INDEX takes ACCESS EXCLUSIVE on the table: reads and writes wait. The drop "
        "itself is quick, but the lock request queues behind any long-running query and every "
        "later query queues behind it."
    ),
    instead=(
        "Drop it with `DROP INDEX CONCURRENTLY` (SHARE UPDATE EXCLUSIVE), outside a transaction "
        "block: in Alembic inside `autocommit_block()`."
    ),
    sql_example=("DROP INDEX ix_claims_status;", ""),
    op_example=('op.drop_index("ix_claims_status", table_name="claims")', ""),
    seen_in=("squawk require-concurrent-index-deletion", "strong_migrations remove_index (opt-in)",
             "Atlas PG102"),
)
def drop_index_not_concurrent(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, DropObject):
        if action.object_kind != "index" or action.concurrently:
            continue
        # CONCURRENTLY drops one index and cannot CASCADE
        cascade = action.cascade or action.table is None
        yield Hit(
            message=f"DROP INDEX {action.table} takes ACCESS EXCLUSIVE on its table: reads and "
            "writes wait behind it",
            fix=fixes.index_drop(action.table) if action.table is not None and not cascade
            else None,
            help="DROP INDEX CONCURRENTLY cannot CASCADE: drop what depends on the index "
            "first, then drop the index concurrently, outside a transaction" if cascade else "",
        )


@rule(
    code="AS103",
    name="concurrently-in-transaction",
    category=Category.WILL_FAIL,
    summary="A statement that cannot run in a transaction block runs in one",
    what=(
        "`CREATE/DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `DETACH PARTITION ... "
        "CONCURRENTLY`, `VACUUM` and similar statements inside a transaction block."
    ),
    why=(
        "PostgreSQL refuses them: `ERROR: ... cannot run inside a transaction block`. The "
        "migration fails at run time, after the earlier statements of its transaction ran and "
        "rolled back."
    ),
    instead=(
        "Run the statement outside the transaction: in a `.sql` file after `COMMIT` (or in a "
        "file without `BEGIN`); in Alembic inside `op.get_context().autocommit_block()`, which "
        "commits the migration's transaction first. Make what runs there idempotent (a rerun "
        "after a failure starts again from the top)."
    ),
    sql_example=(
        "BEGIN;\nCREATE INDEX CONCURRENTLY ix_claims_status ON claims (status);\nCOMMIT;", "",
    ),
    op_example=(
        'op.create_index("ix_claims_status", "claims", ["status"], postgresql_concurrently=True)',
        "",
    ),
    seen_in=("squawk ban-concurrent-index-creation-in-transaction",
             "strong_migrations (disable_ddl_transaction!)"),
)
def concurrently_in_transaction(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if not (stmt.requires_no_transaction and stmt.in_transaction):
        return
    if any(isinstance(a, AlterEnum) for a in stmt.actions):
        return  # AS701 explains ADD VALUE before PostgreSQL 12
    yield Hit(
        message=f"{stmt.kind} cannot run inside a transaction block: PostgreSQL rejects it",
        fix=fixes.outside_transaction(stmt),
    )


@rule(
    code="AS104",
    name="reindex-not-concurrent",
    on=(Reindex,),
    category=Category.LOCK,
    summary="REINDEX without CONCURRENTLY",
    what="`REINDEX INDEX|TABLE|SCHEMA|DATABASE` without `CONCURRENTLY`.",
    why=(
        "A plain REINDEX takes ACCESS EXCLUSIVE on the index (queries that would use it wait) "
        "and SHARE on the table (writes wait) for the whole rebuild."
    ),
    instead=(
        "Use `REINDEX ... CONCURRENTLY` (PostgreSQL 12+), outside a transaction block: in "
        "Alembic inside `autocommit_block()` with `op.execute`."
    ),
    sql_example=("REINDEX INDEX ix_claims_status;", ""),
    op_example=('op.execute("REINDEX INDEX ix_claims_status")', ""),
    seen_in=("squawk require-concurrent-reindex", "django-pg-zero-downtime-migrations"),
)
def reindex_not_concurrent(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, Reindex):
        if action.concurrently:
            continue
        kind = action.target_kind.upper()
        fix = fixes.reindex(action)
        yield Hit(
            message=f"REINDEX {kind} {action.table} blocks writes (and reads that use the index) "
            "until the rebuild ends",
            fix=fix,
            help="" if fix is not None else "REINDEX SYSTEM has no CONCURRENTLY form: rebuild "
            "the catalog indexes in a maintenance window, outside the migration",
        )
