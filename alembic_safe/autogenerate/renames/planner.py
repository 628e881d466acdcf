"""The renames of one autogenerate run, put together.

1. Tables (:mod:`.tables`): a renamed table's drop and create become ``op.rename_table`` and
   what else differs between the renamed table and the model.
2. Columns (:mod:`.columns`), in every table: a renamed column's drop and add become
   ``op.alter_column(..., new_column_name=...)`` and the column's other changes.
3. The drops and creates of indexes and constraints that the renames make unnecessary go, or
   become renames of what was named after the old names (:mod:`.pairs`), and so do the
   dependents Alembic does not compare (:mod:`.dependents`).

The renames come first in the migration, before any operation that uses the new names; the
safe forms (:mod:`alembic_safe.autogenerate.rewrite`) then take over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic.operations import ops

from alembic_safe.autogenerate.options import Options
from alembic_safe.autogenerate.renames import dependents
from alembic_safe.autogenerate.renames.columns import ColumnRenames
from alembic_safe.autogenerate.renames.database import Database
from alembic_safe.autogenerate.renames.mapping import Renames, TableKey
from alembic_safe.autogenerate.renames.pairs import Pairs
from alembic_safe.autogenerate.renames.tables import TableRenames

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


def plan(autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, chosen: Options
         ) -> None:
    """Write the renames of ``upgrade_ops`` (``chosen.settings.renames``: the mode)."""
    mode = chosen.settings.renames
    db = Database(autogen_context, chosen.default_schema, chosen.pg_version)
    renames = Renames(chosen.default_schema)
    tables = TableRenames(db, renames, mode)
    front: list[ops.MigrateOperation] = tables.apply(upgrade_ops)
    #: the schema each affected table is written with, and what runs first on it
    groups: dict[TableKey, tuple[str | None, str, list[ops.MigrateOperation]]] = {
        renames.key(schema, new): (schema, new, []) for schema, new in tables.renamed}
    columns = ColumnRenames(db, renames, mode)
    for modify in [op for op in upgrade_ops.ops if isinstance(op, ops.ModifyTableOps)]:
        written = columns.apply(modify)
        if written:
            key = renames.key(modify.schema, modify.table_name)
            groups.setdefault(key, (modify.schema, modify.table_name, []))[2].extend(written)
    if not renames:
        return
    pairs = Pairs(db, renames)
    for modify in [op for op in upgrade_ops.ops if isinstance(op, ops.ModifyTableOps)]:
        pairs.resolve(modify)
    for schema, table, written in groups.values():
        written += dependents.renamed_with(db, renames, schema, table, pairs.handled)
    front += [ops.ModifyTableOps(table, written, schema=schema)
              for schema, table, written in groups.values() if written]
    upgrade_ops.ops[:] = front + [op for op in upgrade_ops.ops if not (
        isinstance(op, ops.ModifyTableOps) and not op.ops)]

