"""The comparator that makes the proposed migration safe (see :mod:`..rewrite`).

It runs on Alembic's ``autogenerate`` target, last (``DispatchPriority.LAST``), when the
other comparators have filled ``upgrade_ops``, and only for PostgreSQL. A comparator rather
than ``process_revision_directives``: ``compare_metadata()`` and ``alembic check`` run the
comparators but not that hook, and they must list the operations the revision would hold.
The downgrade, which Alembic computes after the comparators, is put in place by
:mod:`..directives`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from alembic.util import CommandError, DispatchPriority, PriorityDispatchResult

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import MigrateOperation, UpgradeOps
    from alembic.runtime.plugins import Plugin


DEBUG_VARIABLE = "ALEMBIC_SAFE_DEBUG"


def safe_forms(autogen_context: AutogenContext, upgrade_ops: UpgradeOps
               ) -> PriorityDispatchResult:
    """Rewrite ``upgrade_ops`` into safe forms; prepare the matching safe downgrade. An
    unexpected error stops autogenerate with one line (Alembic's ``FAILED:``) rather than
    writing a revision that is not what it should be; ``ALEMBIC_SAFE_DEBUG=1`` shows it
    whole."""
    try:
        return _safe_forms(autogen_context, upgrade_ops)
    except CommandError:
        raise
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in ("", "0", "false", "no"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        raise CommandError(
            f"alembic-safe could not write the safe forms ({type(exc).__name__}: {first}), a "
            f"bug: run again with {DEBUG_VARIABLE}=1 for the traceback, or leave the plugin "
            "out with autogenerate_plugins=[..., '~alembic_safe']") from None


def _safe_forms(autogen_context: AutogenContext, upgrade_ops: UpgradeOps
                ) -> PriorityDispatchResult:
    from alembic_safe.autogenerate import directives
    from alembic_safe.autogenerate.options import options
    from alembic_safe.autogenerate.rewrite import SafeForms, name_constraints

    if not upgrade_ops.ops:
        return PriorityDispatchResult.CONTINUE
    chosen = options(autogen_context.migration_context)
    original = list(upgrade_ops.ops)
    name_constraints(original)
    upgrade_ops.ops[:] = SafeForms(chosen).rewrite(original)

    def downgrade() -> list[MigrateOperation] | None:
        """The operations as proposed, reversed as Alembic reverses them, made safe."""
        try:
            reversed_ops = [op.reverse() for op in reversed(original)]
        except (NotImplementedError, ValueError):  # an operation without a reverse
            return None
        return SafeForms(chosen, downgrade=True).rewrite(reversed_ops)

    directives.keep(upgrade_ops, downgrade)
    directives.install(autogen_context.migration_context)
    return PriorityDispatchResult.CONTINUE


def setup(plugin: Plugin) -> None:
    plugin.add_autogenerate_comparator(safe_forms, "autogenerate", qualifier="postgresql",
                                       priority=DispatchPriority.LAST)
