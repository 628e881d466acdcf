"""Small helpers shared by the rule families: typed action lookup, strong locks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from alembic_safe.analysis.facts import Action, LockMode, Relation, StatementFacts

A = TypeVar("A", bound=Action)


def actions(stmt: StatementFacts, kind: type[A], *, existing: bool = True) -> Iterator[A]:
    """The statement's actions of type ``kind``; only those on existing objects by default."""
    for action in stmt.actions:
        if isinstance(action, kind) and (not existing or not action.is_new):
            yield action


def strong_locks(
    stmt: StatementFacts, minimum: LockMode = LockMode.SHARE
) -> Iterator[tuple[Relation, LockMode]]:
    """Locks of at least ``minimum`` on relations that existed before this input."""
    for lock in stmt.locks:
        if lock.mode >= minimum and not lock.is_new:
            yield lock.relation, lock.mode
