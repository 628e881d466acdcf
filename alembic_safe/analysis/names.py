"""Names as PostgreSQL folds them: relations from parse tree nodes, canonical type names."""

from __future__ import annotations

from typing import Any

from alembic_safe.analysis import tree
from alembic_safe.analysis.facts import Relation
from alembic_safe.analysis.tree import Fields

#: internal type names to what ``format_type()`` prints
_CANONICAL = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "int": "integer",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "varbit": "bit varying",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "numeric": "numeric",
    "decimal": "numeric",
}

#: serial pseudo-types and the integer type they stand for
SERIALS = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}


def relation(node: Fields) -> Relation:
    """A RangeVar as a Relation (the parser has already folded unquoted names)."""
    return Relation(name=node.get("relname") or "", schema=node.get("schemaname") or None)


def from_names(names: list[Any] | None) -> Relation:
    """A dotted name list (``schema.name`` or ``name``) as a Relation."""
    parts = tree.strings(names)
    if not parts:
        return Relation("?")
    return Relation(name=parts[-1], schema=parts[-2] if len(parts) > 1 else None)


def qualified_key(rel: Relation, default_schema: str) -> str:
    """``schema.name`` with the default schema filled in, for set membership."""
    return f"{rel.schema or default_schema}.{rel.name}"


def key_of(name: str, default_schema: str) -> str:
    """Normalise a (possibly unqualified) qualified-name string like :func:`qualified_key`."""
    return name if "." in name else f"{default_schema}.{name}"


def _typmods(node: Fields) -> list[str]:
    mods: list[str] = []
    for mod in tree.items(node, "typmods"):
        const = tree.of(mod, "A_Const")
        integer = const.get("ival") if const is not None else None
        mods.append(str(tree.number(integer, "ival")) if integer is not None else "?")
    return mods


def type_name(node: Fields) -> tuple[str, bool]:
    """A TypeName's canonical name (as ``format_type()`` prints it) and whether it was serial."""
    parts = tree.strings(node.get("names"))
    if parts and parts[0] == "pg_catalog" and len(parts) > 1:
        parts = parts[1:]
    base = ".".join(parts) if parts else "?"
    serial = False
    if base in SERIALS:
        base, serial = SERIALS[base], True
    base = _CANONICAL.get(base, base)
    mods = _typmods(node)
    typemod = tree.number(node, "typemod")
    if typemod >= 0 and not mods and base == "character":
        mods = [str(typemod - 4)] if typemod > 4 else []
    if base == "interval":
        mods = []  # interval fields are not printed as a plain modifier list
    if mods:
        if base.startswith(("timestamp ", "time ")):
            word, rest = base.split(" ", 1)
            base = f"{word}({','.join(mods)}) {rest}"
        else:
            base = f"{base}({','.join(mods)})"
    if node.get("arrayBounds"):
        base += "[]"
    return base, serial
