"""A table dropped and one created, written as a rename: when the model says so
(``renamed_from`` in the created table's info), or, with ``renames = "auto"``, when the two
are a probable pair (:mod:`.similar`) and neither has another. The renamed table is then
compared with the model as Alembic compares an existing table (columns, indexes, unique
constraints, foreign keys, comment), so what else changed still comes out."""

from __future__ import annotations

from alembic.operations import ops
from alembic.util import CommandError

from alembic_safe.autogenerate.allow import AllowOp
from alembic_safe.autogenerate.renames import notes, similar
from alembic_safe.autogenerate.renames import ops as rename_ops
from alembic_safe.autogenerate.renames.columns import rule_code
from alembic_safe.autogenerate.renames.database import Database
from alembic_safe.autogenerate.renames.hints import Hint, display, table_hint
from alembic_safe.autogenerate.renames.mapping import Renames, TableKey

Pair = tuple[ops.CreateTableOp, ops.DropTableOp, Hint | None]


class TableRenames:
    """Finds and writes the table renames of a migration."""

    def __init__(self, db: Database, renames: Renames, mode: str) -> None:
        self.db = db
        self.renames = renames
        self.mode = mode
        #: (schema as written, new name) of each table renamed
        self.renamed: list[tuple[str | None, str]] = []

    def _key(self, op: ops.CreateTableOp | ops.DropTableOp) -> TableKey:
        return self.renames.key(op.schema, op.table_name)

    def apply(self, upgrade_ops: ops.UpgradeOps) -> list[ops.MigrateOperation]:
        """Replace the renamed tables' creates and drops in ``upgrade_ops`` by what changes
        besides the name; the renames, to run before everything else."""
        top = upgrade_ops.ops
        creates = [op for op in top if isinstance(op, ops.CreateTableOp)]
        drops = {self._key(op): op for op in top if isinstance(op, ops.DropTableOp)}
        if not creates:
            return []
        pairs: list[Pair] = []
        hinted: dict[TableKey, Hint] = {}
        unhinted = []
        for create in creates:
            model = self.db.model_table(create.schema, create.table_name)
            hint = table_hint(model, create.schema) if model is not None else None
            if hint is None:
                unhinted.append(create)
                continue
            old = self.renames.key(create.schema, hint.old)
            if old in hinted:
                raise CommandError(f"{hinted[old].where} and {hint.where} both say they were "
                                   f"renamed from {hint.old!r}: keep one hint")
            hinted[old] = hint
            if old in drops:
                pairs.append((create, drops.pop(old), hint))
            else:
                still = self.db.model_table(create.schema, hint.old) is not None
                top.insert(top.index(create), notes.broken_hint(hint, still_modelled=still))
        if self.mode != "hint-only":
            pairs += self._probable(top, unhinted, list(drops.values()))
        front: list[ops.MigrateOperation] = []
        for create, drop, hint in pairs:
            front += self._rename(upgrade_ops, create, drop, hint)
        return front

    def _probable(self, top: list[ops.MigrateOperation], creates: list[ops.CreateTableOp],
                  drops: list[ops.DropTableOp]) -> list[Pair]:
        """Auto: the probable pairs; suggest: a note before each probable drop."""
        matches: dict[int, list[ops.DropTableOp]] = {}
        for create in creates:
            model = self.db.model_table(create.schema, create.table_name)
            if model is None:
                continue
            matches[id(create)] = [
                drop for drop in drops if self._key(drop)[0] == self._key(create)[0]
                and similar.same_columns(self.db.impl, list(drop.to_table().c), list(model.c))]
        pairs: list[Pair] = []
        for create in creates:
            found = matches.get(id(create), [])
            if len(found) != 1 or sum(found[0] in m for m in matches.values()) != 1:
                continue
            if self.mode == "auto":
                pairs.append((create, found[0], None))
                continue
            model = self.db.model_table(create.schema, create.table_name)
            assert model is not None
            top.insert(top.index(found[0]), notes.table_suggestion(
                create.schema, found[0].table_name, model))
        return pairs

    def _rename(self, upgrade_ops: ops.UpgradeOps, create: ops.CreateTableOp,
                drop: ops.DropTableOp, hint: Hint | None) -> list[ops.MigrateOperation]:
        schema, old, new = create.schema, drop.table_name, create.table_name
        top = upgrade_ops.ops
        for op in list(top):
            if op is drop or (isinstance(op, ops.ModifyTableOps) and self.renames.key(
                    op.schema, op.table_name) in (self._key(create), self._key(drop))):
                top.remove(op)
        self.renames.tables[self._key(drop)] = new
        self.renamed.append((schema, new))
        modify = self._compared(schema, old, new)
        at = top.index(create)
        top[at:at + 1] = [modify] if modify.ops else []
        reason = hint.reason() if hint is not None else notes.table_reason(schema, old, new)
        notes.renamed("table", display(schema, old), new, reason)
        written: list[ops.MigrateOperation] = []
        if hint is None:
            written.append(notes.auto_note(schema, None, old, new))
        written.append(AllowOp((rule_code("rename-table"),), reason,
                                          [rename_ops.RenameTableOp(old, new, schema=schema)]))
        return written

    def _compared(self, schema: str | None, old: str, new: str) -> ops.ModifyTableOps:
        """What Alembic finds between the database's table ``old`` and the model's ``new``,
        on ``new``: columns added, changed, dropped; then the table's comparators."""
        conn = self.db.reflect(schema, old)
        model = self.db.model_table(schema, new)
        assert model is not None
        autogen = self.db.autogen
        conn_columns = {c.name: c for c in conn.c if autogen.run_name_filters(
            c.name, "column", {"table_name": old, "schema_name": schema})}
        model_columns = [c for c in model.c if not c.system]
        written: list[ops.MigrateOperation] = []
        for column in model_columns:
            if column.name in conn_columns:
                continue
            if autogen.run_object_filters(column, column.name, "column", False, None):
                written.append(ops.AddColumnOp.from_column_and_tablename(schema, new, column))
        for column in model_columns:
            if column.name in conn_columns:
                changes = self.db.column_changes(schema, new, column.name,
                                                 conn_columns[column.name], column)
                if changes is not None:
                    written.append(changes)
        table_level = ops.ModifyTableOps(old, [], schema=schema)
        self.db.compare_table(table_level, schema, old, conn, model)
        for op in table_level.ops:
            if getattr(op, "table_name", None) == old:
                op.table_name = new  # type: ignore[attr-defined]
        written += table_level.ops
        kept = {c.name for c in model_columns}
        for name, column in conn_columns.items():
            if name not in kept and autogen.run_object_filters(column, name, "column", True,
                                                               None):
                written.append(ops.DropColumnOp.from_column_and_tablename(schema, new, column))
        return ops.ModifyTableOps(new, written, schema=schema)
