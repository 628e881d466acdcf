"""ALTER TABLE / ALTER INDEX / ALTER VIEW ...: one action per subcommand, strongest lock wins."""

from __future__ import annotations

from pglast.enums.parsenodes import AlterTableType as AT
from pglast.enums.parsenodes import DropBehavior, ObjectType

from alembic_safe.analysis import columns, names, tree
from alembic_safe.analysis.coercion import rewrite_free
from alembic_safe.analysis.draft import Draft, Scope
from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    ConstraintDef,
    ConstraintKind,
    DropColumn,
    DropConstraint,
    DropNotNull,
    LockMode,
    OtherStatement,
    Relation,
    SetColumnDefault,
    SetNotNull,
    TableRewriteCommand,
    ValidateConstraint,
    Volatility,
)
from alembic_safe.analysis.locks import AE, ALTER_TABLE_LOCKS, SRE, SUE, storage_parameter_lock
from alembic_safe.analysis.tree import Fields

_KIND = {
    ObjectType.OBJECT_TABLE: "ALTER TABLE",
    ObjectType.OBJECT_INDEX: "ALTER INDEX",
    ObjectType.OBJECT_VIEW: "ALTER VIEW",
    ObjectType.OBJECT_MATVIEW: "ALTER MATERIALIZED VIEW",
    ObjectType.OBJECT_SEQUENCE: "ALTER SEQUENCE",
    ObjectType.OBJECT_FOREIGN_TABLE: "ALTER FOREIGN TABLE",
}

_REWRITE_COMMANDS = {
    AT.AT_SetLogged: "SET LOGGED",
    AT.AT_SetUnLogged: "SET UNLOGGED",
    AT.AT_SetTableSpace: "SET TABLESPACE",
    AT.AT_SetAccessMethod: "SET ACCESS METHOD",
}


def _command_name(subtype: AT) -> str:
    """``AT_SetStatistics`` -> ``SET STATISTICS`` (for subcommands kept as OtherStatement)."""
    text = subtype.name.removeprefix("AT_")
    words: list[str] = []
    for ch in text:
        if ch.isupper() and words:
            words.append(" ")
        words.append(ch.upper())
    return "".join(words)


def alter_table(node: Fields, scope: Scope) -> Draft:
    kind = _KIND.get(tree.enum(node, "objtype", ObjectType), "ALTER TABLE")
    draft = Draft(kind=kind)
    relation = node.get("relation")
    if relation is None:
        return draft
    table = names.relation(relation)
    draft.lock(table, LockMode.ACCESS_SHARE)  # listed first; raised by the subcommands
    for cmd in tree.nodes(node, "cmds", "AlterTableCmd"):
        mode = _subcommand(cmd, table, scope, draft)
        draft.lock(table, mode)
    return draft


def _subcommand(cmd: Fields, table: Relation, scope: Scope, draft: Draft) -> LockMode:
    """Record one subcommand's actions and effects; return its lock on ``table``."""
    subtype = tree.enum(cmd, "subtype", AT)
    column = tree.text(cmd, "name") or ""
    definition = cmd.get("def")
    cascade = tree.enum(cmd, "behavior", DropBehavior) is DropBehavior.DROP_CASCADE
    coldef = tree.of(definition, "ColumnDef")
    if subtype is AT.AT_AddColumn and coldef is not None:
        return _add_column(coldef, tree.flag(cmd, "missing_ok"), table, draft)
    if subtype is AT.AT_DropColumn:
        draft.actions.append(DropColumn(table, column=column,
                                        if_exists=tree.flag(cmd, "missing_ok"), cascade=cascade))
        draft.destroys_data = draft.breaks_running_code = True
        _foreign_key_partners(scope, draft, table, [column], cascade)
        return AE
    if subtype is AT.AT_AlterColumnType and coldef is not None:
        return _alter_type(coldef, column, table, scope, draft)
    if subtype is AT.AT_SetNotNull:
        validated = scope.context.pg_version >= 12 and scope.has_validated_not_null_check(
            table, column)
        draft.actions.append(SetNotNull(table, column=column,
                                        has_validated_not_null_check=validated))
        if not validated:
            draft.scan(table)
        return AE
    if subtype is AT.AT_DropNotNull:
        draft.actions.append(DropNotNull(table, column=column))
        return AE
    if subtype is AT.AT_ColumnDefault:
        draft.actions.append(SetColumnDefault(table, column=column, dropped=definition is None))
        return AE
    con = tree.of(definition, "Constraint")
    if subtype is AT.AT_AddConstraint and con is not None:
        added = columns.constraint(con, printed=True)
        if added is not None:
            return _add_constraint(added, table, draft)
        return AE
    if subtype is AT.AT_ValidateConstraint:
        return _validate(column, table, scope, draft)
    if subtype is AT.AT_DropConstraint:
        draft.actions.append(DropConstraint(table, name=column,
                                            if_exists=tree.flag(cmd, "missing_ok"),
                                            cascade=cascade))
        draft.destroys_data = draft.destroys_data or cascade  # what depends on it goes too
        _dropped_constraint(scope, draft, table, column, cascade)
        return AE
    if subtype in _REWRITE_COMMANDS:
        draft.actions.append(TableRewriteCommand(table, command=_REWRITE_COMMANDS[subtype]))
        draft.rewrite(table)
        return AE
    if subtype in (AT.AT_AttachPartition, AT.AT_DetachPartition, AT.AT_DetachPartitionFinalize):
        return _partition(tree.of(definition, "PartitionCmd"), subtype, table, draft)
    if subtype in (AT.AT_SetRelOptions, AT.AT_ResetRelOptions):
        draft.actions.append(OtherStatement(table, command=_command_name(subtype)))
        options = [f"{d['defnamespace']}.{d.get('defname')}" if d.get("defnamespace")
                   else d.get("defname") or ""
                   for item in tree.listed(definition) or ()
                   if (d := tree.of(item, "DefElem")) is not None]
        return storage_parameter_lock(options)
    if subtype is AT.AT_SetExpression:
        draft.rewrite(table)
    draft.actions.append(OtherStatement(table, command=_command_name(subtype)))
    return ALTER_TABLE_LOCKS.get(subtype, AE)


def _add_column(coldef: Fields, if_not_exists: bool, table: Relation, draft: Draft) -> LockMode:
    col = columns.column(coldef, printed=True)
    draft.actions.append(AddColumn(table, column=col, if_not_exists=if_not_exists))
    if (
        col.default_volatility is Volatility.VOLATILE
        or col.identity
        or col.serial
        or col.generated_stored
    ):
        draft.rewrite(table)
    if col.generated_virtual and col.not_null:
        draft.scan(table)  # nothing is written, but every row's value is computed and checked
    for con in col.constraints:
        _constraint_effects(con, table, draft)
    return AE


def _constraint_effects(con: ConstraintDef, table: Relation, draft: Draft) -> None:
    """Scans and referenced-table locks a new constraint causes."""
    if con.kind in (ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY) and not con.not_valid:
        draft.scan(table)
        draft.validates_constraint = True
    indexed = (ConstraintKind.UNIQUE, ConstraintKind.PRIMARY_KEY, ConstraintKind.EXCLUDE)
    if con.kind in indexed and con.using_index is None:
        draft.scan(table)
    if con.kind is ConstraintKind.NOT_NULL and not con.not_valid:
        draft.scan(table)
    if con.kind is ConstraintKind.FOREIGN_KEY and con.references is not None:
        draft.lock(con.references, SRE)


def _add_constraint(con: ConstraintDef, table: Relation, draft: Draft) -> LockMode:
    draft.actions.append(AddConstraint(table, constraint=con))
    _constraint_effects(con, table, draft)
    return SRE if con.kind is ConstraintKind.FOREIGN_KEY else AE


def _validate(name: str, table: Relation, scope: Scope, draft: Draft) -> LockMode:
    draft.actions.append(ValidateConstraint(table, name=name))
    draft.scan(table)
    draft.validates_constraint = True
    earlier = scope.constraint(table, name)
    if earlier is not None and earlier.references is not None:
        draft.lock(earlier.references, LockMode.ROW_SHARE)
    return SUE


def _alter_type(
    coldef: Fields, column: str, table: Relation, scope: Scope, draft: Draft
) -> LockMode:
    declared = columns.column(coldef, printed=True) if coldef.get("typeName") else None
    new_type = declared.type_name if declared is not None else "?"
    old_type = scope.column_type(table, column)
    free = rewrite_free(old_type, new_type) if old_type is not None else None
    using = coldef.get("raw_default") is not None
    if using and free:
        free = False  # USING recomputes every value
    draft.actions.append(AlterColumnType(
        table, column=column, new_type=new_type, using=using,
        new_type_sql=declared.type_sql if declared is not None else "",
        old_type=old_type, rewrite_free=free))
    if not free:
        draft.rewrite(table)
        draft.breaks_running_code = True
    _foreign_key_partners(scope, draft, table, [column], cascade=True)  # keys are rebuilt
    return AE


def _foreign_key_partners(scope: Scope, draft: Draft, table: Relation, columns: list[str],
                          cascade: bool) -> None:
    """ACCESS EXCLUSIVE on the other table of each foreign key declared earlier that the change
    of ``columns`` drops or rebuilds: the tables its keys on them reference, and (``cascade``)
    the tables whose keys reference them."""
    draft.lock_all(scope.referenced(table, columns), AE)
    if cascade:
        draft.lock_all(scope.referencing(table, columns), AE)


def _dropped_constraint(scope: Scope, draft: Draft, table: Relation, name: str,
                        cascade: bool) -> None:
    """DROP CONSTRAINT of a constraint declared earlier: a foreign key's referenced table is
    locked too (its triggers go); with CASCADE, a key's dependent foreign keys go as well."""
    con = scope.constraint(table, name)
    if con is None:
        return
    if con.kind is ConstraintKind.FOREIGN_KEY and con.references is not None:
        draft.lock(con.references, AE)
    if cascade and con.kind in (ConstraintKind.PRIMARY_KEY, ConstraintKind.UNIQUE):
        draft.lock_all(scope.referencing(table, con.columns), AE)


def _partition(spec: Fields | None, subtype: AT, table: Relation, draft: Draft) -> LockMode:
    """ATTACH / DETACH PARTITION; ``spec`` is the PartitionCmd."""
    name = spec.get("name") if spec is not None else None
    partition = names.relation(name) if name is not None else None
    concurrent = spec is not None and tree.flag(spec, "concurrent")
    if subtype is AT.AT_AttachPartition:
        draft.actions.append(TableRewriteCommand(table, command="ATTACH PARTITION",
                                                 partition=partition))
        if partition is not None:
            draft.lock(partition, AE)
            draft.scan(partition)
        return SUE
    if subtype is AT.AT_DetachPartitionFinalize:
        draft.actions.append(TableRewriteCommand(table, command="DETACH PARTITION FINALIZE"))
        return SUE
    draft.actions.append(TableRewriteCommand(table, command="DETACH PARTITION",
                                             concurrently=concurrent, partition=partition))
    if concurrent:
        draft.requires_no_transaction = True
    mode = SUE if concurrent else AE
    if partition is not None:
        draft.lock(partition, mode)
    return mode

