"""CREATE / DROP / RENAME of tables, indexes, types and views, and other schema changes."""

from __future__ import annotations

from pglast import ast
from pglast.enums.parsenodes import DropBehavior, ObjectType

from alembic_safe.analysis import columns, names
from alembic_safe.analysis.draft import Draft, Scope
from alembic_safe.analysis.facts import (
    AddConstraint,
    AlterEnum,
    ColumnDef,
    ConstraintDef,
    ConstraintKind,
    CreateIndex,
    CreateTable,
    DropObject,
    LockMode,
    OtherStatement,
    Relation,
    Rename,
)
from alembic_safe.analysis.locks import AE, SRE, SUE

#: object kinds whose DROP loses stored data
_DATA_KINDS = frozenset({"table", "materialized view", "schema", "type", "sequence", "domain"})
#: object kinds whose DROP takes ACCESS EXCLUSIVE on the object itself
_RELATION_KINDS = frozenset({"table", "view", "materialized view", "sequence", "index",
                             "foreign table"})


def object_kind(objtype: ObjectType) -> str:
    """``OBJECT_MATVIEW`` -> ``materialized view``, ``OBJECT_TABLE`` -> ``table``."""
    special = {ObjectType.OBJECT_MATVIEW: "materialized view",
               ObjectType.OBJECT_TABCONSTRAINT: "constraint",
               ObjectType.OBJECT_FOREIGN_TABLE: "foreign table"}
    return special.get(objtype, objtype.name.removeprefix("OBJECT_").lower().replace("_", " "))


def create_table(node: ast.CreateStmt, scope: Scope) -> Draft:
    draft = Draft(kind="CREATE TABLE")
    if node.relation is None:
        return draft
    table = names.relation(node.relation)
    cols: list[ColumnDef] = []
    cons: list[ConstraintDef] = []
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            cols.append(columns.column(element))
        elif isinstance(element, ast.Constraint):
            definition = columns.constraint(element)
            if definition is not None:
                cons.append(definition)
    for con in [*cons, *(c for col in cols for c in col.constraints)]:
        if con.kind is ConstraintKind.FOREIGN_KEY and con.references is not None:
            draft.lock(con.references, SRE)
    parent = None
    if node.partbound is not None and node.inhRelations:
        first = node.inhRelations[0]
        if isinstance(first, ast.RangeVar):
            parent = names.relation(first)
            draft.lock(parent, AE)
    persistence = node.relation.relpersistence
    draft.actions.append(CreateTable(
        table,
        columns=tuple(cols),
        constraints=tuple(cons),
        if_not_exists=bool(node.if_not_exists),
        unlogged=persistence == "u",
        temporary=persistence == "t",
        partition_of=parent,
    ))
    draft.creates.append(table)
    return draft


def create_table_as(node: ast.CreateTableAsStmt, scope: Scope) -> Draft:
    matview = node.objtype == ObjectType.OBJECT_MATVIEW
    draft = Draft(kind="CREATE MATERIALIZED VIEW" if matview else "CREATE TABLE AS")
    into = node.into.rel if node.into is not None else None
    if into is not None:
        table = names.relation(into)
        draft.actions.append(CreateTable(table, if_not_exists=bool(node.if_not_exists),
                                         as_select=True))
        draft.creates.append(table)
    return draft


def create_index(node: ast.IndexStmt, scope: Scope) -> Draft:
    draft = Draft(kind="CREATE INDEX")
    if node.relation is None:
        return draft
    table = names.relation(node.relation)
    cols = tuple(e.name for e in node.indexParams or () if isinstance(e, ast.IndexElem) and e.name)
    draft.actions.append(CreateIndex(
        table,
        index=node.idxname or None,
        unique=bool(node.unique),
        concurrently=bool(node.concurrent),
        if_not_exists=bool(node.if_not_exists),
        columns=cols,
        partial=node.whereClause is not None,
        only=not node.relation.inh,
    ))
    draft.lock(table, SUE if node.concurrent else LockMode.SHARE)
    draft.requires_no_transaction = bool(node.concurrent)
    if node.idxname:
        draft.creates.append(Relation(node.idxname, table.schema))
    return draft


def _dropped(node: ast.Node) -> Relation:
    if isinstance(node, ast.TypeName):
        return names.from_names(node.names)
    if isinstance(node, ast.String):
        return Relation(node.sval or "")
    if isinstance(node, ast.ObjectWithArgs):
        return names.from_names(node.objname)
    if isinstance(node, tuple):
        return names.from_names(node)
    return Relation("?")


def drop(node: ast.DropStmt, scope: Scope) -> Draft:
    kind = object_kind(ObjectType(node.removeType or 0))
    draft = Draft(kind=f"DROP {kind.upper()}")
    cascade = node.behavior == DropBehavior.DROP_CASCADE
    for obj in node.objects or ():
        if kind in ("trigger", "rule", "policy") and isinstance(obj, tuple) and len(obj) > 1:
            target = names.from_names(obj[:-1])
            draft.actions.append(DropObject(target, object_kind=kind,
                                            if_exists=bool(node.missing_ok), cascade=cascade))
            draft.lock(target, AE)
            continue
        target = _dropped(obj)
        draft.actions.append(DropObject(
            target, object_kind=kind, concurrently=bool(node.concurrent),
            if_exists=bool(node.missing_ok), cascade=cascade))
        draft.drops.append(target)
        if kind in _RELATION_KINDS:
            mode = SUE if node.concurrent else AE
            draft.lock(target, mode)
            if kind == "index":
                table = scope.index_table(target)
                if table is not None:
                    draft.lock(table, mode)
    draft.requires_no_transaction = bool(node.concurrent)
    draft.destroys_data = kind in _DATA_KINDS or cascade
    draft.breaks_running_code = kind in ("table", "view", "materialized view", "column")
    return draft


def _renamed(node: ast.RenameStmt) -> Relation:
    if node.relation is not None:
        return names.relation(node.relation)
    if isinstance(node.object, tuple):
        return names.from_names(node.object)
    if isinstance(node.object, ast.ObjectWithArgs):
        return names.from_names(node.object.objname)
    if isinstance(node.object, ast.TypeName):
        return names.from_names(node.object.names)
    if isinstance(node.object, ast.String):
        return Relation(node.object.sval or "")
    return Relation(node.subname or "?")


def rename(node: ast.RenameStmt, scope: Scope) -> Draft:
    rename_type = ObjectType(node.renameType or 0)
    kind = object_kind(rename_type)
    target = _renamed(node)
    if rename_type in (ObjectType.OBJECT_COLUMN, ObjectType.OBJECT_ATTRIBUTE):
        statement = object_kind(ObjectType(node.relationType or 0))
    elif rename_type is ObjectType.OBJECT_TABCONSTRAINT:
        statement = "table"
    else:
        statement = kind
    draft = Draft(kind=f"ALTER {statement.upper()}")
    old = node.subname if node.subname else target.name
    draft.actions.append(Rename(target, object_kind=kind, old_name=old,
                                new_name=node.newname or ""))
    if kind in ("column", "table", "view", "materialized view"):
        draft.breaks_running_code = True
    if kind in _RELATION_KINDS or kind in ("column", "constraint", "trigger"):
        draft.lock(target, SUE if kind == "index" else AE)
    if kind in _RELATION_KINDS or kind in ("type", "domain"):
        draft.renames.append((target, Relation(node.newname or "", target.schema)))
    return draft


def create_type(node: ast.Node, scope: Scope) -> Draft:
    """CREATE TYPE (enum, composite, range) / CREATE DOMAIN / CREATE SEQUENCE / CREATE VIEW."""
    if isinstance(node, (ast.CreateEnumStmt, ast.CreateRangeStmt)):
        created, kind = names.from_names(node.typeName), "CREATE TYPE"
    elif isinstance(node, ast.CompositeTypeStmt) and node.typevar is not None:
        created, kind = names.relation(node.typevar), "CREATE TYPE"
    elif isinstance(node, ast.CreateDomainStmt):
        created, kind = names.from_names(node.domainname), "CREATE DOMAIN"
    elif isinstance(node, ast.CreateSeqStmt) and node.sequence is not None:
        created, kind = names.relation(node.sequence), "CREATE SEQUENCE"
    elif isinstance(node, ast.ViewStmt) and node.view is not None:
        created, kind = names.relation(node.view), "CREATE VIEW"
    else:
        return Draft(kind="CREATE TYPE")
    draft = Draft(kind=kind)
    draft.actions.append(OtherStatement(created, command=kind))
    if isinstance(node, ast.ViewStmt) and node.replace:
        draft.lock(created, AE)
    draft.creates.append(created)
    return draft


def alter_enum(node: ast.AlterEnumStmt, scope: Scope) -> Draft:
    draft = Draft(kind="ALTER TYPE")
    enum = names.from_names(node.typeName)
    if node.oldVal:
        draft.actions.append(AlterEnum(enum, rename_value=(node.oldVal, node.newVal or "")))
        draft.breaks_running_code = True
    else:
        draft.actions.append(AlterEnum(enum, add_value=node.newVal,
                                       if_not_exists=bool(node.skipIfNewValExists),
                                       positioned=bool(node.newValNeighbor)))
        draft.requires_no_transaction = scope.context.pg_version < 12
    return draft


def alter_domain(node: ast.AlterDomainStmt, scope: Scope) -> Draft:
    draft = Draft(kind="ALTER DOMAIN")
    domain = names.from_names(node.typeName)
    definition = (columns.constraint(node.def_) if node.subtype == "C"
                  and isinstance(node.def_, ast.Constraint) else None)
    if definition is not None:
        draft.actions.append(AddConstraint(domain, constraint=definition, on_domain=True))
        draft.validates_constraint = not definition.not_valid
    else:
        draft.actions.append(OtherStatement(domain, command="ALTER DOMAIN"))
    return draft


def create_trigger(node: ast.CreateTrigStmt, scope: Scope) -> Draft:
    draft = Draft(kind="CREATE TRIGGER")
    if node.relation is not None:
        table = names.relation(node.relation)
        draft.actions.append(OtherStatement(table, command="CREATE TRIGGER"))
        draft.lock(table, SRE)
    return draft


def comment(node: ast.CommentStmt, scope: Scope) -> Draft:
    draft = Draft(kind="COMMENT")
    objtype = ObjectType(node.objtype or 0)
    target: Relation | None = None
    if isinstance(node.object, tuple):
        parts = node.object[:-1] if objtype == ObjectType.OBJECT_COLUMN else node.object
        if objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN,
                       ObjectType.OBJECT_INDEX, ObjectType.OBJECT_VIEW,
                       ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SEQUENCE):
            target = names.from_names(parts)
            draft.lock(target, SUE)
    draft.actions.append(OtherStatement(target, command="COMMENT"))
    return draft


def set_schema(node: ast.AlterObjectSchemaStmt, scope: Scope) -> Draft:
    kind = object_kind(ObjectType(node.objectType or 0))
    draft = Draft(kind=f"ALTER {kind.upper()}")
    target = names.relation(node.relation) if node.relation is not None else None
    draft.actions.append(OtherStatement(target, command="SET SCHEMA"))
    if target is not None:
        draft.lock(target, AE)
        draft.breaks_running_code = True
        draft.renames.append((target, Relation(target.name, node.newschema)))
    return draft


def drop_database(node: ast.DropdbStmt, scope: Scope) -> Draft:
    draft = Draft(kind="DROP DATABASE", requires_no_transaction=True, destroys_data=True)
    draft.actions.append(DropObject(Relation(node.dbname or "?"), object_kind="database",
                                    if_exists=bool(node.missing_ok)))
    return draft
