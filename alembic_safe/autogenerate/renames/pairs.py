"""Alembic's drops and creates that a rename makes unnecessary.

Alembic compares indexes and unique constraints by name and foreign keys by their columns and
tables, so a rename shows as a drop of the database's object and a create of the model's. When
the database's object, with the renamed table and columns, is what the model asks for (the
same comparison Alembic makes), the two are one object: nothing to do when the names agree,
else a rename of the object (``ALTER INDEX ... RENAME TO``, ``ALTER TABLE ... RENAME
CONSTRAINT``). A foreign key, or a unique constraint the model leaves unnamed, keeps its name
unless that name was derived from the old names (:mod:`.derived`): Alembic does not compare
those names.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.sql import visitors

from alembic_safe.autogenerate.keys import referenced_columns
from alembic_safe.autogenerate.renames import ops as rename_ops
from alembic_safe.autogenerate.renames.database import Database
from alembic_safe.autogenerate.renames.derived import Derivation
from alembic_safe.autogenerate.renames.mapping import Renames

_NO_OPTIONS: dict[str, Any] = {}
Drop = ops.DropIndexOp | ops.DropConstraintOp
Create = ops.CreateIndexOp | ops.CreateUniqueConstraintOp | ops.CreateForeignKeyOp \
    | ops.CreateCheckConstraintOp


class Pairs:
    """Resolves the drop/create pairs of the ModifyTableOps of one migration."""

    def __init__(self, db: Database, renames: Renames) -> None:
        self.db = db
        self.renames = renames
        self.derivation = Derivation(renames)
        #: (schema, old name) of the constraints renamed or kept here
        self.handled: set[tuple[str, str]] = set()

    def resolve(self, modify: ops.ModifyTableOps) -> None:
        for drop in [op for op in modify.ops if isinstance(op, (ops.DropIndexOp,
                                                                ops.DropConstraintOp))]:
            found = self._match(drop, [op for op in modify.ops if _creates(op)])
            if found is None:
                continue
            create, written = found
            at = modify.ops.index(create)
            modify.ops[at:at + 1] = [written] if written is not None else []
            modify.ops.remove(drop)

    # ------------------------------------------------------------------ matching

    def _match(self, drop: Drop, creates: list[Any]
               ) -> tuple[Create, ops.MigrateOperation | None] | None:
        reverse = getattr(drop, "_reverse", None)
        if reverse is None:
            return None
        if isinstance(drop, ops.DropIndexOp) and isinstance(reverse, ops.CreateIndexOp):
            return self._index(drop, reverse, creates)
        if not isinstance(drop, ops.DropConstraintOp):
            return None
        if isinstance(reverse, ops.CreateUniqueConstraintOp):
            return self._unique(drop, reverse, creates)
        if isinstance(reverse, ops.CreateForeignKeyOp):
            return self._foreign_key(drop, reverse, creates)
        if isinstance(reverse, ops.CreateCheckConstraintOp):
            return self._check(drop, reverse, creates)
        return None

    def _index(self, drop: ops.DropIndexOp, conn: ops.CreateIndexOp, creates: list[Any]
               ) -> tuple[Create, ops.MigrateOperation | None] | None:
        schema, old_table = conn.schema, conn.table_name
        if not self.renames.touches(schema, old_table, _index_columns(conn)):
            return None
        renamed = self._renamed_index(conn).to_index()
        for create in creates:
            if not isinstance(create, ops.CreateIndexOp) or \
                    not self.renames.same_schema(create.schema, schema):
                continue
            model = self._model_index(create)
            if model is None or not self.db.impl.compare_indexes(model, renamed).is_equal:
                continue
            if str(create.index_name) == str(drop.index_name):
                return create, None
            return create, rename_ops.RenameIndexOp(str(drop.index_name),
                                                    str(create.index_name), schema=schema)
        return None

    def _renamed_index(self, conn: ops.CreateIndexOp) -> ops.CreateIndexOp:
        schema, table = conn.schema, conn.table_name
        holder = sa.Table(table, sa.MetaData(), schema=schema)

        def rename(element: Any, **kw: Any) -> Any:
            if isinstance(element, sa.Column):
                name = self.renames.column(schema, table, element.name)
                if name not in holder.c:
                    holder.append_column(sa.Column(name, element.type))
                return holder.c[name]
            if isinstance(element, sa.TextClause):
                text = self.renames.expression(element.text, schema, table)
                return sa.text(text) if text is not None else element
            return None

        columns = [self.renames.column(schema, table, column) if isinstance(column, str)
                   else visitors.replacement_traverse(cast(Any, column), _NO_OPTIONS, rename)
                   for column in conn.columns]
        options = {key: value for key, value in conn.kw.items()
                   if key == "postgresql_nulls_not_distinct"}
        return ops.CreateIndexOp(conn.index_name, self.renames.table(schema, table), columns,
                                 schema=schema, unique=conn.unique, **options)

    def _model_index(self, create: ops.CreateIndexOp) -> sa.Index | None:
        table = self.db.model_table(create.schema, create.table_name)
        if table is None:
            return None
        return next((index for index in table.indexes
                     if str(index.name) == str(create.index_name)), None)

    def _unique(self, drop: ops.DropConstraintOp, conn: ops.CreateUniqueConstraintOp,
                creates: list[Any]) -> tuple[Create, ops.MigrateOperation | None] | None:
        schema, old_table = conn.schema, conn.table_name
        columns = tuple(str(c) for c in conn.columns)
        if not self.renames.touches(schema, old_table, columns):
            return None
        new_table = self.renames.table(schema, old_table)
        renamed = ops.CreateUniqueConstraintOp(
            drop.constraint_name, new_table,
            [self.renames.column(schema, old_table, c) for c in columns], schema=schema,
            **conn.kw).to_constraint()
        model_table = self.db.model_table(schema, new_table)
        for create in creates:
            if not isinstance(create, ops.CreateUniqueConstraintOp) or model_table is None:
                continue
            model = _model_unique(model_table, create)
            if model is None or not self.db.impl.compare_unique_constraint(
                    model, renamed).is_equal:
                continue
            if create.constraint_name is not None:
                target = str(create.constraint_name)
            else:
                names = self.derivation.names(model, model_table, schema)
                target = names[0] if names is not None and names[1] == str(
                    drop.constraint_name) else str(drop.constraint_name)
            return create, self._constraint(drop, new_table, target)
        return None

    def _foreign_key(self, drop: ops.DropConstraintOp, conn: ops.CreateForeignKeyOp,
                     creates: list[Any]) -> tuple[Create, ops.MigrateOperation | None] | None:
        source_schema = conn.kw.get("source_schema")
        referent_schema = conn.kw.get("referent_schema")
        local = tuple(str(c) for c in conn.local_cols)
        remote = tuple(str(c) for c in conn.remote_cols)
        if not (self.renames.touches(source_schema, conn.source_table, local)
                or self.renames.touches(referent_schema, conn.referent_table, remote)):
            return None
        renamed = (
            self.renames.key(source_schema, self.renames.table(source_schema,
                                                               conn.source_table)),
            tuple(self.renames.column(source_schema, conn.source_table, c) for c in local),
            self.renames.key(referent_schema, self.renames.table(referent_schema,
                                                                 conn.referent_table)),
            tuple(self.renames.column(referent_schema, conn.referent_table, c)
                  for c in remote),
            *_fk_options(conn.kw))
        for create in creates:
            if not isinstance(create, ops.CreateForeignKeyOp) or \
                    self._fk_signature(create) != renamed:
                continue
            new_table = renamed[0][1]
            model_table = self.db.model_table(source_schema, new_table)
            model = _model_foreign_key(model_table, create) if model_table is not None \
                else None
            names = self.derivation.names(model, model_table, source_schema) \
                if model is not None and model_table is not None else None
            target = names[0] if names is not None and names[1] == str(
                drop.constraint_name) else str(drop.constraint_name)
            return create, self._constraint(drop, new_table, target)
        return None

    def _fk_signature(self, op: ops.CreateForeignKeyOp) -> tuple[Any, ...]:
        return (self.renames.key(op.kw.get("source_schema"), op.source_table),
                tuple(str(c) for c in op.local_cols),
                self.renames.key(op.kw.get("referent_schema"), op.referent_table),
                tuple(str(c) for c in op.remote_cols), *_fk_options(op.kw))

    def _check(self, drop: ops.DropConstraintOp, conn: ops.CreateCheckConstraintOp,
               creates: list[Any]) -> tuple[Create, ops.MigrateOperation | None] | None:
        schema = conn.schema
        new_table = self.renames.table(schema, conn.table_name)
        model_table = self.db.model_table(schema, new_table)
        if model_table is None or not self.renames.affects(schema, conn.table_name):
            return None
        for create in creates:
            if not isinstance(create, ops.CreateCheckConstraintOp):
                continue
            model = next((c for c in model_table.constraints if isinstance(
                c, sa.CheckConstraint) and str(c.name) == str(create.constraint_name)), None)
            names = self.derivation.names(model, model_table, schema) \
                if model is not None else None
            if names is not None and names[1] == str(drop.constraint_name):
                return create, self._constraint(drop, new_table, names[0])
        return None

    def _constraint(self, drop: ops.DropConstraintOp, table: str, target: str
                    ) -> ops.MigrateOperation | None:
        old = str(drop.constraint_name)
        self.handled.add((self.renames.key(drop.schema, table)[0], old))
        if target == old:
            return None
        return rename_ops.RenameConstraintOp(table, old, target, schema=drop.schema)


def _creates(op: ops.MigrateOperation) -> bool:
    return isinstance(op, (ops.CreateIndexOp, ops.CreateUniqueConstraintOp,
                           ops.CreateForeignKeyOp, ops.CreateCheckConstraintOp))


def _index_columns(conn: ops.CreateIndexOp) -> tuple[str, ...]:
    """Every column an index names, in its columns and in its expressions."""
    found: list[str] = []
    for column in conn.columns:
        if isinstance(column, str):
            found.append(column)
        else:
            found += [e.name for e in visitors.iterate(column) if isinstance(e, sa.Column)]
            found += [name for e in visitors.iterate(column) if isinstance(e, sa.TextClause)
                      for name in _expression_columns(e.text)]
    return tuple(found)


def _expression_columns(sql: str) -> tuple[str, ...]:
    return referenced_columns(f"SELECT {sql}")


def _model_unique(table: sa.Table, create: ops.CreateUniqueConstraintOp
                  ) -> sa.UniqueConstraint | None:
    columns = [str(c) for c in create.columns]
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint):
            continue
        if create.constraint_name is not None:
            if str(constraint.name) == str(create.constraint_name):
                return constraint
        elif constraint.name is None and [c.name for c in constraint.columns] == columns:
            return constraint
    return None


def _model_foreign_key(table: sa.Table, create: ops.CreateForeignKeyOp
                       ) -> sa.ForeignKeyConstraint | None:
    local = [str(c) for c in create.local_cols]
    for constraint in table.foreign_key_constraints:
        if create.constraint_name is not None:
            if str(constraint.name) == str(create.constraint_name):
                return constraint
        elif constraint.name is None and [c.name for c in constraint.columns] == local:
            return constraint
    return None


def _fk_options(kw: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """ON UPDATE, ON DELETE and deferrability as Alembic compares them."""
    def action(value: Any) -> str | None:
        text = str(value).lower() if value else None
        return None if text in (None, "no action") else text

    initially = str(kw.get("initially") or "").lower()
    deferral = "initially_deferrable" if initially == "deferred" else \
        "deferrable" if kw.get("deferrable") else "not deferrable"
    return action(kw.get("onupdate")), action(kw.get("ondelete")), deferral

