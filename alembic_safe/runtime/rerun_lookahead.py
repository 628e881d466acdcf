"""What a running migration does later: the constraints it attaches an index to.

The guard sees statements one at a time, as they run. To know whether a ``CREATE UNIQUE
INDEX ix`` is followed by ``ADD CONSTRAINT c ... USING INDEX ix``, the running function of
the revision (``upgrade`` or ``downgrade``) is rendered offline once, the way lint renders
it (Alembic's ``--sql`` mode, no database), and analyzed. This is asked only when a re-run
may have to skip such a build, never on an ordinary run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic.script import Script

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import (
    Action,
    AddConstraint,
    AnalysisContext,
    CreateIndex,
    Relation,
)
from alembic_safe.analysis.names import qualified_key
from alembic_safe.capture.errors import ScriptError
from alembic_safe.capture.offline import OfflineScript
from alembic_safe.runtime.guard import say


def _direction(script: Script) -> str:
    """``downgrade`` when the script's ``downgrade()`` is on the stack, else ``upgrade``."""
    downgrade = getattr(script.module, "downgrade", None)
    code = getattr(downgrade, "__code__", None)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return "downgrade"
        frame = frame.f_back  # type: ignore[assignment]
    return "upgrade"


class Lookahead:
    """The actions of one revision's running function, rendered offline on first use."""

    def __init__(self, script: Script, context: AnalysisContext) -> None:
        self._script = script
        self._context = AnalysisContext(pg_version=context.pg_version, in_transaction=True,
                                        default_schema=context.default_schema)
        self._actions: list[Action] | None = None

    def _rendered(self) -> list[Action]:
        if self._actions is None:
            direction = _direction(self._script)
            try:
                captured = OfflineScript(Path(self._script.path),
                                         pg_version=self._context.pg_version).render(direction)
            except ScriptError as exc:
                say(f"revision {self._script.revision}: cannot read ahead in {direction}() "
                    f"({exc}); indexes a later USING INDEX attaches are built again")
                captured = []
            analyzer = Analyzer(self._context)
            self._actions = [action for piece in captured for stmt in analyzer.feed(piece.sql)
                             for action in stmt.actions]
        return self._actions

    def attaching(self, table: Relation, index: str, schema: str) -> frozenset[str]:
        """The constraints that statements after the first ``CREATE INDEX index ON table``
        make from it with ``ADD CONSTRAINT ... USING INDEX index``."""
        key = qualified_key(table, schema)
        actions = self._rendered()
        built = next((i for i, a in enumerate(actions) if isinstance(a, CreateIndex)
                      and a.index == index and a.table is not None
                      and qualified_key(a.table, schema) == key), None)
        if built is None:
            return frozenset()
        return frozenset(
            a.constraint.name for a in actions[built + 1:]
            if isinstance(a, AddConstraint) and a.constraint.using_index == index
            and a.constraint.name is not None and a.table is not None
            and qualified_key(a.table, schema) == key)
