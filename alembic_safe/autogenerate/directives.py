"""The safe downgrade, put in place after Alembic reversed the upgrade.

Alembic computes a revision's downgrade by reversing its upgrade operations, after every
comparator ran, and no comparator sees it. The reverse of a safe upgrade is not always safe
(dropping a foreign key reverses to adding one that validates under lock), so the comparator
writes the downgrade itself (the original operations reversed, then made safe like the
upgrade), keeps it in the upgrade's ``info``, and wraps the migration context's
``process_revision_directives`` so the revision gets it before any user hook runs.
"""

from __future__ import annotations

from typing import Any

from alembic.operations.ops import MigrateOperation, UpgradeOps
from alembic.runtime.migration import MigrationContext

DOWNGRADE = "alembic_safe.downgrade"
_MARK = "_alembic_safe_downgrade"


def keep(upgrade_ops: UpgradeOps, downgrade: list[MigrateOperation]) -> None:
    """Remember ``downgrade`` as the safe downgrade of ``upgrade_ops``."""
    upgrade_ops.info[DOWNGRADE] = downgrade


def install(context: MigrationContext) -> None:
    """Wrap the context's ``process_revision_directives`` (once) to put each kept downgrade
    in place, then call the hook it had."""
    hook = context.opts.get("process_revision_directives")
    if getattr(hook, _MARK, False):
        return

    def process(migration_context: MigrationContext, revision: Any,
                directives: list[Any]) -> None:
        for script in directives:
            for up, down in zip(script.upgrade_ops_list, script.downgrade_ops_list,
                                strict=False):
                safe = up.info.pop(DOWNGRADE, None)
                if safe is not None:
                    down.ops[:] = safe
        if hook is not None:
            hook(migration_context, revision, directives)

    setattr(process, _MARK, True)
    context.opts["process_revision_directives"] = process
