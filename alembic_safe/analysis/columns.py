"""Column and constraint declarations (parse tree nodes) as facts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast.enums.parsenodes import ConstrType
from pglast.enums.primnodes import NullTestType
from pglast.stream import maybe_double_quote_name

from alembic_safe.analysis import deparse, names, tree
from alembic_safe.analysis.facts import ColumnDef, ConstraintDef, ConstraintKind, Volatility
from alembic_safe.analysis.tree import Fields
from alembic_safe.analysis.volatility import volatility

IS_NOT_NULL = NullTestType.IS_NOT_NULL
_KINDS = {
    ConstrType.CONSTR_CHECK: ConstraintKind.CHECK,
    ConstrType.CONSTR_FOREIGN: ConstraintKind.FOREIGN_KEY,
    ConstrType.CONSTR_UNIQUE: ConstraintKind.UNIQUE,
    ConstrType.CONSTR_PRIMARY: ConstraintKind.PRIMARY_KEY,
    ConstrType.CONSTR_EXCLUSION: ConstraintKind.EXCLUDE,
    ConstrType.CONSTR_NOTNULL: ConstraintKind.NOT_NULL,
}


def not_null_check_column(expr: Any) -> str | None:
    """The column of ``CHECK (col IS NOT NULL)`` (``expr``: a wrapped node or None), else None."""
    test = tree.of(expr, "NullTest")
    if test is None or tree.enum(test, "nulltesttype", NullTestType) is not IS_NOT_NULL:
        return None
    ref = tree.of(test.get("arg"), "ColumnRef")
    if ref is None:
        return None
    parts = tree.items(ref, "fields")
    fields = tree.strings(parts)
    return fields[-1] if fields and len(fields) == len(parts) else None


def constraint(node: Fields, column: str | None = None, *,
               printed: bool = False) -> ConstraintDef | None:
    """A table or column constraint as a ConstraintDef; None for DEFAULT/NULL/attributes.

    ``printed``: also print its CHECK expression as SQL (for statements on existing tables,
    whose fixes need it; CREATE TABLE skips the cost)."""
    kind = _KINDS.get(tree.enum(node, "contype", ConstrType))
    if kind is None:
        return None
    if kind is ConstraintKind.FOREIGN_KEY:
        columns = tuple(tree.strings(node.get("fk_attrs")))
    elif kind is ConstraintKind.EXCLUDE:
        columns = ()
    else:
        columns = tuple(tree.strings(node.get("keys")))
    if not columns and column is not None:
        columns = (column,)
    pktable = node.get("pktable")
    expression = node.get("raw_expr") if kind is ConstraintKind.CHECK and printed else None
    enforceable = kind in (ConstraintKind.CHECK, ConstraintKind.FOREIGN_KEY)
    return ConstraintDef(
        kind=kind,
        name=node.get("conname") or None,
        columns=columns,
        not_valid=tree.flag(node, "skip_validation"),
        not_enforced=enforceable and not tree.flag(node, "is_enforced"),
        using_index=node.get("indexname") or None,
        references=names.relation(pktable) if pktable is not None else None,
        not_null_check_column=_proves_not_null(kind, node, columns),
        expression=deparse.wrapped_sql(expression) if expression is not None else None,
        referenced_columns=tuple(tree.strings(node.get("pk_attrs"))),
        on_delete=_action(node, "fk_del_action", "fk_del_set_cols"),
        on_update=_action(node, "fk_upd_action", None),
        match_full=node.get("fk_matchtype") == "f",
        deferrable=tree.flag(node, "deferrable"),
        initially_deferred=tree.flag(node, "initdeferred"),
        include=tuple(tree.strings(node.get("including"))),
        nulls_not_distinct=tree.flag(node, "nulls_not_distinct"),
    )


def _proves_not_null(kind: ConstraintKind, node: Fields, columns: tuple[str, ...]) -> str | None:
    """The column a CHECK (col IS NOT NULL) or a NOT NULL col constraint proves not null."""
    if kind is ConstraintKind.CHECK:
        return not_null_check_column(node.get("raw_expr"))
    if kind is ConstraintKind.NOT_NULL and len(columns) == 1:
        return columns[0]
    return None


#: pg_constraint's referential action codes as SQL (``a``, NO ACTION, is the default)
_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _action(node: Fields, field: str, columns_field: str | None) -> str | None:
    """ON DELETE / ON UPDATE of a foreign key as SQL (``SET NULL (a)`` with its columns)."""
    action = _ACTIONS.get(node.get(field) or "a")
    cols = tree.strings(node.get(columns_field)) if columns_field else []
    if action is not None and cols:
        action += " (" + ", ".join(str(maybe_double_quote_name(c)) for c in cols) + ")"
    return action


def _printed_expression(node: Fields, kind: ConstrType) -> str | None:
    """The expression of the column's DEFAULT or GENERATED constraint as SQL, if it has one."""
    return next((deparse.wrapped_sql(con["raw_expr"])
                 for con in tree.nodes(node, "constraints", "Constraint")
                 if tree.enum(con, "contype", ConstrType) is kind
                 and con.get("raw_expr") is not None), None)


def column(node: Fields, *, printed: bool = False) -> ColumnDef:
    """A ColumnDef node (CREATE TABLE element or ADD COLUMN) as a fact; ``printed``: with its
    type, default and CHECK expressions printed as SQL (ADD COLUMN, ALTER TYPE)."""
    type_node = node.get("typeName")
    type_name, serial = names.type_name(type_node) if type_node is not None else ("?", False)
    not_null = tree.flag(node, "is_not_null")
    default: Volatility | None = None
    stored = virtual = identity = primary = False
    constraints: list[ConstraintDef] = []
    colname = tree.text(node, "colname")
    for con in tree.nodes(node, "constraints", "Constraint"):
        contype = tree.enum(con, "contype", ConstrType)
        if contype is ConstrType.CONSTR_DEFAULT:
            default = volatility(con.get("raw_expr"))
        elif contype is ConstrType.CONSTR_IDENTITY:
            identity = True
        elif contype is ConstrType.CONSTR_GENERATED:
            # 's': STORED; 'v': VIRTUAL, also what PostgreSQL 18 makes of no keyword at all
            stored = con.get("generated_kind") == "s"
            virtual = not stored
        elif contype is ConstrType.CONSTR_NOTNULL:
            not_null = True
        elif contype is ConstrType.CONSTR_ATTR_NOT_ENFORCED and constraints:
            # an attribute of the constraint before it: never checked, so no scan either
            constraints[-1] = replace(constraints[-1], not_enforced=True, not_valid=True)
        elif contype in _KINDS:  # CHECK, REFERENCES, UNIQUE, PRIMARY KEY, EXCLUDE
            if contype is ConstrType.CONSTR_PRIMARY:
                primary = not_null = True
            definition = constraint(con, colname, printed=printed)
            if definition is not None:
                constraints.append(definition)
    default_sql = _printed_expression(node, ConstrType.CONSTR_DEFAULT) if printed else None
    generated_sql = _printed_expression(node, ConstrType.CONSTR_GENERATED) if printed else None
    return ColumnDef(
        name=colname or "?",
        type_name=type_name,
        type_sql=deparse.sql("TypeName", type_node) if printed and type_node else "",
        default_sql=default_sql,
        generated_sql=generated_sql,
        not_null=not_null or identity or serial,
        has_default=default is not None,
        default_volatility=default,
        generated_stored=stored,
        generated_virtual=virtual,
        identity=identity,
        serial=serial,
        primary_key=primary,
        constraints=tuple(constraints),
    )
