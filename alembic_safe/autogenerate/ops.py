"""alembic-safe's migration operations, in Alembic's operation model.

Each is a :class:`~alembic.operations.ops.MigrateOperation` registered on
:class:`~alembic.operations.Operations` (``op.validate_constraint(...)`` works in any script
once alembic-safe is installed), with a renderer (:mod:`.render`), an implementation
(:mod:`.toimpl`), ``reverse()`` and ``to_diff_tuple()`` (``alembic check`` and
``compare_metadata()`` list every operation of a migration). The SQL of each comes from
:mod:`alembic_safe.fix.sql`, so ``--sql`` output, lint and the runtime guard see the statement
that the help text shows.

Two are containers (:class:`~alembic.operations.ops.OpContainer`, so Alembic's ``as_diffs()``
and a user's :class:`~alembic.autogenerate.rewriter.Rewriter` walk into them):
:class:`AutocommitBlockOp`, written as ``with op.get_context().autocommit_block():``, and
:class:`NoteOp`, comment lines for the reviewer that run nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.operations import Operations
from alembic.operations.ops import DropConstraintOp, MigrateOperation, OpContainer

from alembic_safe.analysis.facts import Relation
from alembic_safe.fix import model


class AutocommitBlockOp(OpContainer):
    """Operations run outside the migration's transaction (the preceding transaction is
    committed first, as ``MigrationContext.autocommit_block()`` does)."""

    def __init__(self, ops: Sequence[MigrateOperation] = ()) -> None:
        super().__init__(ops)

    def reverse(self) -> AutocommitBlockOp:
        undone = [op.reverse() for op in reversed(self.ops)]
        return AutocommitBlockOp([op for op in undone if not _empty(op)])

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("autocommit_block", [op.to_diff_tuple() for op in self.ops])


class NoteOp(OpContainer):
    """Comment lines in the migration (a finding without a safe form, the revision that must
    come later): runs nothing, lists no diff, reverses to nothing."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__(())
        self.lines = list(lines)

    def reverse(self) -> NoteOp:
        return NoteOp(())

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ()


def _empty(op: MigrateOperation) -> bool:
    return isinstance(op, (AutocommitBlockOp, NoteOp)) and op.is_empty() and not getattr(
        op, "lines", None)


class _TableOp(MigrateOperation):
    """An operation on one table (``schema`` None: the search_path's)."""

    def __init__(self, table_name: str, *, schema: str | None = None) -> None:
        self.table_name = table_name
        self.schema = schema

    @property
    def table(self) -> Relation:
        return Relation(self.table_name, self.schema)

    def reverse(self) -> MigrateOperation:
        """Nothing to undo: a check or a validation changes no schema."""
        return AutocommitBlockOp([])

    def to_step(self) -> model.Step:
        raise NotImplementedError


@Operations.register_operation("validate_constraint")
class ValidateConstraintOp(_TableOp):
    """``ALTER TABLE ... VALIDATE CONSTRAINT``: checks the existing rows of a constraint added
    ``NOT VALID`` without blocking writes; a no-op when it is valid already."""

    def __init__(self, constraint_name: str, table_name: str, *,
                 schema: str | None = None) -> None:
        super().__init__(table_name, schema=schema)
        self.constraint_name = constraint_name

    @classmethod
    def validate_constraint(cls, operations: Operations, constraint_name: str,
                            table_name: str, *, schema: str | None = None) -> None:
        """Validate a constraint added ``NOT VALID`` (run it in
        ``op.get_context().autocommit_block()``, after the transaction that added it)."""
        operations.invoke(cls(constraint_name, table_name, schema=schema))

    def to_step(self) -> model.ValidateConstraint:
        return model.ValidateConstraint(self.table, self.constraint_name)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("validate_constraint", self.schema, self.table_name, self.constraint_name)


@Operations.register_operation("add_constraint_using_index")
class AddConstraintUsingIndexOp(MigrateOperation):
    """``ALTER TABLE ... ADD CONSTRAINT name UNIQUE|PRIMARY KEY USING INDEX index``: makes a
    concurrently built unique index the constraint (a brief lock, no build, no scan)."""

    def __init__(self, constraint_name: str, table_name: str, index_name: str, *,
                 primary_key: bool = False, schema: str | None = None) -> None:
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.index_name = index_name
        self.primary_key = primary_key
        self.schema = schema

    @classmethod
    def add_constraint_using_index(cls, operations: Operations, constraint_name: str,
                                   table_name: str, index_name: str, *,
                                   primary_key: bool = False,
                                   schema: str | None = None) -> None:
        """Attach the unique index ``index_name`` as a UNIQUE (or PRIMARY KEY) constraint."""
        operations.invoke(cls(constraint_name, table_name, index_name,
                              primary_key=primary_key, schema=schema))

    def to_step(self) -> model.AddConstraint:
        kind = model.ConstraintType.PRIMARY_KEY if self.primary_key else \
            model.ConstraintType.UNIQUE
        return model.AddConstraint(Relation(self.table_name, self.schema),
                                   self.constraint_name, kind, using_index=self.index_name)

    def reverse(self) -> DropConstraintOp:
        return DropConstraintOp(self.constraint_name, self.table_name,
                                "primary" if self.primary_key else "unique", schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_constraint_using_index", self.schema, self.table_name,
                self.constraint_name, self.index_name)


class _PreflightOp(_TableOp):
    """A data check run before the step it protects: stops the migration with the count and
    a few example rows instead of failing at the end of an expensive step."""

    kind: model.PreflightKind

    def __init__(self, table_name: str, *, schema: str | None = None,
                 protects: str | None = None) -> None:
        super().__init__(table_name, schema=schema)
        self.protects = protects

    def _step(self, columns: tuple[str, ...] = (), expression: str | None = None
              ) -> model.Preflight:
        return model.Preflight(self.kind, self.table, columns, expression,
                               protects=self.protects or "")


@Operations.register_operation("preflight_unique")
class PreflightUniqueOp(_PreflightOp):
    """Stop when the columns hold duplicates (NULLs are distinct, as in a unique index)."""

    kind = model.PreflightKind.UNIQUE

    def __init__(self, table_name: str, columns: Sequence[str], *, schema: str | None = None,
                 protects: str | None = None) -> None:
        super().__init__(table_name, schema=schema, protects=protects)
        self.columns = list(columns)

    @classmethod
    def preflight_unique(cls, operations: Operations, table_name: str, columns: Sequence[str],
                         *, schema: str | None = None, protects: str | None = None) -> None:
        """Stop the migration when ``columns`` of the table hold duplicate values."""
        operations.invoke(cls(table_name, columns, schema=schema, protects=protects))

    def to_step(self) -> model.Preflight:
        return self._step(tuple(self.columns))

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("preflight_unique", self.schema, self.table_name, tuple(self.columns))


@Operations.register_operation("preflight_not_null")
class PreflightNotNullOp(_PreflightOp):
    """Stop when the column holds NULLs."""

    kind = model.PreflightKind.NOT_NULL

    def __init__(self, table_name: str, column_name: str, *, schema: str | None = None,
                 protects: str | None = None) -> None:
        super().__init__(table_name, schema=schema, protects=protects)
        self.column_name = column_name

    @classmethod
    def preflight_not_null(cls, operations: Operations, table_name: str, column_name: str,
                           *, schema: str | None = None, protects: str | None = None) -> None:
        """Stop the migration when the column holds NULLs."""
        operations.invoke(cls(table_name, column_name, schema=schema, protects=protects))

    def to_step(self) -> model.Preflight:
        return self._step((self.column_name,))

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("preflight_not_null", self.schema, self.table_name, self.column_name)


@Operations.register_operation("preflight_check")
class PreflightCheckOp(_PreflightOp):
    """Stop when a row makes the SQL ``expression`` false."""

    kind = model.PreflightKind.CHECK

    def __init__(self, table_name: str, expression: str, *, schema: str | None = None,
                 protects: str | None = None) -> None:
        super().__init__(table_name, schema=schema, protects=protects)
        self.expression = expression

    @classmethod
    def preflight_check(cls, operations: Operations, table_name: str, expression: str, *,
                        schema: str | None = None, protects: str | None = None) -> None:
        """Stop the migration when a row of the table makes ``expression`` false."""
        operations.invoke(cls(table_name, expression, schema=schema, protects=protects))

    def to_step(self) -> model.Preflight:
        return self._step(expression=self.expression)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("preflight_check", self.schema, self.table_name, self.expression)


@Operations.register_operation("add_not_null_constraint")
class AddNotNullConstraintOp(MigrateOperation):
    """PostgreSQL 18: ``ALTER TABLE ... ADD CONSTRAINT name NOT NULL column [NOT VALID]``; once
    validated, the column is NOT NULL."""

    def __init__(self, constraint_name: str, table_name: str, column_name: str, *,
                 not_valid: bool = False, schema: str | None = None) -> None:
        self.constraint_name = constraint_name
        self.table_name = table_name
        self.column_name = column_name
        self.not_valid = not_valid
        self.schema = schema

    @classmethod
    def add_not_null_constraint(cls, operations: Operations, constraint_name: str,
                                table_name: str, column_name: str, *, not_valid: bool = False,
                                schema: str | None = None) -> None:
        """Add a named NOT NULL constraint (``not_valid``: existing rows are checked later, by
        ``op.validate_constraint``)."""
        operations.invoke(cls(constraint_name, table_name, column_name, not_valid=not_valid,
                              schema=schema))

    def to_step(self) -> model.AddConstraint:
        return model.AddConstraint(Relation(self.table_name, self.schema), self.constraint_name,
                                   model.ConstraintType.NOT_NULL, (self.column_name,),
                                   not_valid=self.not_valid)

    def reverse(self) -> DropConstraintOp:
        return DropConstraintOp(self.constraint_name, self.table_name, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_not_null_constraint", self.schema, self.table_name, self.constraint_name,
                self.column_name)


class BackfillOp(_TableOp):
    """``alembic_safe.backfill(op.get_bind(), ...)``: an UPDATE in committed key-range batches
    (run it in an autocommit block); resumes where a failed run stopped."""

    def __init__(self, table_name: str, assignments: str, *, where: str | None = None,
                 key: str = "id", schema: str | None = None) -> None:
        super().__init__(table_name, schema=schema)
        self.assignments = assignments
        self.where = where
        self.key = key

    def to_step(self) -> model.Backfill:
        return model.Backfill(self.table, self.assignments, self.where, self.key)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("backfill", self.schema, self.table_name, self.assignments)


#: the step kinds of :class:`_TableOp` subclasses, for writing a fix's steps as operations
PREFLIGHTS: dict[model.PreflightKind, type[_PreflightOp]] = {
    model.PreflightKind.UNIQUE: PreflightUniqueOp,
    model.PreflightKind.NOT_NULL: PreflightNotNullOp,
    model.PreflightKind.CHECK: PreflightCheckOp,
}
