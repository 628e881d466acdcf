"""AS6xx: data changes (backfills) in migrations."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import LockMode, ModifyRows, Relation, StatementFacts
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, Memo, RuleContext, rule
from alembic_safe.rules.helpers import actions, strong_locks

_BACKFILL = (
    "Use `alembic_safe.backfill(...)`: it updates rows in batches by key range, each batch in "
    "its own short transaction outside the DDL transaction, and resumes where it stopped when "
    "interrupted."
)


def _backfills(stmt: StatementFacts) -> Iterator[ModifyRows]:
    """Row changes that copy or rewrite data: UPDATE, DELETE, MERGE, INSERT ... SELECT."""
    for action in actions(stmt, ModifyRows):
        if action.command != "INSERT" or action.from_select:
            yield action


class RowsChanged(Memo):
    """Per transaction: the existing tables an unbatched UPDATE, DELETE or MERGE changed while
    no strong lock on them was held yet (the command and its line). The row locks of the rows
    it changed are held until commit."""

    def __init__(self) -> None:
        self.by_transaction: dict[int, dict[Relation, tuple[str, int]]] = {}
        self._strong = StrongLocksHeld()

    def observe(self, stmt: StatementFacts) -> None:
        if stmt.transaction_id is None:
            return
        locked = self._strong.by_transaction.get(stmt.transaction_id, {})
        changed = self.by_transaction.setdefault(stmt.transaction_id, {})
        for action in _backfills(stmt):
            if (action.command != "INSERT" and not action.batched
                    and action.table is not None and action.table not in locked):
                changed.setdefault(action.table, (action.command, stmt.position.line))
        for relation, _mode in strong_locks(stmt):
            changed.pop(relation, None)  # reported once, at the first strong lock after it
        self._strong.observe(stmt)


class StrongLocksHeld(Memo):
    """Per transaction: each existing table locked SHARE or stronger, with the strongest mode
    the first statement that locked it took, and that statement's line."""

    def __init__(self) -> None:
        self.by_transaction: dict[int, dict[Relation, tuple[LockMode, int]]] = {}

    def observe(self, stmt: StatementFacts) -> None:
        if stmt.transaction_id is None:
            return
        locked = self.by_transaction.setdefault(stmt.transaction_id, {})
        taken: dict[Relation, LockMode] = {}
        for relation, mode in strong_locks(stmt):
            if relation not in locked:
                taken[relation] = max(mode, taken.get(relation, mode))
        locked.update((relation, (mode, stmt.position.line)) for relation, mode in taken.items())


@rule(
    code="AS601",
    name="backfill-in-ddl-transaction",
    category=Category.LOCK,
    summary="Data change in the transaction that holds a DDL lock on the same table",
    what="A data change and a schema change of the same existing table in one transaction, in "
    "either order:\n"
    "- `UPDATE`, `DELETE`, `MERGE` or `INSERT ... SELECT` on a table that an earlier "
    "statement of the transaction locked in SHARE mode or stronger (ALTER TABLE, CREATE "
    "INDEX, ...);\n"
    "- a statement that locks a table in SHARE mode or stronger after an `UPDATE`, `DELETE` "
    "or `MERGE` of the same transaction changed its rows without batching (reported at the "
    "schema change, naming the data change's line).",
    why="A DDL lock is held until commit, so a backfill after it runs while every write (often "
    "every read) of the table waits: a schema change of milliseconds becomes an outage as "
    "long as the backfill. Before it, the backfill's row locks on every row it changed are "
    "held until commit just the same: through the DDL's wait for its lock and its run, "
    "writers of those rows wait, and a writer that already holds its own lock on the table "
    "deadlocks with the DDL.",
    instead="1. Commit the schema change (in Alembic: end the migration here), or commit the "
    "data change before the schema change.\n"
    "2. Backfill in a separate step. " + _BACKFILL,
    sql_example=(
        "BEGIN;\nALTER TABLE claims ADD COLUMN region text;\n"
        "UPDATE claims SET region = 'eu';\nCOMMIT;", "",
    ),
    op_example=(
        'op.add_column("claims", sa.Column("region", sa.Text()))\n'
        'op.execute("UPDATE claims SET region = \'eu\'")', "",
    ),
    seen_in=("strong_migrations backfilling data (writes_blocked?)", "Eugene E4"),
    memos=(StrongLocksHeld, RowsChanged),
)
def backfill_in_ddl_transaction(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if stmt.transaction_id is None:
        return
    locked = ctx.memo(StrongLocksHeld).by_transaction.get(stmt.transaction_id, {})
    for action in _backfills(stmt):
        held = locked.get(action.table) if action.table is not None else None
        if held is not None:
            mode, line = held
            yield Hit(
                message=f"{action.command} on {action.table} runs in the transaction that "
                f"holds {mode.label} on it (statement at line {line}): "
                f"{'reads and writes' if mode.blocks_reads else 'writes'} wait for the "
                "whole data change",
                fix=fixes.data_change_after_commit(stmt, action)
                if len(stmt.actions) == 1 else None,
                help="" if len(stmt.actions) == 1 else "Commit the schema change first, then "
                "change the data (an UPDATE in batches with alembic_safe.backfill(...))",
            )
    changed = ctx.memo(RowsChanged).by_transaction.get(stmt.transaction_id, {})
    for relation, mode in strong_locks(stmt):
        before = changed.get(relation)
        if before is not None:
            command, line = before
            yield Hit(
                message=f"{stmt.kind} takes {mode.label} on {relation} in the transaction "
                f"whose {command} at line {line} changed its rows: the row locks of every row "
                "changed are held until commit, through this statement's lock wait and run "
                "(writers of those rows wait; one that holds its lock on the table deadlocks "
                "with it)",
                help="Commit the data change before the schema change (in Alembic: a migration "
                "of its own, or alembic_safe.backfill(...) in an autocommit block), or commit "
                "the schema change first and backfill after it",
            )


@rule(
    code="AS602",
    name="unbatched-backfill",
    on=(ModifyRows,),
    category=Category.LOCK,
    summary="UPDATE of every row in one statement",
    what="`UPDATE` without a `WHERE` clause (and without batching) on an existing table.",
    why="One statement rewrites every row in one transaction: it holds a row lock on each of "
    "them until the transaction ends, so every UPDATE and DELETE the application makes on the "
    "table waits for the whole statement, a time that grows with the table. It also doubles "
    "the table's size until vacuum runs, and cannot resume when interrupted.",
    instead=_BACKFILL + " By hand: `UPDATE ... WHERE id >= :lo AND id < :hi` in a loop, "
    "committing after each batch.",
    sql_example=("UPDATE claims SET region = 'eu';", ""),
    op_example=('op.execute("UPDATE claims SET region = \'eu\'")', ""),
    seen_in=("strong_migrations backfilling data", "pgroll (batched backfills)"),
)
def unbatched_backfill(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in actions(stmt, ModifyRows):
        if action.command == "UPDATE" and not action.has_where and not action.batched:
            fix = fixes.batched_update(action) if action.table is not None \
                and action.assignments is not None and len(stmt.actions) == 1 else None
            yield Hit(
                message=f"UPDATE of every row of {action.table} in one statement and one "
                "transaction",
                fix=fix,
                help="" if fix is not None else "Batch it by key range, each batch committed on "
                "its own (alembic_safe.backfill(...) does this and resumes)",
            )
