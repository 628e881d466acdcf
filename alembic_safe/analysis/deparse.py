"""Parse-tree fragments back to SQL, with PostgreSQL's own spelling and quoting.

The analyzer reads the parse tree as JSON (:mod:`alembic_safe.analysis.tree`); pglast prints
only its ``pglast.ast`` objects. :func:`node` rebuilds those objects from the JSON fields
(fields the JSON leaves out get their C defaults: false, 0, the enum's zero member), so a fix
can carry an index definition, a CHECK expression or a type exactly as the parser understood
them, never as a copy of the user's text.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any

from pglast import ast, enums
from pglast.stream import RawStream

from alembic_safe.analysis.tree import TYPED_FIELDS, Fields, unwrap

_NUMBERS = frozenset({"int", "int16", "int32", "long", "bits32", "AclMode", "AttrNumber",
                      "Cardinality", "Cost", "Index", "ParseLoc", "RelFileNumber",
                      "SubTransactionId"})
#: A_Const's value union: the JSON field naming the value's type -> that node type
_CONST_VALUES = {"ival": "Integer", "fval": "Float", "boolval": "Boolean", "sval": "String",
                 "bsval": "BitString"}


@cache
def _slots(tag: str) -> tuple[tuple[str, str, str], ...]:
    """(attribute, JSON field, C type) of each field of node type ``tag``."""
    cls = getattr(ast, tag)
    return tuple((name, name.removesuffix("_"), info.c_type)
                 for name, info in cls.__slots__.items())


def _default(c_type: str) -> Any:
    if c_type == "bool":
        return False
    if c_type in _NUMBERS:
        return 0
    if c_type == "char":
        return "\x00"
    kind = getattr(enums, c_type, None)
    if isinstance(kind, type):
        return next(iter(kind)).name  # type: ignore[call-overload]
    return None


def _wrapped(value: Any) -> Any:
    """A field holding any node: a wrapped node, or a wrapped List (a tuple in pglast)."""
    if not value:
        return None  # {}: a NULL list item
    tag, fields = unwrap(value)
    if tag == "List":
        return tuple(_wrapped(item) for item in fields.get("items") or ())
    return _serialized(tag, fields)


def _value(c_type: str, value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_wrapped(item) for item in value)
    pointed = c_type.removesuffix("*")
    if (c_type.endswith("*") and isinstance(value, dict) and hasattr(ast, pointed)
            and pointed not in ("Node", "Expr", "List")):
        return _serialized(pointed, value)
    if isinstance(value, dict):
        return _wrapped(value)
    return value


def _serialized(tag: str, fields: Fields) -> dict[str, Any]:
    """pglast's serialized form (``{"@": tag, ...}``) of a node given as JSON fields."""
    data: dict[str, Any] = {"@": tag}
    if tag == "A_Const":
        data["isnull"] = bool(fields.get("isnull", False))
        for key, kind in _CONST_VALUES.items():
            if key in fields:
                data["val"] = _serialized(kind, fields[key])
        return data
    typed = TYPED_FIELDS.get(tag, {})
    for name, key, c_type in _slots(tag):
        if key in fields:
            value = fields[key]
            child = typed.get(key)
            data[name] = (_serialized(child, value) if child is not None
                          and isinstance(value, dict) else _value(c_type, value))
        else:
            data[name] = _default(c_type)
    return data


def node(tag: str, fields: Fields) -> ast.Node:
    """The pglast AST node of type ``tag`` for the JSON ``fields``."""
    built: ast.Node = getattr(ast, tag)(_serialized(tag, fields))
    return built


def sql(tag: str, fields: Fields) -> str:
    """The node (an expression, a type, a whole statement...) printed as SQL."""
    dumped = json.dumps(fields, separators=(",", ":"))
    return _printed(tag, _LOCATION.sub("", dumped))


#: character offsets, which print as nothing but make every statement's fragment unique
_LOCATION = re.compile(r',"location":-?\d+|"location":-?\d+,?')


@lru_cache(maxsize=4096)
def _printed(tag: str, fields: str) -> str:
    """Printing builds pglast objects, a hundred times slower than reading the JSON: types
    and expressions repeat (``text``, ``now()``), so each is printed once."""
    return str(RawStream()(node(tag, json.loads(fields))))


def wrapped_sql(value: Any) -> str:
    """A wrapped node (``{"FuncCall": {...}}``) printed as SQL."""
    return sql(*unwrap(value))


def items_sql(values: list[Any]) -> str:
    """A list of wrapped nodes printed as SQL, comma separated."""
    return ", ".join(wrapped_sql(value) for value in values)
