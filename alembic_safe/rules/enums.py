"""AS7xx: enum types."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import AlterEnum, StatementFacts
from alembic_safe.config import NEWEST_PG, OLDEST_PG
from alembic_safe.rules import fixes
from alembic_safe.rules.base import Category, Hit, RuleContext, rule
from alembic_safe.rules.helpers import actions


def _added_values(stmt: StatementFacts) -> Iterator[AlterEnum]:
    for action in actions(stmt, AlterEnum):
        if action.add_value is not None:
            yield action


def _outside(action: AlterEnum, message: str) -> Hit:
    """A hit on an ADD VALUE inside a transaction: its fix adds the value outside it."""
    fix = fixes.enum_value_outside(action) if action.table is not None else None
    return Hit(message=message, fix=fix, help="" if fix is not None else
               "Add the value outside the transaction, with IF NOT EXISTS")


@rule(
    code="AS701",
    name="enum-add-value-in-transaction",
    on=(AlterEnum,),
    category=Category.WILL_FAIL,
    summary="ALTER TYPE ... ADD VALUE inside a transaction block before PostgreSQL 12",
    what="`ALTER TYPE ... ADD VALUE` inside a transaction block, on PostgreSQL 11 or older.",
    why="Before PostgreSQL 12 the statement is rejected inside a transaction block "
    "(`ALTER TYPE ... ADD cannot run inside a transaction block`): the migration fails.",
    instead="Run it outside the transaction: in Alembic inside `autocommit_block()`, with "
    "`IF NOT EXISTS` so a rerun is harmless.",
    sql_example=("BEGIN;\nALTER TYPE claim_status ADD VALUE 'disputed';\nCOMMIT;", ""),
    op_example=('op.execute("ALTER TYPE claim_status ADD VALUE \'disputed\'")', ""),
    pg_versions=(10, 11),
    seen_in=("alembic#123 (autocommit_block)", "schemainspect can_be_changed_to"),
)
def enum_add_value_in_transaction(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if not stmt.in_transaction:
        return
    for action in _added_values(stmt):
        yield _outside(action, f"ADD VALUE {action.add_value!r} to {action.table} cannot run "
                       f"inside a transaction block on PostgreSQL {ctx.pg_version}")


@rule(
    code="AS702",
    name="enum-value-unusable-until-commit",
    on=(AlterEnum,),
    category=Category.CONDITIONAL,
    summary="A value added to an enum inside a transaction cannot be used before commit",
    what="`ALTER TYPE ... ADD VALUE` of an existing enum inside a transaction block "
    "(PostgreSQL 12+).",
    why="PostgreSQL accepts it, but the new value cannot be used until the transaction commits "
    "(`unsafe use of new value`): a later statement of the same transaction that inserts, "
    "updates to or compares with it fails. Alembic runs every migration of one `alembic "
    "upgrade` in one transaction unless `transaction_per_migration` is set, so the use may be "
    "in a later migration the analyzer does not see with this one; when it fails, the "
    "transaction rolls back and nothing is lost.",
    instead="Add the value in its own step, outside the migration's transaction "
    "(`autocommit_block()`, with `IF NOT EXISTS`), and use it in a later statement or "
    "migration.",
    sql_example=("BEGIN;\nALTER TYPE claim_status ADD VALUE 'disputed';\nCOMMIT;", ""),
    op_example=('op.execute("ALTER TYPE claim_status ADD VALUE \'disputed\'")', ""),
    pg_versions=(OLDEST_PG, NEWEST_PG),
    seen_in=("PostgreSQL docs ALTER TYPE notes", "alembic-postgresql-enum#133/#137"),
)
def enum_value_unusable_until_commit(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if not stmt.in_transaction:
        return
    for action in _added_values(stmt):
        yield _outside(action, f"value {action.add_value!r} added to {action.table} inside a "
                       "transaction cannot be used until it commits")
