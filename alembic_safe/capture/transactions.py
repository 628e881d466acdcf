"""Whether an offline (``as_sql``) migration is inside its transaction right now.

Alembic writes ``BEGIN``/``COMMIT`` to the script (``autocommit_block()`` writes a ``COMMIT``
before the block and a ``BEGIN`` after it) but keeps no state saying where it is. The hooks
that see those calls (lint's capture, the ``--sql`` guard) record it here for code that must
know, such as the offline backfill.
"""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

from alembic.ddl.impl import DefaultImpl

_TRACKED: WeakKeyDictionary[DefaultImpl, Callable[[], bool]] = WeakKeyDictionary()


def track(impl: DefaultImpl, in_transaction: Callable[[], bool]) -> None:
    """Record how to tell whether ``impl``'s offline script is inside a transaction."""
    _TRACKED[impl] = in_transaction


def in_transaction(impl: DefaultImpl) -> bool | None:
    """Whether ``impl``'s offline script is inside a transaction; None when not tracked."""
    tracked = _TRACKED.get(impl)
    return tracked() if tracked is not None else None
