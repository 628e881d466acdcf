"""AS807-AS810: transaction hygiene: nesting, locks held across statements, unclosed input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    CreateIndex,
    DropColumn,
    DropConstraint,
    DropNotNull,
    LockMode,
    ModifyRows,
    OtherStatement,
    Reindex,
    Relation,
    Rename,
    SetColumnDefault,
    SetSetting,
    StatementFacts,
    TransactionControl,
)
from alembic_safe.rules.base import Category, Hit, Memo, RuleContext, rule
from alembic_safe.rules.helpers import actions, strong_locks


def _real(stmt: StatementFacts) -> bool:
    """A statement that does work (not only BEGIN/COMMIT/SET)."""
    return any(not isinstance(a, (TransactionControl, SetSetting)) for a in stmt.actions)


class TransactionsStarted(Memo):
    """The transactions that earlier statements ran in."""

    def __init__(self) -> None:
        self.ids: set[int] = set()

    def observe(self, stmt: StatementFacts) -> None:
        if stmt.transaction_id is not None:
            self.ids.add(stmt.transaction_id)


@rule(
    code="AS807",
    name="transaction-nesting",
    on=(TransactionControl,),
    category=Category.CONDITIONAL,
    summary="BEGIN inside a transaction that is already open",
    what="`BEGIN` / `START TRANSACTION` while a transaction is already open (in an Alembic "
    "migration, which runs in a transaction, or after an earlier BEGIN).",
    why="PostgreSQL ignores the nested BEGIN with a warning, and the next COMMIT ends the outer "
    "transaction: statements meant to be atomic with Alembic's version update are committed "
    "early. If a later statement fails, the migration stays half applied while "
    "`alembic_version` still names the previous revision, and a rerun fails on what the "
    "committed part created.",
    instead="Remove the BEGIN/COMMIT: Alembic already runs the migration in a transaction; use "
    "`autocommit_block()` for statements that must run outside it.",
    sql_example=("BEGIN;\nALTER TABLE claims ADD COLUMN note text;\nBEGIN;\nCOMMIT;",
                 "BEGIN;\nALTER TABLE claims ADD COLUMN note text;\nCOMMIT;"),
    op_example=('op.execute("BEGIN")\nop.add_column("claims", sa.Column("note", sa.Text()))',
                'op.add_column("claims", sa.Column("note", sa.Text()))'),
    seen_in=("squawk transaction-nesting",),
    memos=(TransactionsStarted,),
)
def transaction_nesting(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    begins = [a for a in actions(stmt, TransactionControl, existing=False)
              if a.command.upper() in ("BEGIN", "START TRANSACTION")]
    if begins and stmt.transaction_id in ctx.memo(TransactionsStarted).ids:
        yield Hit(
            message=f"{begins[0].command} while a transaction is already open: the next COMMIT "
            "ends the outer transaction",
            help="Remove the nested BEGIN/COMMIT; use autocommit_block() for statements that "
            "must run outside the migration's transaction",
        )


@dataclass
class _Held:
    """The first ACCESS EXCLUSIVE lock on an existing table in one transaction."""

    relation: Relation
    line: int
    followed: bool = False  # a statement that makes the lock last longer ran after it
    outlasted: bool = False  # ... and one of them did work that grows with a table's size


#: actions that only change the catalog: instant once the table's lock is held
_CATALOG_ONLY = (AddColumn, DropColumn, DropNotNull, SetColumnDefault, Rename, DropConstraint,
                 AddConstraint, SetSetting, TransactionControl)
_CATALOG_COMMANDS = frozenset({"COMMENT", "GRANT", "REVOKE"})


def _extends_the_lock(stmt: StatementFacts, held: Relation) -> bool:
    """Whether ``stmt`` makes the holder of ACCESS EXCLUSIVE on ``held`` wait longer: it reads,
    writes or rewrites rows, validates, builds, does unknown work, or waits for a lock on
    another existing relation. Catalog-only changes (a comment, another column) are instant."""
    if not _real(stmt):
        return False
    if stmt.rewrites or stmt.scans or stmt.validates_constraint:
        return True
    for action in stmt.actions:
        command = action.command if isinstance(action, OtherStatement) else None
        if isinstance(action, AlterColumnType) and action.rewrite_free:
            continue  # a binary-coercible type change (a longer varchar) is catalog-only
        if not isinstance(action, _CATALOG_ONLY) and command not in _CATALOG_COMMANDS:
            return True
    return any(lock.relation != held and not lock.is_new for lock in stmt.locks)


def _long_work(stmt: StatementFacts, held: Relation) -> Relation | None:
    """An existing relation other than ``held`` on which ``stmt`` does work that grows with its
    size: a scan or validation, a rewrite, an index build, a refresh, or a change of every row
    (or of rows a query selects). None when there is none."""
    existing = {lock.relation for lock in stmt.locks if not lock.is_new}
    candidates: list[Relation | None] = [*stmt.rewrites, *stmt.scans]
    candidates += [a.table for a in actions(stmt, CreateIndex) if not a.concurrently]
    candidates += [a.table for a in actions(stmt, Reindex) if not a.concurrently]
    changes = list(actions(stmt, ModifyRows, existing=False))
    candidates += [a.table for a in changes if a.command != "INSERT" and not a.has_where]
    if any(a.from_select for a in changes):  # INSERT ... SELECT: as long as its query
        candidates += [lock.relation for lock in stmt.locks]
    candidates += [a.table for a in actions(stmt, OtherStatement)
                   if a.command == "REFRESH MATERIALIZED VIEW"]
    return next((r for r in candidates if r is not None and r != held and r in existing), None)


class AccessExclusiveHeld(Memo):
    """Per transaction: the first ACCESS EXCLUSIVE lock taken, and what work followed it."""

    def __init__(self) -> None:
        self.by_transaction: dict[int, _Held] = {}

    def observe(self, stmt: StatementFacts) -> None:
        if stmt.transaction_id is None:
            return
        held = self.by_transaction.get(stmt.transaction_id)
        if held is not None:
            held.followed = held.followed or _extends_the_lock(stmt, held.relation)
            held.outlasted = held.outlasted or _long_work(stmt, held.relation) is not None
        else:
            for relation, _ in strong_locks(stmt, LockMode.ACCESS_EXCLUSIVE):
                held = self.by_transaction[stmt.transaction_id] = _Held(
                    relation, stmt.position.line)
                break
        if held is None:
            return
        for action in actions(stmt, Rename, existing=False):
            if action.object_kind == "table" and action.table == held.relation:
                # the locked table under its new name: still the same table
                held.relation = Relation(action.new_name, held.relation.schema)


@rule(
    code="AS808",
    name="statements-after-access-exclusive",
    category=Category.BRIEF_LOCK,
    summary="More statements in the transaction after an ACCESS EXCLUSIVE lock was taken",
    what="A statement that runs in the same transaction after an earlier statement took ACCESS "
    "EXCLUSIVE on an existing table, and makes that lock last longer without work that grows "
    "with a table's size: it waits for a lock on another existing table, changes some rows, "
    "or runs code the analyzer does not see into (reported once per transaction). "
    "Catalog-only changes of the locked table (a comment, another column, a default) are "
    "instant and not reported; a scan, rewrite, index build or full data change of another "
    "table is AS810, an error.",
    why="The lock is held until commit. While the statement waits in another table's lock "
    "queue (behind a long query there), every read and write of the locked table waits as "
    "well; `lock_timeout`, which the runtime guard sets, bounds that wait.",
    instead="Put the statement that takes ACCESS EXCLUSIVE last in its transaction, or commit "
    "right after it (in Alembic: split the migration, or move the rest into a later one).",
    sql_example=(
        "BEGIN;\nALTER TABLE claims ADD COLUMN note text;\n"
        "ALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;",
        "ALTER TABLE claims ADD COLUMN note text;\n"
        "ALTER TABLE users ADD COLUMN nickname text;",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("note", sa.Text()))\n'
        'op.add_column("users", sa.Column("nickname", sa.Text()))',
        'op.add_column("claims", sa.Column("note", sa.Text()))\n'
        "# users' column in the next migration (env.py: transaction_per_migration=True)",
    ),
    seen_in=("Eugene E4 (lock held across statements)",),
    memos=(AccessExclusiveHeld,),
)
def statements_after_access_exclusive(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if stmt.transaction_id is None:
        return
    held = ctx.memo(AccessExclusiveHeld).by_transaction.get(stmt.transaction_id)
    if held is None or held.followed or not _extends_the_lock(stmt, held.relation):
        return  # no lock held, already reported, or nothing that makes the lock last longer
    relation = held.relation
    if _long_work(stmt, relation) is not None:
        return  # AS810 reports it
    if any(a.table == relation for a in actions(stmt, ModifyRows)):
        return  # a data change of the locked table: AS601 reports it
    yield Hit(
        message=f"runs while ACCESS EXCLUSIVE on {relation} (taken at line "
        f"{held.line}) is held: reads and writes of {relation} wait for it too",
        help=f"Commit right after the statement that locks {relation}, or move it last in "
        "the transaction",
    )


@rule(
    code="AS810",
    name="long-work-after-access-exclusive",
    category=Category.LOCK,
    summary="A scan, rewrite, index build or full data change of another table while an "
    "ACCESS EXCLUSIVE lock is held",
    what="A statement that runs in the same transaction after an earlier statement took ACCESS "
    "EXCLUSIVE on an existing table, and does work on another existing table that grows with "
    "its size: a scan or validation, a rewrite, an index build, a materialized view refresh, "
    "a change of every row or an `INSERT ... SELECT` (reported once per transaction). Such "
    "work on the locked table itself is reported by its own rule (AS101, AS206, AS302, "
    "AS601, ...).",
    why="The lock is held until commit, so every read and write of the locked table waits for "
    "the whole of that work: a catalog change of one table that takes milliseconds becomes an "
    "outage as long as an index build or backfill of another, and `lock_timeout` does not "
    "bound it (the lock is already held).",
    instead="Commit right after the statement that takes ACCESS EXCLUSIVE (in Alembic: split "
    "the migration, or run the long work inside `autocommit_block()`, which commits first), "
    "and give the long work its non-blocking form: `CONCURRENTLY`, `NOT VALID` + `VALIDATE`, "
    "a batched backfill.",
    sql_example=(
        "BEGIN;\nALTER TABLE claims ADD COLUMN note text;\n"
        "CREATE INDEX ix_users_email ON users (email);\nCOMMIT;",
        "BEGIN;\nALTER TABLE claims ADD COLUMN note text;\nCOMMIT;\n"
        "CREATE INDEX CONCURRENTLY ix_users_email ON users (email);",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("note", sa.Text()))\n'
        'op.create_index("ix_users_email", "users", ["email"])',
        'op.add_column("claims", sa.Column("note", sa.Text()))\n'
        "with op.get_context().autocommit_block():\n"
        '    op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)',
    ),
    seen_in=("Eugene E4 (lock held across statements)",
             "Eugene E10 (rewrite while holding ACCESS EXCLUSIVE)"),
    memos=(AccessExclusiveHeld,),
)
def long_work_after_access_exclusive(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if stmt.transaction_id is None:
        return
    held = ctx.memo(AccessExclusiveHeld).by_transaction.get(stmt.transaction_id)
    if held is None or held.outlasted:
        return  # no lock held, or already reported in this transaction
    worked_on = _long_work(stmt, held.relation)
    if worked_on is None:
        return
    relation = held.relation
    yield Hit(
        message=f"works through {worked_on} while ACCESS EXCLUSIVE on {relation} (taken at "
        f"line {held.line}) is held: every read and write of {relation} waits for the whole "
        "of it",
        help=f"Commit right after the statement that locks {relation} (Alembic: split the "
        "migration or use autocommit_block()), and run this in its non-blocking form",
    )


def _reported_at_end(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    """Found by the checker at the end of the input (``Checker.finish``), not per statement."""
    return iter(())


rule(
    code="AS809",
    name="uncommitted-transaction",
    category=Category.WILL_FAIL,
    summary="The input opens a transaction and never commits it",
    what="A `.sql` file (run outside Alembic's transaction) with a `BEGIN` that no `COMMIT` or "
    "`ROLLBACK` closes before the end of the file.",
    why="psql and most runners roll an open transaction back when the session ends: the "
    "migration reports success and changes nothing, or holds its locks until the connection "
    "closes.",
    instead="End the file with `COMMIT;` (or remove the `BEGIN` when the runner manages "
    "transactions).",
    sql_example=("BEGIN;\nALTER TABLE claims ADD COLUMN note text;",
                 "BEGIN;\nALTER TABLE claims ADD COLUMN note text;\nCOMMIT;"),
    op_example=('op.execute("BEGIN")\nop.add_column("claims", sa.Column("note", sa.Text()))',
                'op.add_column("claims", sa.Column("note", sa.Text()))'),
    seen_in=("squawk ban-uncommitted-transaction",),
)(_reported_at_end)
