"""The safe downgrade, put in place after Alembic reversed the upgrade.

Alembic computes a revision's downgrade by reversing its upgrade operations, after every
comparator ran, and no comparator sees it. The reverse of a safe upgrade is not always safe
(dropping a foreign key reverses to adding one that validates under lock), so the downgrade
is written from the operations as proposed: reversed, then made safe like the upgrade. The
comparator keeps how to write it in the upgrade's ``info`` and wraps the migration context's
``process_revision_directives``, which writes it for a revision before any user hook runs
(``alembic check`` and ``compare_metadata()`` never render a downgrade: it is not written for
them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.operations.ops import MigrateOperation, UpgradeOps
from alembic.runtime.migration import MigrationContext

from alembic_safe.runtime.check_command import is_check_command

DOWNGRADE = "alembic_safe.downgrade"
_MARK = "_alembic_safe_downgrade"

Downgrade = Callable[[], list[MigrateOperation] | None]


def keep(upgrade_ops: UpgradeOps, downgrade: Downgrade) -> None:
    """Remember how to write the safe downgrade of ``upgrade_ops`` (None: keep Alembic's)."""
    upgrade_ops.info[DOWNGRADE] = downgrade


def install(context: MigrationContext) -> None:
    """Wrap the context's ``process_revision_directives`` (once) to put each kept downgrade
    in place, then call the hook it had."""
    hook = context.opts.get("process_revision_directives")
    if getattr(hook, _MARK, False):
        return

    def process(migration_context: MigrationContext, revision: Any,
                directives: list[Any]) -> None:
        environment = migration_context.environment_context
        writes = environment is None or not is_check_command(environment)
        for script in directives:
            for up, down in zip(script.upgrade_ops_list, script.downgrade_ops_list,
                                strict=False):
                write = up.info.pop(DOWNGRADE, None)
                safe = write() if write is not None and writes else None
                if safe is not None:
                    down.ops[:] = safe
        if hook is not None:
            hook(migration_context, revision, directives)

    setattr(process, _MARK, True)
    context.opts["process_revision_directives"] = process
