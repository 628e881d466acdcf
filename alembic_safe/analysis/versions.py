"""Which PostgreSQL major a statement needs: features the parser (PostgreSQL 18's, through
pglast 8) accepts but older servers reject.

Only what the analyzer models is known here; any other newer syntax reaches the server, which
rejects it itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from alembic_safe.analysis.facts import (
    Action,
    AddColumn,
    AddConstraint,
    ColumnDef,
    ConstraintDef,
    ConstraintKind,
    CreateTable,
    OtherStatement,
    Requirement,
    SetSetting,
)

VIRTUAL_COLUMN = Requirement(
    18, "a virtual generated column (GENERATED ALWAYS AS (...) without STORED)",
    "write STORED (it rewrites an existing table: add a plain column and backfill instead); "
    "in SQLAlchemy Computed(..., persisted=True)")
NOT_NULL_CONSTRAINT = Requirement(
    18, "a NOT NULL table constraint (CONSTRAINT name NOT NULL column)",
    "use ALTER COLUMN ... SET NOT NULL after a validated CHECK (column IS NOT NULL)")
NOT_NULL_NOT_VALID = Requirement(
    18, "a NOT NULL constraint added NOT VALID",
    "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL")
NOT_ENFORCED = Requirement(
    18, "a NOT ENFORCED constraint", "drop NOT ENFORCED (or add the constraint NOT VALID)")
TRANSACTION_TIMEOUT = Requirement(
    17, "the transaction_timeout setting", "use statement_timeout and lock_timeout")
SET_EXPRESSION = Requirement(
    17, "ALTER COLUMN ... SET EXPRESSION",
    "drop the generated column and add it again with the new expression")


def required(actions: Iterable[Action]) -> Requirement | None:
    """The newest feature these actions use that some supported major lacks, else None."""
    return max(_requirements(actions), key=lambda found: found.major, default=None)


def _requirements(actions: Iterable[Action]) -> Iterator[Requirement]:
    for action in actions:
        if isinstance(action, AddColumn):
            yield from _column(action.column)
        elif isinstance(action, CreateTable):
            for col in action.columns:
                yield from _column(col)
            for con in action.constraints:
                yield from _constraint(con)
        elif isinstance(action, AddConstraint):
            yield from _constraint(action.constraint)
        elif isinstance(action, SetSetting) and action.name == "transaction_timeout":
            yield TRANSACTION_TIMEOUT
        elif isinstance(action, OtherStatement) and action.command == "SET EXPRESSION":
            yield SET_EXPRESSION


def _column(col: ColumnDef) -> Iterator[Requirement]:
    if col.generated_virtual:
        yield VIRTUAL_COLUMN
    for con in col.constraints:
        yield from _constraint(con)


def _constraint(con: ConstraintDef) -> Iterator[Requirement]:
    if con.kind is ConstraintKind.NOT_NULL:
        yield NOT_NULL_NOT_VALID if con.not_valid else NOT_NULL_CONSTRAINT
    elif con.not_enforced:
        yield NOT_ENFORCED
