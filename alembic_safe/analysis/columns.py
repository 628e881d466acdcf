"""Column and constraint declarations (parser nodes) as facts."""

from __future__ import annotations

from pglast import ast
from pglast.enums.parsenodes import ConstrType
from pglast.enums.primnodes import NullTestType

from alembic_safe.analysis import names
from alembic_safe.analysis.facts import ColumnDef, ConstraintDef, ConstraintKind, Volatility
from alembic_safe.analysis.volatility import volatility

_KINDS = {
    ConstrType.CONSTR_CHECK: ConstraintKind.CHECK,
    ConstrType.CONSTR_FOREIGN: ConstraintKind.FOREIGN_KEY,
    ConstrType.CONSTR_UNIQUE: ConstraintKind.UNIQUE,
    ConstrType.CONSTR_PRIMARY: ConstraintKind.PRIMARY_KEY,
    ConstrType.CONSTR_EXCLUSION: ConstraintKind.EXCLUDE,
    ConstrType.CONSTR_NOTNULL: ConstraintKind.NOT_NULL,
}


def _strings(nodes: tuple[ast.Node, ...] | None) -> tuple[str, ...]:
    return tuple(names.strings(nodes))


def not_null_check_column(expr: ast.Node | None) -> str | None:
    """The column of ``CHECK (col IS NOT NULL)``, else None."""
    if (
        isinstance(expr, ast.NullTest)
        and expr.nulltesttype == NullTestType.IS_NOT_NULL
        and isinstance(expr.arg, ast.ColumnRef)
    ):
        fields = _strings(expr.arg.fields)
        return fields[-1] if fields and len(fields) == len(expr.arg.fields or ()) else None
    return None


def constraint(node: ast.Constraint, column: str | None = None) -> ConstraintDef | None:
    """A table or column constraint as a ConstraintDef; None for DEFAULT/NULL/attributes."""
    kind = _KINDS.get(ConstrType(node.contype or 0))
    if kind is None:
        return None
    if kind is ConstraintKind.FOREIGN_KEY:
        columns = _strings(node.fk_attrs)
    elif kind is ConstraintKind.EXCLUDE:
        columns = ()
    else:
        columns = _strings(node.keys)
    if not columns and column is not None:
        columns = (column,)
    return ConstraintDef(
        kind=kind,
        name=node.conname or None,
        columns=columns,
        not_valid=bool(node.skip_validation),
        using_index=node.indexname or None,
        references=names.relation(node.pktable) if node.pktable is not None else None,
        not_null_check_column=(
            not_null_check_column(node.raw_expr) if kind is ConstraintKind.CHECK else None
        ),
    )


def column(node: ast.ColumnDef) -> ColumnDef:
    """A ColumnDef node (CREATE TABLE element or ADD COLUMN) as a fact."""
    type_name, serial = names.type_name(node.typeName) if node.typeName else ("?", False)
    not_null = bool(node.is_not_null)
    default: Volatility | None = None
    generated = identity = primary = False
    constraints: list[ConstraintDef] = []
    for con in node.constraints or ():
        if not isinstance(con, ast.Constraint):
            continue
        contype = ConstrType(con.contype or 0)
        if contype is ConstrType.CONSTR_DEFAULT:
            default = volatility(con.raw_expr)
        elif contype is ConstrType.CONSTR_IDENTITY:
            identity = True
        elif contype is ConstrType.CONSTR_GENERATED:
            generated = con.generated_kind != "v"
        elif contype is ConstrType.CONSTR_NOTNULL:
            not_null = True
        elif contype is ConstrType.CONSTR_PRIMARY:
            primary = not_null = True
        definition = constraint(con, node.colname)
        if definition is not None and definition.kind is not ConstraintKind.NOT_NULL:
            constraints.append(definition)
    return ColumnDef(
        name=node.colname or "?",
        type_name=type_name,
        not_null=not_null or identity or serial,
        has_default=default is not None,
        default_volatility=default,
        generated_stored=generated,
        identity=identity,
        serial=serial,
        primary_key=primary,
        constraints=tuple(constraints),
    )
