"""The comparator that writes renames (see :mod:`alembic_safe.autogenerate.renames`).

It runs on Alembic's ``autogenerate`` target, last (``DispatchPriority.LAST``) but before the
safe-forms comparator: Alembic's comparators have proposed a drop and an add, the renames
replace them, and the safe forms then apply to what the renamed column or table still needs
(a type, NOT NULL...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic.util import DispatchPriority, PriorityDispatchResult

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import UpgradeOps
    from alembic.runtime.plugins import Plugin


def renames(autogen_context: AutogenContext, upgrade_ops: UpgradeOps
            ) -> PriorityDispatchResult:
    """Write the renames of ``upgrade_ops``, as the ``renames`` setting says."""
    from alembic_safe.autogenerate.options import options
    from alembic_safe.autogenerate.renames.planner import plan

    if upgrade_ops.ops:
        plan(autogen_context, upgrade_ops,
             options(autogen_context.migration_context, warn=False))
    return PriorityDispatchResult.CONTINUE


def setup(plugin: Plugin) -> None:
    # the rename operations, their renderers and implementations register as they load
    from alembic_safe.autogenerate.renames import render, toimpl  # noqa: F401

    plugin.add_autogenerate_comparator(renames, "autogenerate", qualifier="postgresql",
                                       priority=DispatchPriority.LAST)
