"""Builders of StatementFacts for rule tests (the analyzer's output, written by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic_safe.analysis.facts import (
    Action,
    AnalysisContext,
    Lock,
    LockMode,
    Position,
    Relation,
    StatementFacts,
)
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding, OptOut

#: every rule of the catalog, style included (the default selection leaves style out)
EVERY_RULE = Settings(select=("ALL",))

T = Relation("claims")
USERS = Relation("users")


def lock(relation: Relation = T, mode: LockMode = LockMode.ACCESS_EXCLUSIVE,
         *, new: bool = False) -> Lock:
    return Lock(relation, mode, is_new=new)


def stmt(
    *actions: Action,
    kind: str = "ALTER TABLE",
    locks: tuple[Lock, ...] = (),
    txn: int | None = None,
    sql: str = "",
    comments: tuple[str, ...] = (),
    requires_no_transaction: bool = False,
    parse_error: str | None = None,
) -> StatementFacts:
    """One statement; ``txn`` given = inside that transaction."""
    return StatementFacts(
        sql=sql or kind, index=0, position=Position(1, 1), kind=kind, actions=actions,
        locks=locks, in_transaction=txn is not None, transaction_id=txn, comments=comments,
        requires_no_transaction=requires_no_transaction, parse_error=parse_error,
    )


@dataclass
class Case:
    """Statements to check, and whether ``code`` must fire on them."""

    id: str
    code: str
    stmts: list[StatementFacts]
    fires: bool
    pg_version: int = 15
    lock_timeout_managed: bool = False
    optouts: list[OptOut] = field(default_factory=list)


def run(stmts: list[StatementFacts], *, pg_version: int = 15, settings: Settings | None = None,
        lock_timeout_managed: bool = False, optouts: list[OptOut] | None = None,
        ) -> list[Finding]:
    """Check ``stmts`` in order (every rule unless ``settings`` say otherwise), renumbering
    index and line so positions are distinct."""
    context = AnalysisContext(pg_version=pg_version, lock_timeout_managed=lock_timeout_managed)
    checker = Checker(settings or EVERY_RULE, context, path="m.sql", optouts=optouts or ())
    numbered = [
        StatementFacts(**{**s.__dict__, "index": i, "position": Position(i + 1, 1)})
        for i, s in enumerate(stmts)
    ]
    return checker.check_all(numbered)
