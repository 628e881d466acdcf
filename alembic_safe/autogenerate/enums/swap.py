"""The type swap: how an enum loses or reorders values, which PostgreSQL cannot do in place.

A new type with the model's values, every column of the old type converted to it through the
text of its values (a table rewrite under ACCESS EXCLUSIVE: the runtime guard stops it, AS205,
until the user decides), the old type dropped, the new one renamed to the old name. Rows that
hold a removed value would make the conversion fail after part of the rewrite: a pre-flight
check names them first. Constant defaults are moved to the new type; what else depends on the
type (views, functions, domains, constraints or index predicates naming a value) makes the
swap fail, and the note says so.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from alembic.operations.ops import MigrateOperation
from pglast.parser import ParseError

from alembic_safe.analysis import tree
from alembic_safe.autogenerate import ops as safe_ops
from alembic_safe.autogenerate.enums import ops
from alembic_safe.autogenerate.enums.catalog import DatabaseEnum, EnumColumn
from alembic_safe.autogenerate.enums.plan import ValuePlan
from alembic_safe.fix import names
from alembic_safe.fix.quoting import ident, literal

_WIDTH = 90


def constant_default(expression: str | None) -> str | None:
    """The string a default casts when it is a constant (``'new'::claim_status``,
    ``'{a,b}'::claim_status[]``); None for anything else."""
    if expression is None:
        return None
    try:
        statements = tree.parse(f"SELECT {expression}")
    except ParseError:
        return None
    target = tree.of(tree.items(statements[0][1], "targetList")[0], "ResTarget")
    node = target.get("val") if target is not None else None
    while (cast := tree.of(node, "TypeCast")) is not None:
        node = cast.get("arg")
    const = tree.of(node, "A_Const")
    value = const.get("sval") if const is not None else None
    return value.get("sval") if isinstance(value, dict) else None


def free_name(enum: DatabaseEnum, taken: set[tuple[str, str]]) -> str:
    """A name for the new type beside the old one: ``<name>_new`` (shortened to fit)."""
    for n in range(1, 100):
        candidate = names.object_name(enum.name, None, "new" if n == 1 else f"new{n}")
        if (enum.schema, candidate) not in taken:
            return candidate
    raise ValueError(f"no free name for the new type of {enum.schema}.{enum.name}")


def _removed_check(column: EnumColumn, removed: Sequence[str]) -> str:
    labels = ", ".join(literal(value) for value in removed)
    col = ident(column.name)
    if column.array:
        return f"{col} IS NULL OR NOT ({col}::text[] && ARRAY[{labels}])"
    return f"{col} IS NULL OR {col}::text NOT IN ({labels})"


class Swap:
    """The operations that swap one enum type."""

    def __init__(self, enum: DatabaseEnum, values: Sequence[str], plan: ValuePlan,
                 default_schema: str, taken: set[tuple[str, str]],
                 dependents: Sequence[str]) -> None:
        self.enum = enum
        self.values = list(values)
        self.plan = plan
        self.default_schema = default_schema
        self.new_name = free_name(enum, taken)
        self.dependents = list(dependents)

    def _schema(self, schema: str) -> str | None:
        return None if schema == self.default_schema else schema

    @property
    def converted(self) -> list[EnumColumn]:
        """The columns ALTER TABLE converts (an inherited column follows its parent's)."""
        return [c for c in self.enum.columns if c.convertible and not c.inherited]

    def operations(self) -> list[MigrateOperation]:
        enum, schema = self.enum, self._schema(self.enum.schema)
        written: list[MigrateOperation] = [ops.SwapNoteOp(self.note(), self.note(undo=True))]
        if self.plan.removed:
            written += [safe_ops.PreflightCheckOp(
                c.table, _removed_check(c, self.plan.removed), schema=self._schema(c.schema),
                protects=f"the swap of enum {enum.name}") for c in self.converted]
        written.append(ops.CreateEnumTypeOp(self.new_name, self.values, schema=schema))
        tables: dict[tuple[str, str], list[EnumColumn]] = {}
        for column in self.converted:
            tables.setdefault((column.schema, column.table), []).append(column)
        for (table_schema, table), columns in tables.items():
            defaults = {c.name: constant_default(c.default) for c in columns}
            written.append(ops.ConvertEnumColumnsOp(
                table, [c.name for c in columns], self.new_name,
                schema=self._schema(table_schema), type_schema=schema,
                arrays=[c.name for c in columns if c.array],
                defaults={name: value for name, value in defaults.items() if value is not None},
                from_type=enum.name))
        written.append(ops.DropEnumTypeOp(enum.name, schema=schema, values=enum.values))
        written.append(ops.RenameEnumTypeOp(self.new_name, enum.name, schema=schema))
        return [ops.EnumSwapOp(written)]

    def note(self, *, undo: bool = False) -> list[str]:
        """What the swap does and what stops it (``undo``: the downgrade's swap back)."""
        tables = sorted({f"{c.schema}.{c.table}" if c.schema != self.default_schema
                         else c.table for c in self.converted})
        if undo:
            change = "gets its former values back"
        else:
            changes = []
            if self.plan.removed:
                changes.append("loses " + ", ".join(repr(v) for v in self.plan.removed))
            if self.plan.reordered:
                changes.append("changes the order of its values")
            change = " and ".join(changes)
        rules = '"AS205"' if len(tables) < 2 else '"AS205", "AS810"'
        locks = "" if len(tables) < 2 else (
            ", one after the other in one transaction (each stays locked until it ends: "
            "AS810)")
        text = [
            f"alembic-safe AS205: enum {self._label()} {change}. PostgreSQL cannot remove or "
            "reorder enum values, so the type is swapped: a new type, every column converted "
            "to it, the old type dropped and the new one renamed. Converting rewrites "
            f"{', '.join(tables) or 'no table'} under ACCESS EXCLUSIVE{locks}: the runtime "
            "guard stops it until you decide. Run it when the rewrite is acceptable, inside "
            f"alembic_safe.allow({rules}, reason=...), or keep the values in the model: an "
            "unused value costs nothing."]
        if self.plan.removed and not undo:
            text.append("Rows that still hold a removed value stop the migration before the "
                        "rewrite (the pre-flight checks name them).")
        odd = [c for c in self.enum.columns if not c.convertible]
        blockers = self.dependents + [c.described for c in odd] + [
            f"the default of {c.table}.{c.name} ({c.default})" for c in self.converted
            if c.default is not None and constant_default(c.default) is None]
        if blockers:
            text.append("The swap fails while these use the type: " + "; ".join(blockers)
                        + ". Drop them before it and create them again after (in this "
                        "migration, with op.execute).")
        return [line for paragraph in text for line in textwrap.wrap(
            paragraph, _WIDTH, break_long_words=False, break_on_hyphens=False)]

    def _label(self) -> str:
        schema = self._schema(self.enum.schema)
        return f"{schema}.{self.enum.name}" if schema else self.enum.name
