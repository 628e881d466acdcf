"""The safe forms the rules give as fixes (:mod:`alembic_safe.fix.model`), built from facts.

One builder per safe form, shared by the rules that need it (SET NOT NULL's form serves AS206
and the later revision of AS201). Every name a step needs is the statement's own, or the one
PostgreSQL would have chosen (:mod:`alembic_safe.fix.names`).
"""

from __future__ import annotations

from alembic_safe.analysis.facts import (
    AlterEnum,
    ColumnDef,
    ConstraintDef,
    ConstraintKind,
    CreateIndex,
    DropObject,
    ModifyRows,
    Reindex,
    Relation,
    StatementFacts,
)
from alembic_safe.fix import names
from alembic_safe.fix.model import (
    AddColumn,
    AddConstraint,
    AddDomainConstraint,
    AddEnumValue,
    Backfill,
    BuildIndex,
    ConstraintType,
    CreateSequence,
    CreateView,
    DetachPartition,
    DropConstraint,
    DropIndex,
    Fix,
    Preflight,
    PreflightKind,
    RawSQL,
    RebuildIndex,
    RefreshView,
    SetDefault,
    SetLockTimeout,
    SetNotNull,
    Step,
    Vacuum,
    ValidateConstraint,
    ValidateDomainConstraint,
)
from alembic_safe.fix.quoting import ident, literal, relation

#: PostgreSQL 18: ADD CONSTRAINT n NOT NULL col NOT VALID, then VALIDATE
NOT_NULL_CONSTRAINTS = 18
#: PostgreSQL 18: GENERATED ALWAYS AS (...) VIRTUAL
VIRTUAL_COLUMNS = 18


def index_build(action: CreateIndex) -> Fix:
    """CREATE [UNIQUE] INDEX made concurrent; a unique one on plain columns is preceded by a
    check for duplicates (a concurrent build fails on them only at its very end)."""
    assert action.table is not None
    name = action.index or names.index_name(action.table.name, action.columns)
    build = BuildIndex(action.table, name, action.columns if action.definition is None else (),
                       unique=action.unique, definition=action.definition, where=action.where)
    steps: tuple[Step, ...] = (build,)
    if action.unique and action.definition is None and not action.partial:
        steps = (Preflight(PreflightKind.UNIQUE, action.table, action.columns,
                           protects=name), build)
    return Fix(steps, summary="Build the index concurrently, outside a transaction: writes "
               "go on while it builds")


def index_drop(index: Relation) -> Fix:
    """DROP INDEX made concurrent (IF EXISTS: a re-run after a failure finds it gone)."""
    return Fix((DropIndex(index, if_exists=True),),
               summary="Drop the index concurrently, outside a transaction")


#: the REINDEX targets that have a CONCURRENTLY form (not SYSTEM)
_CONCURRENT_REINDEX = ("index", "table", "schema", "database")


def reindex(action: Reindex) -> Fix | None:
    """REINDEX made concurrent (None for REINDEX SYSTEM, which has no such form)."""
    if action.table is None or action.target_kind not in _CONCURRENT_REINDEX:
        return None
    return Fix((RebuildIndex(action.table, action.target_kind.upper()),),
               summary="Rebuild concurrently, outside a transaction: writes, and reads that use "
               "the index, go on")


def outside_transaction(stmt: StatementFacts) -> Fix:
    """A statement that cannot run inside a transaction block, written inside one: the same
    statement outside it (a single index build or drop as its step, which autogenerate
    writes; any other statement as written)."""
    builds = [a for a in stmt.actions if isinstance(a, CreateIndex) and a.table is not None]
    drops = [a for a in stmt.actions if isinstance(a, DropObject) and a.object_kind == "index"
             and a.table is not None]
    if len(stmt.actions) == 1 and builds:
        return index_build(builds[0])
    if len(stmt.actions) == 1 and drops and drops[0].table is not None:
        return index_drop(drops[0].table)
    return Fix((RawSQL(stmt.sql, runs_in_transaction=False),),
               summary="Run it outside the transaction block")


def constraint_name(table: Relation, constraint: ConstraintDef) -> str:
    """The constraint's name, or the one PostgreSQL would give it."""
    if constraint.name:
        return constraint.name
    label = {ConstraintKind.UNIQUE: "key", ConstraintKind.PRIMARY_KEY: "pkey",
             ConstraintKind.FOREIGN_KEY: "fkey"}.get(constraint.kind, "check")
    return names.constraint_name(table.name, constraint.columns, label)


def unique_via_index(table: Relation, constraint: ConstraintDef) -> Fix:
    """UNIQUE / PRIMARY KEY: duplicates checked, the unique index built concurrently, then
    attached as the constraint (a brief lock)."""
    name = constraint_name(table, constraint)
    definition = None
    if constraint.include or constraint.nulls_not_distinct:
        definition = "(" + ", ".join(ident(c) for c in constraint.columns) + ")"
        if constraint.nulls_not_distinct:
            definition += " NULLS NOT DISTINCT"
        if constraint.include:
            definition += " INCLUDE (" + ", ".join(ident(c) for c in constraint.include) + ")"
    kind = (ConstraintType.PRIMARY_KEY if constraint.kind is ConstraintKind.PRIMARY_KEY
            else ConstraintType.UNIQUE)
    steps: list[Step] = []
    if not constraint.nulls_not_distinct:
        steps.append(Preflight(PreflightKind.UNIQUE, table, constraint.columns, protects=name))
    steps += [
        BuildIndex(table, name, constraint.columns if definition is None else (), unique=True,
                   definition=definition),
        AddConstraint(table, name, kind, constraint.columns, using_index=name),
    ]
    summary = "Build the unique index concurrently, then attach it as the constraint"
    if kind is ConstraintType.PRIMARY_KEY:
        summary += " (the columns must be NOT NULL already, or attaching scans the table)"
    return Fix(tuple(steps), summary=summary)


def foreign_key_not_valid(table: Relation, constraint: ConstraintDef) -> Fix:
    """FOREIGN KEY added NOT VALID, validated after its transaction committed."""
    assert constraint.references is not None
    name = constraint_name(table, constraint)
    return Fix((
        AddConstraint(table, name, ConstraintType.FOREIGN_KEY, constraint.columns,
                      references=constraint.references,
                      referenced_columns=constraint.referenced_columns,
                      on_delete=constraint.on_delete, on_update=constraint.on_update,
                      match_full=constraint.match_full, deferrable=constraint.deferrable,
                      initially_deferred=constraint.initially_deferred, not_valid=True),
        ValidateConstraint(table, name),
    ), summary="Add the foreign key NOT VALID (new rows are checked at once), then validate "
               "the existing rows in a later transaction, without blocking writes")


def validate_later(table: Relation, name: str) -> Fix:
    """VALIDATE CONSTRAINT after the transaction that added the constraint NOT VALID
    committed (outside it: its own transaction)."""
    return Fix((ValidateConstraint(table, name),),
               summary="Validate after the transaction that added the constraint committed: "
               "its lock no longer blocks writes while the rows are scanned")


def check_not_valid(table: Relation, constraint: ConstraintDef) -> Fix:
    """CHECK added NOT VALID; violating rows looked for, then validated in a later
    transaction."""
    assert constraint.expression is not None
    name = constraint_name(table, constraint)
    return Fix((
        AddConstraint(table, name, ConstraintType.CHECK, expression=constraint.expression,
                      not_valid=True),
        Preflight(PreflightKind.CHECK, table, expression=constraint.expression, protects=name),
        ValidateConstraint(table, name),
    ), summary="Add the CHECK NOT VALID (new rows are checked at once), then validate the "
               "existing rows in a later transaction")


def not_null_steps(table: Relation, column: str, pg_version: int,
                   name: str | None = None) -> tuple[Step, ...]:
    """SET NOT NULL without a scan under ACCESS EXCLUSIVE: a NOT VALID constraint, a check
    for NULLs, the validation; before PostgreSQL 18 through a CHECK (col IS NOT NULL) that
    SET NOT NULL trusts, dropped afterwards. ``name``: the NOT NULL constraint's (18)."""
    if pg_version >= NOT_NULL_CONSTRAINTS:
        name = name or names.constraint_name(table.name, (column,), "not_null")
        return (
            AddConstraint(table, name, ConstraintType.NOT_NULL, (column,), not_valid=True),
            Preflight(PreflightKind.NOT_NULL, table, (column,), protects=name),
            ValidateConstraint(table, name),
        )
    check = names.constraint_name(table.name, (column,), "not_null_check")
    return (
        AddConstraint(table, check, ConstraintType.CHECK, expression=f"{ident(column)} IS NOT NULL",
                      not_valid=True),
        Preflight(PreflightKind.NOT_NULL, table, (column,), protects=check),
        ValidateConstraint(table, check),
        SetNotNull(table, column),
        DropConstraint(table, check, if_exists=True),
    )


def set_not_null(table: Relation, column: str, pg_version: int,
                 name: str | None = None) -> Fix:
    return Fix(not_null_steps(table, column, pg_version, name),
               summary="Prove the column has no NULL with a validated constraint (a scan that "
               "does not block writes), so NOT NULL needs no scan under ACCESS EXCLUSIVE")


def column_expand(table: Relation, column: str, type_sql: str, pg_version: int) -> Fix:
    """A NOT NULL column without a default: added nullable now; NOT NULL in a later revision,
    once the application writes the column and existing rows are filled."""
    return Fix(
        (AddColumn(table, column, type_sql),),
        later=not_null_steps(table, column, pg_version),
        summary="Add the column nullable now and fill it (alembic_safe.backfill); make it NOT "
                "NULL in a later revision, once the application writes it. Or give it a "
                "constant default: one statement, metadata-only since PostgreSQL 11",
    )


def _fill(table: Relation, column: str, expression: str) -> Backfill:
    """The existing rows of a new column filled with ``expression``, in batches."""
    return Backfill(table, f"{ident(column)} = {expression}", where=f"{ident(column)} IS NULL")


def default_expand(table: Relation, column: ColumnDef, pg_version: int) -> Fix:
    """A column with a volatile default: added without it, the default set for new rows (no
    rewrite), existing rows filled in batches; then NOT NULL, if declared (every row has a
    value by then, and new ones get the default)."""
    assert column.default_sql is not None
    not_null = not_null_steps(table, column.name, pg_version) if column.not_null else ()
    return Fix(
        (AddColumn(table, column.name, column.type_sql),
         SetDefault(table, column.name, column.default_sql),
         _fill(table, column.name, column.default_sql), *not_null),
        summary="Add the column without the default, set the default for new rows (no "
                "rewrite), then fill the existing rows in batches"
                + (" and prove it NOT NULL" if not_null else ""),
    )


def generated_expand(table: Relation, column: ColumnDef, pg_version: int) -> Fix:
    """A stored generated column: on PostgreSQL 18 the same expression VIRTUAL (computed when
    read: no rewrite); before, a plain column filled in batches (new rows need a trigger or
    the application to fill it). Either is another plan, not the same column."""
    assert column.generated_sql is not None
    if pg_version >= VIRTUAL_COLUMNS:
        return Fix(
            (AddColumn(table, column.name, column.type_sql, virtual=column.generated_sql),),
            summary="Make it a virtual generated column: computed when read, so adding it "
                    "writes nothing (it cannot be indexed; compute it in a view or in queries "
                    "otherwise)",
            alternative=True,
        )
    return Fix(
        (AddColumn(table, column.name, column.type_sql),
         _fill(table, column.name, column.generated_sql)),
        summary="Add a plain column and fill it in batches; keep new rows filled with a "
                "trigger or in the application (or compute the value in a view or in queries)",
        alternative=True,
    )


def virtual_not_null(table: Relation, column: ColumnDef, pg_version: int) -> Fix:
    """A virtual generated column added NOT NULL: added without NOT NULL (nothing written),
    then made NOT NULL by a validated constraint, whose scan does not block writes."""
    assert column.generated_sql is not None
    return Fix(
        (AddColumn(table, column.name, column.type_sql, virtual=column.generated_sql),
         *not_null_steps(table, column.name, pg_version)),
        summary="Add the column without NOT NULL (nothing is written), then prove it has no "
                "NULL with a validated constraint, whose scan does not block writes",
    )


def sequence_expand(table: Relation, column: ColumnDef, pg_version: int) -> Fix:
    """A serial or identity column: added plain, a sequence attached as its default for new
    rows (no rewrite), existing rows numbered in batches, then NOT NULL. For serial this is
    what serial is; identity becomes a sequence default (another plan)."""
    sequence = Relation(names.object_name(table.name, column.name, "seq"), table.schema)
    nextval = f"nextval({literal(relation(sequence))}::regclass)"
    return Fix(
        (AddColumn(table, column.name, column.type_name),
         CreateSequence(sequence, table, column.name),
         SetDefault(table, column.name, nextval),
         _fill(table, column.name, nextval),
         *not_null_steps(table, column.name, pg_version)),
        summary="Add the column plain, attach a sequence as its default for new rows (no "
                "rewrite), number the existing rows in batches, then prove it NOT NULL",
        alternative=column.identity,
    )


def type_change_expand(table: Relation, column: str, type_sql: str) -> Fix:
    """Expand/contract instead of a rewrite: a new column of the new type, filled in batches;
    the switch, the drop and the rename come later."""
    new = names.object_name(column, None, "new")
    backfill = Backfill(table, f"{ident(new)} = {ident(column)}::{type_sql}",
                        where=f"{ident(new)} IS NULL AND {ident(column)} IS NOT NULL")
    return Fix(
        (AddColumn(table, new, type_sql), backfill),
        later=(
            RawSQL(f"ALTER TABLE {relation(table)} DROP COLUMN {ident(column)}"),
            RawSQL(f"ALTER TABLE {relation(table)} RENAME COLUMN {ident(new)} TO "
                   f"{ident(column)}"),
        ),
        later_when=f"once the application reads and writes {new} only",
        summary=f"Expand and contract: add {new} of the new type, keep it written (trigger or "
                "application), backfill it, switch reads, then drop the old column",
        alternative=True,
    )


def domain_check_not_valid(domain: Relation, constraint: ConstraintDef) -> Fix:
    """A domain CHECK added NOT VALID (new values are checked at once), validated after its
    transaction committed."""
    assert constraint.expression is not None
    name = constraint.name or names.object_name(domain.name, None, "check")
    return Fix((AddDomainConstraint(domain, name, constraint.expression, not_valid=True),
                ValidateDomainConstraint(domain, name)),
               summary="Add the CHECK NOT VALID (new values are checked at once), then validate "
               "the existing values in a later transaction")


def batched_update(action: ModifyRows) -> Fix:
    """An UPDATE of many rows as key-range batches, each committed on its own, outside the
    migration's transaction (``alembic_safe.backfill``: resumable)."""
    assert action.table is not None and action.assignments is not None
    return Fix((Backfill(action.table, action.assignments, where=action.where_sql),),
               summary="Update in key-range batches outside the migration's transaction, each "
               "committed on its own (alembic_safe.backfill resumes after the last batch done)")


def data_change_after_commit(stmt: StatementFacts, action: ModifyRows) -> Fix:
    """A data change moved out of the transaction that holds a DDL lock on its table: in
    batches when it is an UPDATE of the table's columns, else as written."""
    if action.assignments is not None and action.table is not None:
        return batched_update(action)
    return Fix((RawSQL(stmt.sql, runs_in_transaction=False),),
               summary="Run it after the schema change committed, outside its transaction")


def enum_value_outside(action: AlterEnum) -> Fix:
    """ADD VALUE outside the migration's transaction, IF NOT EXISTS (a re-run passes)."""
    assert action.table is not None and action.add_value is not None
    return Fix((_enum_value(action.table, action.add_value, action.neighbor, action.after),),
               summary="Add the value outside the migration's transaction: committed at once, "
               "usable by the statements after it")


def _enum_value(enum: Relation, value: str, neighbor: str | None, after: bool) -> AddEnumValue:
    return AddEnumValue(enum, value, before=neighbor if not after else None,
                        after=neighbor if after else None)


def enum_value_beside(enum: Relation, old: str, new: str) -> Fix:
    """A renamed enum value added beside the old one instead (another plan)."""
    return Fix((_enum_value(enum, new, old, after=True),),
               summary=f"Add {new!r} beside {old!r}, deploy code that accepts both, move the "
               f"rows over in batches, then stop using {old!r} (it can stay in the type)",
               alternative=True)


def vacuum(table: Relation) -> Fix:
    """A plain VACUUM instead of VACUUM FULL (another plan: the space becomes reusable, the
    file does not shrink)."""
    return Fix((Vacuum(table),),
               summary="A plain VACUUM makes the space reusable without blocking reads or "
               "writes; to shrink the file, use pg_repack outside the migration",
               alternative=True)


def refresh_concurrently(view: Relation) -> Fix:
    return Fix((RefreshView(view),),
               summary="Refresh concurrently: reads of the view go on (the view needs a unique "
               "index on plain columns)")


def detach_concurrently(table: Relation, partition: Relation) -> Fix:
    return Fix((DetachPartition(table, partition),),
               summary="Detach concurrently, outside a transaction: queries on the other "
               "partitions go on")


def view_before_rename(table: Relation, new_name: str) -> Fix:
    """A table rename as expand/contract: a view under the new name now, the rename once no
    running code uses the old name."""
    view = Relation(new_name, table.schema)
    return Fix(
        (CreateView(view, table),),
        later=(RawSQL(f"DROP VIEW {relation(view)}"),
               RawSQL(f"ALTER TABLE {relation(table)} RENAME TO {ident(new_name)}")),
        later_when="once no running code uses the old name",
        summary="Create a view under the new name (reads and writes through it reach the "
                "table), deploy code that uses the new name, then swap the view for the "
                "renamed table",
        alternative=True,
    )


def lock_timeout_first(stmt: StatementFacts) -> Fix:
    """The statement as written, after SET lock_timeout."""
    return Fix((SetLockTimeout(), RawSQL(stmt.sql,
                                         runs_in_transaction=not stmt.requires_no_transaction)),
               summary="Set lock_timeout first: the lock request gives up after a few seconds "
               "instead of queueing every later query on the table behind it (then retry); "
               "the alembic-safe runtime guard does both for you")
