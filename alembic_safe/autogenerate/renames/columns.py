"""A column dropped and one added in the same table, written as a rename: when the model says
so (``renamed_from`` on the added column), or, with ``renames = "auto"``, when the pair is the
only one of the table and probable (:mod:`.similar`). Suggest mode leaves a probable pair as
Alembic wrote it, with a note; a hint that names no dropped column gets a note too."""

from __future__ import annotations

from alembic.operations import ops
from alembic.util import CommandError

from alembic_safe.autogenerate.allow import AllowOp
from alembic_safe.autogenerate.renames import notes, similar
from alembic_safe.autogenerate.renames import ops as rename_ops
from alembic_safe.autogenerate.renames.database import Database
from alembic_safe.autogenerate.renames.hints import Hint, column_hint, display
from alembic_safe.autogenerate.renames.mapping import Renames
from alembic_safe.rules import find_rule


def rule_code(name: str) -> str:
    """The code of a rule named ``name`` (what ``alembic_safe.allow`` is written with)."""
    rule = find_rule(name)
    assert rule is not None, name
    return rule.code


class ColumnRenames:
    """Finds and writes the column renames of one table's ModifyTableOps."""

    def __init__(self, db: Database, renames: Renames, mode: str) -> None:
        self.db = db
        self.renames = renames
        self.mode = mode

    def apply(self, modify: ops.ModifyTableOps) -> list[ops.MigrateOperation]:
        """Take the renamed columns' drops and adds out of ``modify``; the renames (and the
        changes of the renamed columns), to run before everything else."""
        schema, table = modify.schema, modify.table_name
        adds = [op for op in modify.ops if isinstance(op, ops.AddColumnOp)]
        drops = {op.column_name: op for op in modify.ops if isinstance(op, ops.DropColumnOp)}
        if not adds:
            return []
        pairs: list[tuple[ops.AddColumnOp, ops.DropColumnOp, Hint | None]] = []
        hinted: dict[str, Hint] = {}
        for add in adds:
            hint = column_hint(add.column, schema, table)
            if hint is None:
                continue
            if hint.old in hinted:
                raise CommandError(f"{hinted[hint.old].where} and {hint.where} both say they "
                                   f"were renamed from {hint.old!r}: keep one hint")
            hinted[hint.old] = hint
            if hint.old in drops:
                pairs.append((add, drops.pop(hint.old), hint))
            else:
                model = self.db.model_table(schema, table)
                _before(modify, add, notes.broken_hint(
                    hint, still_modelled=model is not None and hint.old in model.c))
        unhinted = [add for add in adds if column_hint(add.column, schema, table) is None]
        if self.mode != "hint-only" and len(unhinted) == 1 and len(drops) == 1:
            (add,), (drop,) = unhinted, drops.values()
            if similar.compatible(self.db.impl, drop.to_column(), add.column):
                if self.mode == "auto":
                    pairs.append((add, drop, None))
                else:
                    _before(modify, drop, notes.column_suggestion(
                        schema, table, drop.column_name, add.column))
        front: list[ops.MigrateOperation] = []
        for add, drop, hint in pairs:
            front += self._rename(modify, add, drop, hint)
        return front

    def _rename(self, modify: ops.ModifyTableOps, add: ops.AddColumnOp,
                drop: ops.DropColumnOp, hint: Hint | None) -> list[ops.MigrateOperation]:
        schema, table = modify.schema, modify.table_name
        old, new = drop.column_name, add.column.name
        modify.ops.remove(add)
        modify.ops.remove(drop)
        key = (*self.renames.key(schema, table), old)
        self.renames.columns[key] = new
        written: list[ops.MigrateOperation] = []
        reason = hint.reason() if hint is not None else \
            notes.column_reason(schema, table, old, new)
        notes.renamed("column", display(schema, table, old), new, reason)
        if hint is None:
            written.append(notes.auto_note(schema, table, old, new))
        written.append(AllowOp(
            (rule_code("rename-column"),), reason,
            [rename_ops.RenameColumnOp(table, old, new, schema=schema)]))
        changes = self.db.column_changes(schema, table, new, drop.to_column(), add.column)
        if changes is not None:
            written.append(changes)
        return written


def _before(modify: ops.ModifyTableOps, op: ops.MigrateOperation,
            note: ops.MigrateOperation) -> None:
    modify.ops.insert(modify.ops.index(op), note)
