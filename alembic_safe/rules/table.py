"""AS4xx: whole-table operations that hold a strong lock for their whole run."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import (
    LockMode,
    LockTable,
    StatementFacts,
    TableRewriteCommand,
    Truncate,
)
from alembic_safe.config import NEWEST_PG
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions, strong_locks


def _commands(stmt: StatementFacts, prefix: str) -> Iterator[TableRewriteCommand]:
    for action in actions(stmt, TableRewriteCommand):
        if action.command.upper().startswith(prefix) and not action.concurrently:
            yield action


_REPACK = (
    "Use pg_repack (or pg_squeeze) outside the migration: it rebuilds the table online and "
    "takes ACCESS EXCLUSIVE only briefly at the end."
)


@rule(
    code="AS401",
    name="vacuum-full",
    on=(TableRewriteCommand,),
    category=Category.REWRITE,
    summary="VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
    what="`VACUUM FULL` of an existing table.",
    why="It copies the whole table and rebuilds its indexes under ACCESS EXCLUSIVE: no reads, "
    "no writes until it ends. It also needs free disk space for a full copy.",
    instead=_REPACK + " A plain `VACUUM` (no FULL) reclaims space for reuse without blocking.",
    sql_example=("VACUUM FULL claims;", ""),
    op_example=(
        "with op.get_context().autocommit_block():\n    op.execute(\"VACUUM FULL claims\")", "",
    ),
    seen_in=("squawk prefer-repack",),
)
def vacuum_full(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _commands(stmt, "VACUUM FULL"):
        yield Hit(
            message=f"VACUUM FULL {action.table} rewrites it under ACCESS EXCLUSIVE",
            fix=fixes.vacuum(action.table) if action.table is not None else None,
            help="" if action.table is not None else "A plain VACUUM (no FULL), or pg_repack "
            "outside the migration",
        )


@rule(
    code="AS402",
    name="cluster",
    on=(TableRewriteCommand,),
    category=Category.REWRITE,
    summary="CLUSTER rewrites the table under ACCESS EXCLUSIVE",
    what="`CLUSTER` of an existing table.",
    why="It rewrites the table in index order and rebuilds every index under ACCESS "
    "EXCLUSIVE: no reads, no writes until it ends.",
    instead=_REPACK + " `pg_repack --order-by` reorders rows the way CLUSTER does.",
    sql_example=("CLUSTER claims USING ix_claims_status;",
                 "-- outside the migration: pg_repack --table claims --order-by status"),
    op_example=('op.execute("CLUSTER claims USING ix_claims_status")',
                "# run pg_repack --table claims --order-by status outside the migration"),
    seen_in=("squawk prefer-repack",),
)
def cluster(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _commands(stmt, "CLUSTER"):
        yield Hit(
            message=f"CLUSTER {action.table} rewrites it under ACCESS EXCLUSIVE",
            help="Reorder the rows with pg_repack --order-by outside the migration: it "
            "rebuilds the table online",
        )


@rule(
    code="AS403",
    name="set-logged-unlogged",
    on=(TableRewriteCommand,),
    category=Category.REWRITE,
    summary="SET LOGGED / SET UNLOGGED rewrites the table",
    what="`ALTER TABLE ... SET LOGGED` or `SET UNLOGGED` on an existing table.",
    why="The table is rewritten (and, for SET LOGGED, written to the WAL in full) under ACCESS "
    "EXCLUSIVE: no reads, no writes until it ends.",
    instead="Decide persistence when the table is created. To change it on a live table, create "
    "a new table with the wanted persistence, copy in batches, and swap names in a short "
    "transaction.",
    sql_example=("ALTER TABLE events SET LOGGED;",
                 "CREATE TABLE events_new (LIKE events INCLUDING ALL);"),
    op_example=('op.execute("ALTER TABLE events SET LOGGED")',
                'op.execute("CREATE TABLE events_new (LIKE events INCLUDING ALL)")'),
    seen_in=("Eugene E10 (rewrite under ACCESS EXCLUSIVE)",),
)
def set_logged_unlogged(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in (*_commands(stmt, "SET LOGGED"), *_commands(stmt, "SET UNLOGGED")):
        yield Hit(
            message=f"{action.command} on {action.table} rewrites it under ACCESS EXCLUSIVE",
            help="Create a new table with the wanted persistence, copy in batches, swap names",
        )


@rule(
    code="AS404",
    name="set-tablespace",
    on=(TableRewriteCommand,),
    category=Category.REWRITE,
    summary="SET TABLESPACE copies the table under ACCESS EXCLUSIVE",
    what="`ALTER TABLE ... SET TABLESPACE` on an existing table.",
    why="Every data file is copied to the new tablespace under ACCESS EXCLUSIVE: no reads, no "
    "writes until the copy ends.",
    instead="Use `pg_repack --tablespace` outside the migration, which moves the table online.",
    sql_example=("ALTER TABLE claims SET TABLESPACE fast_ssd;",
                 "-- outside the migration: pg_repack --table claims --tablespace fast_ssd"),
    op_example=('op.execute("ALTER TABLE claims SET TABLESPACE fast_ssd")',
                "# run pg_repack --table claims --tablespace fast_ssd outside the migration"),
    seen_in=("Eugene E10 (rewrite under ACCESS EXCLUSIVE)",),
)
def set_tablespace(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _commands(stmt, "SET TABLESPACE"):
        yield Hit(
            message=f"SET TABLESPACE on {action.table} copies it under ACCESS EXCLUSIVE",
            help="Move the table with pg_repack --tablespace outside the migration: it copies "
            "the table online",
        )


@rule(
    code="AS405",
    name="lock-table",
    on=(LockTable,),
    category=Category.BRIEF_LOCK,
    summary="LOCK TABLE in a mode that blocks writes",
    what="An explicit `LOCK TABLE` in SHARE mode or stronger on an existing table.",
    why="The lock blocks writes (ACCESS EXCLUSIVE, the default mode, blocks reads too) until "
    "the transaction ends; every later statement of the migration runs while it is held.",
    instead="Avoid explicit locks in migrations. If one is needed, take it last, keep the "
    "transaction short, and set `lock_timeout` first so the request gives up instead of "
    "queueing every other query behind it.",
    sql_example=("LOCK TABLE claims;",
                 "SET lock_timeout = '3s';\nLOCK TABLE claims IN SHARE UPDATE EXCLUSIVE MODE;"),
    op_example=('op.execute("LOCK TABLE claims")',
                'op.execute("SET LOCAL lock_timeout = \'3s\'")\n'
                'op.execute("LOCK TABLE claims IN SHARE UPDATE EXCLUSIVE MODE")'),
    seen_in=("Eugene E4 (lock held across statements)",),
)
def lock_table(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, LockTable):
        if action.mode >= LockMode.SHARE:
            yield Hit(
                message=f"LOCK TABLE {action.table} IN {action.mode.label} MODE blocks "
                f"{'reads and writes' if action.mode.blocks_reads else 'writes'} until commit",
                help="Drop the explicit lock, or take a weaker one last in a short transaction "
                "after SET lock_timeout",
            )


@rule(
    code="AS406",
    name="truncate",
    on=(Truncate,),
    category=Category.DATA_LOSS,
    summary="TRUNCATE deletes every row under ACCESS EXCLUSIVE",
    what="`TRUNCATE` of an existing table.",
    why="It removes all rows (no WHERE, not undoable after commit) and takes ACCESS EXCLUSIVE, "
    "blocking every read and write of the table while it waits and runs.",
    instead="If the data really must go, delete in batches (`DELETE ... WHERE id BETWEEN ...`) "
    "or drop the table in a later release once no code uses it. Opt out with a reason for "
    "tables that are truncated by design (staging tables).",
    sql_example=("TRUNCATE claims;", "DELETE FROM claims WHERE id BETWEEN 1 AND 10000;"),
    op_example=('op.execute("TRUNCATE claims")',
                'op.execute("DELETE FROM claims WHERE id BETWEEN 1 AND 10000")'),
    seen_in=("Eugene (ACCESS EXCLUSIVE)", "Atlas DS (destructive changes)"),
)
def truncate(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, Truncate):
        yield Hit(
            message=f"TRUNCATE {action.table} deletes every row under ACCESS EXCLUSIVE",
            help="Delete in batches, or opt out with the reason this table may be emptied",
        )


@rule(
    code="AS407",
    name="refresh-materialized-view-not-concurrent",
    category=Category.LOCK,
    summary="REFRESH MATERIALIZED VIEW without CONCURRENTLY",
    what="`REFRESH MATERIALIZED VIEW` of an existing view without `CONCURRENTLY`.",
    why="The refresh holds ACCESS EXCLUSIVE on the view for the whole query: every read of the "
    "view waits.",
    instead="1. Give the view a unique index (once).\n2. `REFRESH MATERIALIZED VIEW "
    "CONCURRENTLY` (EXCLUSIVE: reads keep working).",
    sql_example=("REFRESH MATERIALIZED VIEW claim_totals;", ""),
    op_example=('op.execute("REFRESH MATERIALIZED VIEW claim_totals")', ""),
    seen_in=("Eugene (ACCESS EXCLUSIVE)",),
)
def refresh_materialized_view(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if stmt.kind != "REFRESH MATERIALIZED VIEW":
        return
    for relation, _mode in strong_locks(stmt, LockMode.ACCESS_EXCLUSIVE):
        yield Hit(
            message=f"REFRESH MATERIALIZED VIEW {relation} blocks every read of it until done",
            fix=fixes.refresh_concurrently(relation),
        )


@rule(
    code="AS408",
    name="detach-partition-not-concurrent",
    on=(TableRewriteCommand,),
    category=Category.BRIEF_LOCK,
    summary="DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+)",
    what="`ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY` on PostgreSQL 14 or later.",
    why="A plain detach takes ACCESS EXCLUSIVE on the parent table: every query on any "
    "partition waits.",
    instead="`DETACH PARTITION ... CONCURRENTLY` (SHARE UPDATE EXCLUSIVE), outside a "
    "transaction block: in Alembic inside `autocommit_block()`.",
    sql_example=("ALTER TABLE events DETACH PARTITION events_2020;", ""),
    op_example=('op.execute("ALTER TABLE events DETACH PARTITION events_2020")', ""),
    pg_versions=(14, NEWEST_PG),
    seen_in=("squawk require-concurrent-partition-detach",),
)
def detach_partition(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in _commands(stmt, "DETACH PARTITION"):
        fix = fixes.detach_concurrently(action.table, action.partition) \
            if action.table is not None and action.partition is not None \
            and len(stmt.actions) == 1 else None
        yield Hit(
            message=f"DETACH PARTITION on {action.table} takes ACCESS EXCLUSIVE on the parent",
            fix=fix,
            help="" if fix is not None else "Detach it on its own with CONCURRENTLY, outside a "
            "transaction",
        )

