"""An opt-out written by autogenerate: ``with alembic_safe.allow(rule, reason=...):`` around
operations that a model hint asked for (a rename), so the runtime guard, lint and the
safe-forms rewrite let them run and print why.

:class:`AllowOp` is a container (:class:`~alembic.operations.ops.OpContainer`): Alembic's
``as_diffs()`` lists what it holds, a user's Rewriter walks into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alembic.autogenerate.render import render_op, renderers
from alembic.operations import Operations
from alembic.operations.ops import MigrateOperation, OpContainer

from alembic_safe.findings import Finding, OptOut

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


class AllowOp(OpContainer):
    """Operations run inside ``alembic_safe.allow(*rules, reason=reason)``."""

    def __init__(self, rules: Sequence[str], reason: str,
                 ops: Sequence[MigrateOperation] = ()) -> None:
        super().__init__(ops)
        self.rules = tuple(rules)
        self.reason = reason

    def reverse(self) -> AllowOp:
        return AllowOp(self.rules, self.reason, [op.reverse() for op in reversed(self.ops)])

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("allow", self.rules, [op.to_diff_tuple() for op in self.ops])

    @property
    def optouts(self) -> tuple[OptOut, ...]:
        """The opt-outs the block declares, as the checker takes them."""
        return tuple(OptOut(rule=rule, reason=self.reason, source="allow()")
                     for rule in self.rules)


def optouts_of(op: MigrateOperation) -> tuple[OptOut, ...]:
    """The opt-outs that cover what ``op`` runs (none unless it is an :class:`AllowOp`)."""
    return op.optouts if isinstance(op, AllowOp) else ()


def settled(op: MigrateOperation, finding: Finding) -> bool:
    """The script answers ``finding`` already: an opt-out covers it, or ``op`` says in its own
    note what the rule would (``noted_rules``: e.g. the enum type swap flags its rewrite)."""
    return finding.allowed_by is not None or finding.rule in getattr(op, "noted_rules", ())


@renderers.dispatch_for(AllowOp)
def _allow(autogen_context: AutogenContext, op: AllowOp) -> list[str]:
    body = [line.replace("\n", "\n    ") for child in op.ops
            for line in render_op(autogen_context, child)]
    if not body:
        return []
    autogen_context.imports.add("import alembic_safe")
    rules = ", ".join(repr(rule) for rule in op.rules)
    # the empty line ends the block (Mako's PythonPrinter dedents on it)
    return [f"with alembic_safe.allow({rules}, reason={op.reason!r}):", *body, ""]


@Operations.implementation_for(AllowOp)
def allow(operations: Operations, operation: AllowOp) -> None:
    from alembic_safe.runtime.allow import allow as allowed

    with allowed(*operation.rules, reason=operation.reason):
        for child in operation.ops:
            operations.invoke(child)
