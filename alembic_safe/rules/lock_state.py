"""What each transaction holds and has set when a statement runs: its locks, and lock_timeout.

A transaction never waits for a lock it already holds in a mode that conflicts with everything
the new mode conflicts with: no other transaction can hold a conflicting lock meanwhile
(PostgreSQL's "Conflicting Lock Modes" table, :meth:`LockMode.covered_by`).
"""

from __future__ import annotations

from alembic_safe.analysis.facts import (
    LockMode,
    Relation,
    SetSetting,
    StatementFacts,
    TransactionControl,
)
from alembic_safe.config import duration_ms
from alembic_safe.errors import ConfigError
from alembic_safe.rules.base import Memo


class LocksHeld(Memo):
    """Per transaction: the modes held on each relation, as a conflict mask.

    ``ROLLBACK TO SAVEPOINT`` releases the locks taken after the savepoint; which ones is not
    tracked, so it forgets every lock of the transaction (a later statement may then be taken
    for one that can wait: never the other way round).
    """

    def __init__(self) -> None:
        self._held: dict[int, dict[Relation, int]] = {}

    def observe(self, stmt: StatementFacts) -> None:
        tx = stmt.transaction_id
        if tx is None:
            return
        if any(isinstance(a, TransactionControl) and a.command.upper() == "ROLLBACK TO"
               for a in stmt.actions):
            self._held.pop(tx, None)
            return
        held = self._held.setdefault(tx, {})
        for lock in stmt.locks:
            held[lock.relation] = held.get(lock.relation, 0) | lock.mode.conflicts

    def can_wait(self, stmt: StatementFacts, relation: Relation, mode: LockMode) -> bool:
        """Whether ``stmt``'s request of ``mode`` on ``relation`` can wait for another
        transaction: its own transaction does not already hold a mode that covers it."""
        if stmt.transaction_id is None:
            return True
        held = self._held.get(stmt.transaction_id, {}).get(relation, 0)
        return not mode.covered_by(held)


def _timeout_on(value: str | None) -> bool:
    """Whether a lock_timeout value set by SET enables a timeout (``0``/DEFAULT do not)."""
    if value is None:
        return False
    text = value.strip().strip("'\"").strip()
    if text.lower() == "default":
        return False
    try:
        return duration_ms(text) > 0
    except ConfigError:
        return True  # a value PostgreSQL accepts in a unit we do not parse


class LockTimeoutSet(Memo):
    """Whether earlier SET / SET LOCAL statements leave lock_timeout on."""

    def __init__(self) -> None:
        self.session = False
        self.local_in: int | None = None  # transaction whose SET LOCAL enabled it

    def observe(self, stmt: StatementFacts) -> None:
        for action in stmt.actions:
            if not isinstance(action, SetSetting) or action.name.lower() != "lock_timeout":
                continue
            on = _timeout_on(action.value)
            if action.local:
                self.local_in = stmt.transaction_id if on else None
            else:
                self.session, self.local_in = on, None

    def in_effect(self, stmt: StatementFacts) -> bool:
        """Whether lock_timeout is on when ``stmt`` runs."""
        return self.session or (self.local_in is not None
                                and self.local_in == stmt.transaction_id)
