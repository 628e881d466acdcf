"""The enum comparator: native PostgreSQL enum types follow the model.

It runs on Alembic's ``schema`` target after the table comparators (so the proposed
``create_table`` / ``add_column`` / ``drop_column`` operations are known) and before the
safe-forms comparator, which checks what it adds like everything else. For the tables
autogenerate compares:

* a new type is created once, before the first operation that uses it (a new table, a new
  column of an existing table, a type change), and the columns written leave its creation to
  alembic-safe (``create_type=False``);
* a type no column uses any more is dropped after the last operation that stops using it;
* values added in the model are added in place (``ADD VALUE ... BEFORE/AFTER``, in the model's
  order), in an autocommit block (a value added in a transaction cannot be used before it
  commits; PostgreSQL 11 refuses it there); values renamed by a hint are renamed in place,
  inside the runtime guard's opt-out naming the hint; values removed or reordered need the type
  swap (:mod:`..enums.swap`), which the runtime guard stops until the user decides;
* a type change of a column to an enum creates the type first and casts through text.

The database's enums come from one catalog query (:mod:`..enums.catalog`). When
alembic-postgresql-enum is imported as well, this comparator stands down: that plugin writes
the enum operations, never both.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from alembic.util import CommandError, DispatchPriority, PriorityDispatchResult

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import UpgradeOps
    from alembic.runtime.plugins import Plugin

#: the module alembic-postgresql-enum registers its comparator from (on import)
OTHER_PLUGIN = "alembic_postgresql_enum"
STAND_DOWN = ("alembic-safe: alembic-postgresql-enum is imported in env.py, so it writes the "
              "enum changes and alembic-safe's enum support stands down (its value changes "
              "recreate the type and rewrite every column, which the runtime guard refuses); "
              "see the Enums section of the autogenerate docs to switch")


def compare_enums(autogen_context: AutogenContext, upgrade_ops: UpgradeOps,
                  schemas: set[str | None]) -> PriorityDispatchResult:
    """Add the enum operations the model asks for to ``upgrade_ops``."""
    if autogen_context.connection is None:
        return PriorityDispatchResult.CONTINUE
    if OTHER_PLUGIN in sys.modules:
        print(STAND_DOWN, file=sys.stderr, flush=True)
        return PriorityDispatchResult.CONTINUE
    from alembic_safe.autogenerate.enums.changes import EnumChanges, EnumError

    try:
        EnumChanges(autogen_context, schemas).apply(upgrade_ops.ops)
    except EnumError as exc:
        raise CommandError(f"alembic-safe: {exc}") from None
    return PriorityDispatchResult.CONTINUE


def setup(plugin: Plugin) -> None:
    # operations, renderers and implementations register as their modules load
    from alembic_safe.autogenerate import allow  # noqa: F401
    from alembic_safe.autogenerate.enums import render, toimpl  # noqa: F401

    plugin.add_autogenerate_comparator(compare_enums, "schema", qualifier="postgresql",
                                       priority=DispatchPriority.LAST)
