"""Objects named after a renamed table or column that Alembic does not compare by name: the
primary key, CHECK constraints, unique constraints the model leaves unnamed, the sequences
of serial and identity columns (``<table>_<column>_seq``) and, in a migration written for
PostgreSQL 18 or later, the NOT NULL constraints 18 names (``<table>_<column>_not_null``).
Each one whose name in the database is what the model's naming rule gives with the old names
is renamed to what it gives now, as a database created from the model would name it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import ops

from alembic_safe.autogenerate.renames import ops as rename_ops
from alembic_safe.autogenerate.renames.database import Database
from alembic_safe.autogenerate.renames.derived import Derivation
from alembic_safe.autogenerate.renames.mapping import Renames
from alembic_safe.fix import names


def renamed_with(db: Database, renames: Renames, schema: str | None, new_table: str,
                 handled: set[tuple[str, str]]) -> list[ops.MigrateOperation]:
    """The renames of the dependents of ``new_table`` (``handled``: (schema, name) of the
    constraints already renamed or kept)."""
    model = db.model_table(schema, new_table)
    old_table = renames.old_table(schema, new_table)
    if model is None:
        return []
    derivation = Derivation(renames)
    key = renames.key(schema, new_table)[0]
    existing: dict[type, set[str]] = {
        sa.PrimaryKeyConstraint: {n for n in [db.primary_key_name(schema, old_table)] if n},
        sa.CheckConstraint: db.check_names(schema, old_table),
        sa.UniqueConstraint: db.unique_names(schema, old_table),
    }
    taken = set().union(*existing.values())
    out: list[ops.MigrateOperation] = []
    kinds = list(existing)
    for constraint in sorted(model.constraints, key=lambda c: (
            next((n for n, k in enumerate(kinds) if isinstance(c, k)), len(kinds)),
            str(c.name or ""), [column.name for column in getattr(c, "columns", ())])):
        kind = next((k for k in kinds if isinstance(constraint, k)), None)
        if kind is None or (kind is sa.UniqueConstraint and constraint.name is not None):
            continue  # Alembic compares named unique constraints (see .pairs)
        found = derivation.names(constraint, model, schema)
        if found is None:
            continue
        new, old = found
        if old == new or old not in existing[kind] or new in taken or (key, old) in handled:
            continue
        taken.add(new)
        out.append(rename_ops.RenameConstraintOp(new_table, old, new, schema=schema))
    return (out + _not_null(db, renames, schema, old_table, new_table, taken)
            + _sequences(db, renames, schema, old_table, new_table))


def _not_null(db: Database, renames: Renames, schema: str | None, old_table: str,
              new_table: str, taken: set[str]) -> list[ops.MigrateOperation]:
    """PostgreSQL 18's NOT NULL constraints: not there before 18, so a migration written for
    an older major (which must run there too) leaves them as they are."""
    if db.pg_version < 18:
        return []
    out: list[ops.MigrateOperation] = []
    found = db.not_null_constraints(schema, old_table)
    taken |= {name for _, name in found}
    for column, name in found:
        if name != names.object_name(old_table, column, "not_null"):
            continue  # named by hand, or numbered when the name was taken
        new = names.object_name(new_table, renames.column(schema, old_table, column),
                                "not_null")
        if new != name and new not in taken:
            taken.add(new)
            out.append(rename_ops.RenameConstraintOp(new_table, name, new, schema=schema))
    return out


def _sequences(db: Database, renames: Renames, schema: str | None, old_table: str,
               new_table: str) -> list[ops.MigrateOperation]:
    out: list[ops.MigrateOperation] = []
    for column, sequence_schema, sequence in db.owned_sequences(schema, old_table):
        new_column = renames.column(schema, old_table, column)
        if sequence != names.object_name(old_table, column, "seq"):
            continue  # named by hand, or a second sequence of the same name (numbered)
        new = names.object_name(new_table, new_column, "seq")
        if new != sequence:
            own = None if sequence_schema == db.default_schema and schema is None \
                else sequence_schema
            out.append(rename_ops.RenameSequenceOp(sequence, new, schema=own))
    return out
