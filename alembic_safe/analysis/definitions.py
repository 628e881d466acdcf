"""Index, constraint and enum-value definitions as comparable shapes (parsed by pglast).

A statement that creates an index or a constraint, and PostgreSQL's own description of an
existing one (``pg_get_indexdef``, ``pg_get_constraintdef``), are parsed by the same parser
and reduced to what defines the object. Names, source positions and spellings that create the
same object are dropped or made one: CONCURRENTLY, IF NOT EXISTS, the table (its identity is
the catalog's business), ONLY, ASC, the default NULLS order, ``(col)`` for ``col``, and
storage parameters written as numbers or strings. Two equal shapes define the same object.

PostgreSQL rewrites expressions when it stores them (``s = 'a'`` on a varchar column is
printed ``((s)::text = 'a'::text)``), so a statement and a stored definition can differ in
shape and still be the same: :func:`probe_index` and :func:`probe_constraint` give the
statement rewritten to run on an empty scratch table, so that PostgreSQL can normalise it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.enums.parsenodes import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError
from pglast.stream import RawStream

from alembic_safe.analysis.facts import ConstraintKind, Relation

#: a node as nested plain data (``Node(skip_none=True)``), normalised
Shape = Any

_KINDS = {
    ConstrType.CONSTR_CHECK: ConstraintKind.CHECK,
    ConstrType.CONSTR_FOREIGN: ConstraintKind.FOREIGN_KEY,
    ConstrType.CONSTR_UNIQUE: ConstraintKind.UNIQUE,
    ConstrType.CONSTR_PRIMARY: ConstraintKind.PRIMARY_KEY,
    ConstrType.CONSTR_EXCLUSION: ConstraintKind.EXCLUDE,
    ConstrType.CONSTR_NOTNULL: ConstraintKind.NOT_NULL,
}
#: fields that hold a position in the source text (``location``, ``list_start``, ...)
_POSITIONS = frozenset(
    name for cls in vars(ast).values()
    if isinstance(slots := getattr(cls, "__slots__", None), dict)
    for name, info in slots.items() if info.c_type == "ParseLoc")
#: IndexStmt fields that do not change the index (the table is compared by the catalog)
_INDEX_NOISE = frozenset({"idxname", "relation", "concurrent", "if_not_exists", "tableSpace",
                          "idxcomment", "reset_default_tblspc", "transformed", "oldNumber",
                          "oldCreateSubid", "oldFirstRelfilelocatorSubid"})
#: Constraint fields compared apart (validity, names, the referenced table, the storage
#: parameters of its index, which pg_get_constraintdef does not print) or not at all
_CONSTRAINT_NOISE = frozenset({"conname", "skip_validation", "initially_valid", "indexname",
                               "indexspace", "reset_default_tblspc", "pktable", "pk_attrs",
                               "options"})


@dataclass(frozen=True)
class IndexDefinition:
    """A ``CREATE INDEX`` statement or ``pg_get_indexdef`` text."""

    name: str | None
    table: Relation
    unique: bool
    tablespace: str | None
    #: the key columns by name, None for an expression
    columns: tuple[str | None, ...]
    shape: Shape = field(repr=False)
    node: ast.IndexStmt = field(repr=False, compare=False)


@dataclass(frozen=True)
class ConstraintDefinition:
    """One ``ADD CONSTRAINT`` of a statement, or ``pg_get_constraintdef`` text."""

    name: str | None
    kind: ConstraintKind | None
    #: False for NOT VALID
    validated: bool
    using_index: str | None
    #: FOREIGN KEY: the referenced table and columns as written (none: its primary key)
    references: Relation | None
    referenced_columns: tuple[str, ...]
    #: storage parameters of its index (``WITH (fillfactor=70)``) as ``name=value``, sorted
    storage: tuple[str, ...]
    deferrable: bool
    initially_deferred: bool
    shape: Shape = field(repr=False)
    node: ast.Constraint = field(repr=False, compare=False)


@dataclass(frozen=True)
class EnumAddition:
    """``ALTER TYPE ... ADD VALUE``: the value and where it goes."""

    type: Relation
    value: str
    neighbor: str | None  # BEFORE/AFTER this label; None: at the end
    after: bool


def _statement(sql: str) -> ast.Node | None:
    """The one statement of ``sql``; None when it does not parse or holds several."""
    try:
        parsed = parse_sql(sql)
    except ParseError:
        return None
    return parsed[0].stmt if len(parsed) == 1 else None


def _names(values: Any) -> tuple[str, ...]:
    return tuple(v.sval or "" for v in values or () if isinstance(v, ast.String))


def _relation(node: ast.RangeVar) -> Relation:
    return Relation(node.relname or "", node.schemaname or None)


def _plain(value: Any) -> Shape:
    """Nested data without source positions, enum members by name, lists as tuples."""
    if isinstance(value, dict):
        if "#" in value:
            return value["name"]
        return {k: _plain(v) for k, v in value.items() if k not in _POSITIONS}
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def _option(element: Shape) -> Shape:
    """A storage parameter with its value as the text PostgreSQL keeps in reloptions:
    ``fillfactor=70`` and ``fillfactor='70'`` are ``70``, a bare word is itself
    (``deduplicate_items=off``), no value is ``true``."""
    arg = element.get("arg")
    text: str | None = "true" if arg is None else None
    if isinstance(arg, dict):
        names = arg.get("names", ())
        if arg.get("@") == "TypeName" and len(names) == 1:
            text = names[0].get("sval")
        for key in ("ival", "sval", "fval", "boolval"):
            if key in arg:
                value = arg[key]
                text = str(value).lower() if isinstance(value, bool) else str(value)
    return {**element, "arg": text if text is not None else arg, "defaction": None}


def _storage(options: Shape) -> tuple[str, ...]:
    """Storage parameters as ``pg_class.reloptions`` lists them (``fillfactor=70``)."""
    return tuple(sorted(f"{o['defname']}={o['arg']}" for o in options
                        if isinstance(o.get("arg"), str)))


def _element(element: Shape) -> Shape:
    """An index column: ASC and the default NULLS order dropped, ``(col)`` as ``col``."""
    if not isinstance(element, dict) or element.get("@") != "IndexElem":
        return element
    out = dict(element)
    expr = out.get("expr")
    if isinstance(expr, dict) and expr.get("@") == "ColumnRef" and len(expr["fields"]) == 1 \
            and expr["fields"][0].get("@") == "String":
        out.pop("expr")
        out["name"] = expr["fields"][0]["sval"]
    descending = out.get("ordering") == "SORTBY_DESC"
    if out.get("ordering") == "SORTBY_ASC":
        out["ordering"] = "SORTBY_DEFAULT"
    default_nulls = "SORTBY_NULLS_FIRST" if descending else "SORTBY_NULLS_LAST"
    if out.get("nulls_ordering") == default_nulls:
        out["nulls_ordering"] = "SORTBY_NULLS_DEFAULT"
    return out


def _index_shape(node: ast.IndexStmt) -> Shape:
    data = _plain(node(skip_none=True))
    shape = {k: v for k, v in data.items() if k not in _INDEX_NOISE}
    shape["indexParams"] = tuple(_element(e) for e in shape.get("indexParams", ()))
    shape["indexIncludingParams"] = tuple(
        _element(e) for e in shape.get("indexIncludingParams", ()))
    shape["options"] = tuple(_option(o) for o in shape.get("options", ()))
    return shape


def index_definition(sql: str) -> IndexDefinition | None:
    """The index ``sql`` creates (one ``CREATE INDEX``); None for anything else."""
    node = _statement(sql)
    if not isinstance(node, ast.IndexStmt) or node.relation is None:
        return None
    columns = tuple(_element(_plain(e(skip_none=True))).get("name")
                    for e in node.indexParams or ())
    return IndexDefinition(node.idxname, _relation(node.relation), bool(node.unique),
                           node.tableSpace, columns, _index_shape(node), node)


def _constraint(node: ast.Constraint) -> ConstraintDefinition:
    data = _plain(node(skip_none=True))
    shape = {k: v for k, v in data.items() if k not in _CONSTRAINT_NOISE}
    for key in ("exclusions", "keys", "including"):
        if key in shape:
            shape[key] = tuple(tuple(_element(e) for e in item) if isinstance(item, tuple)
                               else _element(item) for item in shape[key])
    kind = _KINDS.get(ConstrType(node.contype)) if node.contype is not None else None
    return ConstraintDefinition(
        name=node.conname, kind=kind, validated=not node.skip_validation,
        using_index=node.indexname,
        references=_relation(node.pktable) if node.pktable is not None else None,
        referenced_columns=_names(node.pk_attrs),
        storage=_storage(tuple(_option(o) for o in data.get("options", ()))),
        deferrable=bool(node.deferrable),
        initially_deferred=bool(node.initdeferred), shape=shape, node=node)


def added_constraints(sql: str) -> list[ConstraintDefinition]:
    """The constraints an ``ALTER TABLE`` statement adds, in order."""
    node = _statement(sql)
    if not isinstance(node, ast.AlterTableStmt):
        return []
    return [_constraint(cmd.def_) for cmd in node.cmds or ()
            if isinstance(cmd, ast.AlterTableCmd)
            and cmd.subtype == AlterTableType.AT_AddConstraint
            and isinstance(cmd.def_, ast.Constraint)]


def constraint_definition(definition: str) -> ConstraintDefinition | None:
    """A ``pg_get_constraintdef`` text (``FOREIGN KEY (a) REFERENCES t(id) NOT VALID``)."""
    found = added_constraints(f"ALTER TABLE alembic_safe_definition ADD {definition}")
    return found[0] if len(found) == 1 else None


def enum_addition(sql: str) -> EnumAddition | None:
    """The value an ``ALTER TYPE ... ADD VALUE`` statement adds, and its position."""
    node = _statement(sql)
    if not isinstance(node, ast.AlterEnumStmt) or node.oldVal or not node.newVal:
        return None
    parts = _names(node.typeName)
    if not parts:
        return None
    return EnumAddition(Relation(parts[-1], parts[-2] if len(parts) > 1 else None),
                        node.newVal, node.newValNeighbor or None, bool(node.newValIsAfter))


def _scratch(table: str) -> ast.RangeVar:
    return ast.RangeVar(schemaname="pg_temp", relname=table, inh=True, relpersistence="p")


def probe_index(index: IndexDefinition, table: str, name: str) -> str:
    """``CREATE INDEX name ON pg_temp.table ...`` with the definition of ``index`` (neither
    CONCURRENTLY, IF NOT EXISTS nor a tablespace): run on an empty copy of the table, it
    lets PostgreSQL print the definition as it stores it."""
    node = replace_node(index.node, idxname=name, relation=_scratch(table), concurrent=False,
                        if_not_exists=False, tableSpace=None)
    return str(RawStream()(node))


def probe_constraint(constraint: ConstraintDefinition, table: str, name: str) -> str:
    """``ALTER TABLE pg_temp.table ADD CONSTRAINT name ...`` with the definition of
    ``constraint``, validated (the scratch table is empty) and in the default tablespace."""
    node = replace_node(constraint.node, conname=name, skip_validation=False,
                        initially_valid=True, indexspace=None)
    command = ast.AlterTableCmd(subtype=AlterTableType.AT_AddConstraint, def_=node)
    statement = ast.AlterTableStmt(relation=_scratch(table), cmds=(command,),
                                   objtype=ObjectType.OBJECT_TABLE)
    return str(RawStream()(statement))


def replace_node(node: Any, **changes: Any) -> Any:
    """A copy of a pglast node with some fields changed (the original is left alone)."""
    copy = type(node)(node(skip_none=True))
    for key, value in changes.items():
        setattr(copy, key, value)
    return copy

