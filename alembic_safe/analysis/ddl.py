"""CREATE / DROP / RENAME of tables, indexes, types and views, and other schema changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast.enums.parsenodes import DropBehavior, ObjectType

from alembic_safe.analysis import columns, deparse, names, tree
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
from alembic_safe.analysis.reads import reads
from alembic_safe.analysis.tree import Fields

#: object kinds whose DROP loses stored data by itself (a schema, type or domain that anything
#: still uses cannot be dropped without CASCADE, which counts as destroying data)
_DATA_KINDS = frozenset({"table", "materialized view", "sequence"})
#: object kinds of functions and procedures
ROUTINE_KINDS = frozenset({"function", "procedure", "routine"})
#: object kinds whose DROP takes ACCESS EXCLUSIVE on the object itself
_RELATION_KINDS = frozenset({"table", "view", "materialized view", "sequence", "index",
                             "foreign table"})


def object_kind(objtype: ObjectType) -> str:
    """``OBJECT_MATVIEW`` -> ``materialized view``, ``OBJECT_TABLE`` -> ``table``."""
    special = {ObjectType.OBJECT_MATVIEW: "materialized view",
               ObjectType.OBJECT_TABCONSTRAINT: "constraint",
               ObjectType.OBJECT_FOREIGN_TABLE: "foreign table"}
    return special.get(objtype, objtype.name.removeprefix("OBJECT_").lower().replace("_", " "))


def create_table(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="CREATE TABLE")
    relation = node.get("relation")
    if relation is None:
        return draft
    table = names.relation(relation)
    cols: list[ColumnDef] = []
    cons: list[ConstraintDef] = []
    for element in tree.items(node, "tableElts"):
        coldef = element.get("ColumnDef")
        if coldef is not None:
            cols.append(columns.column(coldef))
            continue
        con = element.get("Constraint")
        definition = columns.constraint(con) if con is not None else None
        if definition is not None:
            cons.append(definition)
    for con_def in [*cons, *(c for col in cols for c in col.constraints)]:
        if con_def.kind is ConstraintKind.FOREIGN_KEY and con_def.references is not None:
            draft.lock(con_def.references, SRE)
    parent = None
    inherits = [names.relation(r) for r in tree.nodes(node, "inhRelations", "RangeVar")]
    if node.get("partbound") is not None and inherits:
        parent = inherits[0]
        draft.lock(parent, AE)
    else:  # INHERITS (parent, ...): the parents keep writes, not schema changes
        draft.lock_all(inherits, SUE)
    for like in tree.nodes(node, "tableElts", "TableLikeClause"):
        if like.get("relation") is not None:
            draft.lock(names.relation(like["relation"]), LockMode.ACCESS_SHARE)
    persistence = relation.get("relpersistence")
    draft.actions.append(CreateTable(
        table,
        columns=tuple(cols),
        constraints=tuple(cons),
        if_not_exists=tree.flag(node, "if_not_exists"),
        unlogged=persistence == "u",
        temporary=persistence == "t",
        partition_of=parent,
    ))
    draft.creates.append(table)
    draft.may_exist = tree.flag(node, "if_not_exists")
    return draft


def create_table_as(node: Fields, scope: Scope) -> Draft:
    matview = tree.enum(node, "objtype", ObjectType) is ObjectType.OBJECT_MATVIEW
    draft = Draft(kind="CREATE MATERIALIZED VIEW" if matview else "CREATE TABLE AS")
    query = node.get("query")
    if query is not None:
        reads(tree.unwrap(query), draft)
    into = node.get("into")
    rel = into.get("rel") if into is not None else None
    if rel is not None:
        table = names.relation(rel)
        draft.actions.append(CreateTable(table, if_not_exists=tree.flag(node, "if_not_exists"),
                                         as_select=True))
        draft.creates.append(table)
        draft.may_exist = tree.flag(node, "if_not_exists")
    return draft


def create_index(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="CREATE INDEX")
    relation = node.get("relation")
    if relation is None:
        return draft
    table = names.relation(relation)
    cols = tuple(e["name"] for e in tree.nodes(node, "indexParams", "IndexElem") if e.get("name"))
    concurrent = tree.flag(node, "concurrent")
    idxname = tree.text(node, "idxname")
    where = node.get("whereClause")
    draft.actions.append(CreateIndex(
        table,
        index=idxname or None,
        unique=tree.flag(node, "unique"),
        concurrently=concurrent,
        if_not_exists=tree.flag(node, "if_not_exists"),
        columns=cols,
        partial=where is not None,
        only=not tree.flag(relation, "inh"),
        definition=None if _plain_index(node) else _index_definition(node),
        where=deparse.wrapped_sql(where) if where is not None else None,
    ))
    draft.lock(table, SUE if concurrent else LockMode.SHARE)
    draft.requires_no_transaction = concurrent
    if idxname:
        draft.creates.append(Relation(idxname, table.schema))
        draft.may_exist = tree.flag(node, "if_not_exists")
    return draft


_DEFAULT_ORDER = {"ordering": "SORTBY_DEFAULT", "nulls_ordering": "SORTBY_NULLS_DEFAULT"}


def _plain_index(node: Fields) -> bool:
    """A btree index on plain columns in their default order (WHERE aside): nothing to say
    after ``ON table`` but the column list."""
    if node.get("accessMethod", "btree") != "btree" or any(
            node.get(key) for key in ("indexIncludingParams", "options", "tableSpace",
                                      "nulls_not_distinct")):
        return False
    return all(set(elem) <= {"name", *_DEFAULT_ORDER} and elem.get("name")
               and all(elem.get(k, v) == v for k, v in _DEFAULT_ORDER.items())
               for elem in tree.nodes(node, "indexParams", "IndexElem"))


_HEAD = "CREATE INDEX ON x "


def _index_definition(node: Fields) -> str:
    """What follows ``ON table`` (method, elements, INCLUDE, WITH, TABLESPACE, WHERE), printed
    by pglast from the statement with its name, table and options set aside."""
    bare = {key: value for key, value in node.items()
            if key not in ("idxname", "concurrent", "unique", "if_not_exists")}
    bare["relation"] = {"relname": "x", "inh": True}
    printed = deparse.sql("IndexStmt", bare)
    if not printed.startswith(_HEAD):  # pragma: no cover - pglast's fixed spelling
        raise AssertionError(f"unexpected index statement {printed!r}")
    return printed.removeprefix(_HEAD)


def _named(value: Any) -> Relation | None:
    """The object a wrapped name node names: a dotted name list, TypeName, String or function."""
    tag, node = tree.unwrap(value)
    if tag == "List":
        return names.from_names(node.get("items"))
    if tag == "TypeName":
        return names.from_names(node.get("names"))
    if tag == "String":
        return Relation(node.get("sval") or "")
    if tag == "ObjectWithArgs":
        return names.from_names(node.get("objname"))
    return None


def drop(node: Fields, scope: Scope) -> Draft:
    kind = object_kind(tree.enum(node, "removeType", ObjectType))
    draft = Draft(kind=f"DROP {kind.upper()}")
    cascade = tree.enum(node, "behavior", DropBehavior) is DropBehavior.DROP_CASCADE
    if_exists = tree.flag(node, "missing_ok")
    concurrent = tree.flag(node, "concurrent")
    for obj in tree.items(node, "objects"):
        if kind in ROUTINE_KINDS:
            draft.actions.append(DropObject(_named(obj) or Relation("?"), object_kind=kind,
                                            if_exists=if_exists, cascade=cascade))
            draft.undefines.append(_named(obj) or Relation("?"))
            continue
        parts = tree.listed(obj)
        if kind in ("trigger", "rule", "policy") and parts is not None and len(parts) > 1:
            target = names.from_names(parts[:-1])
            draft.actions.append(DropObject(target, object_kind=kind, if_exists=if_exists,
                                            cascade=cascade))
            draft.lock(target, AE)
            continue
        target = _named(obj) or Relation("?")
        draft.actions.append(DropObject(
            target, object_kind=kind, concurrently=concurrent, if_exists=if_exists,
            cascade=cascade))
        draft.drops.append(target)
        if kind in _RELATION_KINDS:
            mode = SUE if concurrent else AE
            draft.lock(target, mode)
            if kind == "index":
                table = scope.index_table(target)
                if table is not None:
                    draft.lock(table, mode)
        if kind == "table":  # its foreign keys go: their triggers on the other tables too
            draft.lock_all(scope.referenced(target), AE)
            if cascade:
                draft.lock_all(scope.referencing(target), AE)
    draft.requires_no_transaction = concurrent
    draft.destroys_data = kind in _DATA_KINDS or cascade
    draft.breaks_running_code = kind in ("table", "view", "materialized view", "column")
    return draft


def _renamed(node: Fields) -> Relation:
    relation = node.get("relation")
    if relation is not None:
        return names.relation(relation)
    named = _named(node["object"]) if node.get("object") is not None else None
    return named or Relation(node.get("subname") or "?")


def rename(node: Fields, scope: Scope) -> Draft:
    rename_type = tree.enum(node, "renameType", ObjectType)
    kind = object_kind(rename_type)
    target = _renamed(node)
    if rename_type in (ObjectType.OBJECT_COLUMN, ObjectType.OBJECT_ATTRIBUTE):
        statement = object_kind(tree.enum(node, "relationType", ObjectType))
    elif rename_type is ObjectType.OBJECT_TABCONSTRAINT:
        statement = "table"
    else:
        statement = kind
    draft = Draft(kind=f"ALTER {statement.upper()}")
    subname = tree.text(node, "subname")
    newname = tree.text(node, "newname") or ""
    old = subname if subname else target.name
    draft.actions.append(Rename(target, object_kind=kind, old_name=old, new_name=newname))
    if kind in ("column", "table", "view", "materialized view"):
        draft.breaks_running_code = True
    if kind in _RELATION_KINDS or kind in ("column", "constraint", "trigger"):
        draft.lock(target, SUE if kind == "index" else AE)
    if kind in _RELATION_KINDS or kind in ("type", "domain"):
        draft.renames.append((target, Relation(newname, target.schema)))
    return draft


#: CREATE statements of types, domains, sequences and views: (field naming it, statement kind)
_CREATED = {
    "CreateEnumStmt": ("typeName", "CREATE TYPE"),
    "CreateRangeStmt": ("typeName", "CREATE TYPE"),
    "CompositeTypeStmt": ("typevar", "CREATE TYPE"),
    "CreateDomainStmt": ("domainname", "CREATE DOMAIN"),
    "CreateSeqStmt": ("sequence", "CREATE SEQUENCE"),
    "ViewStmt": ("view", "CREATE VIEW"),
}


def create_object(tag: str) -> Callable[[Fields, Scope], Draft]:
    """The handler of CREATE TYPE (enum, composite, range) / DOMAIN / SEQUENCE / VIEW."""
    field, kind = _CREATED[tag]

    def handler(node: Fields, scope: Scope) -> Draft:
        value = node.get(field)
        if value is None:
            return Draft(kind="CREATE TYPE")
        created = names.relation(value) if isinstance(value, dict) else names.from_names(value)
        draft = Draft(kind=kind)
        draft.actions.append(OtherStatement(created, command=kind))
        query = node.get("query")
        if query is not None:  # a view reads the tables of its query
            reads(tree.unwrap(query), draft)
        if tree.flag(node, "replace"):  # CREATE OR REPLACE VIEW
            draft.lock(created, AE)
        draft.creates.append(created)
        draft.may_exist = tree.flag(node, "replace") or tree.flag(node, "if_not_exists")
        return draft

    return handler


def alter_enum(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="ALTER TYPE")
    enum = names.from_names(node.get("typeName"))
    old_value = tree.text(node, "oldVal")
    new_value = tree.text(node, "newVal")
    if old_value:
        draft.actions.append(AlterEnum(enum, rename_value=(old_value, new_value or "")))
        draft.breaks_running_code = True
    else:
        neighbor = tree.text(node, "newValNeighbor")
        draft.actions.append(AlterEnum(enum, add_value=new_value,
                                       if_not_exists=tree.flag(node, "skipIfNewValExists"),
                                       positioned=bool(neighbor), neighbor=neighbor,
                                       after=tree.flag(node, "newValIsAfter")))
        draft.requires_no_transaction = scope.context.pg_version < 12
    return draft


def alter_domain(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="ALTER DOMAIN")
    domain = names.from_names(node.get("typeName"))
    con = tree.of(node.get("def"), "Constraint") if node.get("subtype") == "C" else None
    definition = columns.constraint(con, printed=True) if con is not None else None
    if definition is not None:
        draft.actions.append(AddConstraint(domain, constraint=definition, on_domain=True))
        draft.validates_constraint = not definition.not_valid
    else:
        draft.actions.append(OtherStatement(domain, command="ALTER DOMAIN"))
    return draft


def create_trigger(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="CREATE TRIGGER")
    relation = node.get("relation")
    if relation is not None:
        table = names.relation(relation)
        draft.actions.append(OtherStatement(table, command="CREATE TRIGGER"))
        draft.lock(table, SRE)
    return draft


def comment(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="COMMENT")
    objtype = tree.enum(node, "objtype", ObjectType)
    target: Relation | None = None
    parts = tree.listed(node.get("object"))
    if parts is not None:
        if objtype == ObjectType.OBJECT_COLUMN:
            parts = parts[:-1]
        if objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN,
                       ObjectType.OBJECT_INDEX, ObjectType.OBJECT_VIEW,
                       ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SEQUENCE):
            target = names.from_names(parts)
            draft.lock(target, SUE)
    draft.actions.append(OtherStatement(target, command="COMMENT"))
    return draft


def set_schema(node: Fields, scope: Scope) -> Draft:
    kind = object_kind(tree.enum(node, "objectType", ObjectType))
    draft = Draft(kind=f"ALTER {kind.upper()}")
    relation = node.get("relation")
    target = names.relation(relation) if relation is not None else None
    draft.actions.append(OtherStatement(target, command="SET SCHEMA"))
    if target is not None:
        draft.lock(target, AE)
        draft.breaks_running_code = True
        draft.renames.append((target, Relation(target.name, tree.text(node, "newschema"))))
    return draft


def drop_database(node: Fields, scope: Scope) -> Draft:
    draft = Draft(kind="DROP DATABASE", requires_no_transaction=True, destroys_data=True)
    draft.actions.append(DropObject(Relation(tree.text(node, "dbname") or "?"),
                                    object_kind="database",
                                    if_exists=tree.flag(node, "missing_ok")))
    return draft


def access_exclusive_on(kind: str, field: str) -> Callable[[Fields, Scope], Draft]:
    """A statement that takes ACCESS EXCLUSIVE on the table in its ``field`` (pg_locks shows
    it): CREATE [OR REPLACE] RULE (``relation``), CREATE / ALTER POLICY (``table``)."""

    def handler(node: Fields, scope: Scope) -> Draft:
        draft = Draft(kind=kind)
        relation = node.get(field)
        table = names.relation(relation) if relation is not None else None
        draft.actions.append(OtherStatement(table, command=kind))
        if table is not None:
            draft.lock(table, AE)
        return draft

    return handler


def create_statistics(node: Fields, scope: Scope) -> Draft:
    """CREATE STATISTICS: SHARE UPDATE EXCLUSIVE on the table."""
    draft = Draft(kind="CREATE STATISTICS")
    tables = [names.relation(r) for r in tree.nodes(node, "relations", "RangeVar")]
    draft.actions.append(OtherStatement(tables[0] if tables else None, command=draft.kind))
    draft.lock_all(tables, SUE)
    return draft


def publication(tag: str) -> Callable[[Fields, Scope], Draft]:
    """CREATE / ALTER PUBLICATION ... TABLE: SHARE UPDATE EXCLUSIVE on each table named."""
    kind = "CREATE PUBLICATION" if tag == "CreatePublicationStmt" else "ALTER PUBLICATION"

    def handler(node: Fields, scope: Scope) -> Draft:
        draft = Draft(kind=kind)
        draft.actions.append(OtherStatement(None, command=kind))
        for spec in tree.nodes(node, "pubobjects", "PublicationObjSpec"):
            table = spec.get("pubtable")
            if table is not None and table.get("relation") is not None:
                draft.lock(names.relation(table["relation"]), SUE)
        return draft

    return handler


def alter_sequence(node: Fields, scope: Scope) -> Draft:
    """ALTER SEQUENCE: SHARE ROW EXCLUSIVE on the sequence (``nextval()``, so every INSERT
    that fills a column from it, waits)."""
    draft = Draft(kind="ALTER SEQUENCE")
    relation = node.get("sequence")
    sequence = names.relation(relation) if relation is not None else None
    draft.actions.append(OtherStatement(sequence, command=draft.kind))
    if sequence is not None:
        draft.lock(sequence, SRE)
    return draft
