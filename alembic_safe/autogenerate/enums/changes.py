"""The enum operations one autogenerate run adds, and where in the migration they go (see
:mod:`alembic_safe.autogenerate.compare.enums`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from alembic.operations.ops import MigrateOperation

from alembic_safe.autogenerate import ops as safe_ops
from alembic_safe.autogenerate.allow import AllowOp
from alembic_safe.autogenerate.enums import catalog, ops
from alembic_safe.autogenerate.enums.catalog import DatabaseEnum, EnumKey
from alembic_safe.autogenerate.enums.columns import EnumColumns
from alembic_safe.autogenerate.enums.declared import DeclarationError, DeclaredEnum, declared
from alembic_safe.autogenerate.enums.plan import PlanError, ValuePlan, plan
from alembic_safe.autogenerate.enums.swap import Swap
from alembic_safe.autogenerate.options import settings

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

#: the rule a hinted rename is allowed past (the runtime guard's opt-out)
RENAME_RULE = "rename-enum-value"


class EnumError(ValueError):
    """The model's enums cannot be written as a migration (a message for the user)."""


class EnumChanges:
    """The enum operations of one autogenerate run."""

    def __init__(self, autogen_context: AutogenContext, schemas: Iterable[str | None]) -> None:
        connection = autogen_context.connection
        assert connection is not None
        chosen = settings(autogen_context.migration_context)
        self.connection = connection
        self.default_schema = connection.dialect.default_schema_name or "public"
        self.scope = {self.default_schema if s is None else s for s in schemas}
        try:
            self.model = declared(autogen_context, self.default_schema, chosen.enum_renames)
        except DeclarationError as exc:
            raise EnumError(str(exc)) from None
        self.database = catalog.read(connection)
        self.columns = EnumColumns(self.default_schema, self.database)

    def managed(self, key: EnumKey) -> bool:
        """alembic-safe creates, changes and drops it (no ``create_type=False`` on it)."""
        entry = self.model.get(key)
        return entry is None or entry.managed

    def _schema(self, schema: str) -> str | None:
        """A schema as Alembic's operations name it (None: the default)."""
        return None if schema == self.default_schema else schema

    # ------------------------------------------------------------------ the migration

    def apply(self, top: list[MigrateOperation]) -> None:
        """Add the enum operations to ``top`` (the upgrade's operations, changed in place)."""
        self.columns.prepare(top)
        first: list[MigrateOperation] = []
        additions: list[tuple[DeclaredEnum, ValuePlan]] = []
        swaps: list[tuple[DeclaredEnum, ValuePlan]] = []
        for key, entry in self.model.items():
            existing = self.database.get(key)
            if existing is None or not entry.managed:
                continue
            try:
                changes = plan(existing.values, entry.values, entry.renames())
            except (PlanError, DeclarationError) as exc:
                raise EnumError(f"enum {self._label(key)}: {exc}") from None
            if changes.renames:
                first.append(self._renames(entry, changes))
            if changes.swap:
                swaps.append((entry, changes))
            elif changes.additions:
                additions.append((entry, changes))
        first += self._swaps(swaps)
        # the downgrade's notes on values that stay come last in it
        first[:0] = [ops.ValuesStayOp(entry.name, [a.value for a in changes.additions],
                                      schema=self._schema(entry.schema))
                     for entry, changes in additions]
        first += self._additions(additions)
        creates = self._creates(top)
        drops = self._drops(top)
        placed: list[MigrateOperation] = list(first)
        for n, op in enumerate(top):
            placed += creates.get(n, [])
            placed.append(op)
            placed += drops.get(n, [])
        top[:] = placed + creates.get(len(top), []) + drops.get(-1, [])

    def _label(self, key: EnumKey) -> str:
        schema = self._schema(key[0])
        return f"{schema}.{key[1]}" if schema else key[1]

    # ------------------------------------------------------------------ values

    def _renames(self, entry: DeclaredEnum, changes: ValuePlan) -> AllowOp:
        schema = self._schema(entry.schema)
        asked = "; ".join(entry.sources(dict(changes.renames)))
        return AllowOp([RENAME_RULE], f"asked for by {asked}", [
            ops.RenameEnumTypeValueOp(entry.name, old, new, schema=schema)
            for old, new in changes.renames])

    def _additions(self, additions: list[tuple[DeclaredEnum, ValuePlan]]
                   ) -> list[MigrateOperation]:
        """``ADD VALUE`` in an autocommit block: a value added inside a transaction cannot
        be used before it commits (a default, a CHECK or a data migration using it would
        fail), PostgreSQL 11 refuses it there, and ``IF NOT EXISTS`` makes a second run after
        a failure pass over it."""
        added: list[MigrateOperation] = [
            ops.AddEnumTypeValueOp(entry.name, a.value, before=a.before, after=a.after,
                                   schema=self._schema(entry.schema))
            for entry, changes in additions for a in changes.additions]
        return [safe_ops.AutocommitBlockOp(added)] if added else []

    def _swaps(self, swaps: list[tuple[DeclaredEnum, ValuePlan]]) -> list[MigrateOperation]:
        if not swaps:
            return []
        existing = [self.database[entry.key] for entry, _ in swaps]
        blockers = catalog.dependents(self.connection, existing)
        taken = set(self.database)
        written: list[MigrateOperation] = []
        for (entry, changes), enum in zip(swaps, existing, strict=True):
            swap = Swap(enum, entry.values, changes, self.default_schema, taken,
                        blockers.get(enum.key, ()))
            taken.add((enum.schema, swap.new_name))
            written += swap.operations()
        return written

    # ------------------------------------------------------------------ types

    def _creates(self, top: list[MigrateOperation]) -> dict[int, list[MigrateOperation]]:
        """Each new managed type, before the first operation that uses it (at the end when
        none does)."""
        missing = {key: entry for key, entry in self.model.items()
                   if entry.managed and key not in self.database}
        placed: dict[int, list[MigrateOperation]] = {}
        for n, op in enumerate(top):
            for key in sorted(self.columns.added(op) & set(missing)):
                entry = missing.pop(key)
                placed.setdefault(n, []).append(ops.CreateEnumTypeOp(
                    entry.name, entry.values, schema=self._schema(entry.schema)))
        for entry in missing.values():
            placed.setdefault(len(top), []).append(ops.CreateEnumTypeOp(
                entry.name, entry.values, schema=self._schema(entry.schema)))
        return placed

    def _drops(self, top: list[MigrateOperation]) -> dict[int, list[MigrateOperation]]:
        """Each type of the compared schemas that the model does not declare and no column
        uses once the migration ran, after the last operation that stops using it (at the
        end when none does). A type something else depends on (a function, a view) stays."""
        candidates: dict[EnumKey, DatabaseEnum] = {
            key: enum for key, enum in self.database.items()
            if key not in self.model and key[0] in self.scope}
        if not candidates:
            return {}
        last: dict[EnumKey, int] = {}
        gone: dict[EnumKey, set[tuple[str, str, str]]] = {}
        for n, op in enumerate(top):
            for key, columns in self.columns.removed(op).items():
                if key in candidates:
                    last[key] = n
                    gone.setdefault(key, set()).update(columns)
        unused = [enum for key, enum in candidates.items()
                  if {(c.schema, c.table, c.name) for c in enum.columns} <= gone.get(key, set())]
        blocked = catalog.dependents(self.connection, unused)
        placed: dict[int, list[MigrateOperation]] = {}
        for enum in unused:
            if blocked.get(enum.key):
                continue
            placed.setdefault(last.get(enum.key, -1), []).append(ops.DropEnumTypeOp(
                enum.name, schema=self._schema(enum.schema), values=enum.values))
        return placed
