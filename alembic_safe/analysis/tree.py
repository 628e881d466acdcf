"""PostgreSQL's parse tree as JSON (``pglast.parser.parse_sql_json``): typed access to its nodes.

Parsing to JSON and loading it with :func:`json.loads` is several times faster than building
``pglast.ast`` objects. The JSON shape:

- a field that may hold any node (``Node *``, ``Expr *``, a list item) holds it wrapped:
  ``{"RangeVar": {fields}}``; a node list inside such a field is ``{"List": {"items": [...]}}``;
- a field typed with one node type (``RangeVar *relation``, ``TypeName *typeName``) holds the
  bare fields; :data:`TYPED_FIELDS` (built from ``pglast.ast``) names their types;
- fields at their default are omitted: a missing bool is False, a missing number 0, a missing
  string, pointer or list None; enum values are their names (``"AT_AddColumn"``);
- a NULL item of a list is ``{}``.

Field names are PostgreSQL's (``def``, where ``pglast.ast`` says ``def_``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import Enum
from typing import Any, TypeVar, cast

from pglast import ast, parser

#: the fields of one node, without its type wrapper
Fields = dict[str, Any]
#: one parsed statement: its node type, its fields, and its (start, end) character offsets
Statement = tuple[str, Fields, int, int]
E = TypeVar("E", bound=Enum)

_ANY_NODE = frozenset({"Node", "Expr", "List"})
#: enum class -> its members by name (faster than ``kind[name]``)
_MEMBERS: dict[type[Enum], dict[str, Enum]] = {}


def _typed_fields() -> dict[str, dict[str, str]]:
    """Node type -> {field: node type} for the fields that hold one node type, unwrapped."""
    out: dict[str, dict[str, str]] = {}
    for tag, cls in vars(ast).items():
        slots = getattr(cls, "__slots__", None)
        if not (isinstance(cls, type) and issubclass(cls, ast.Node) and isinstance(slots, dict)):
            continue
        typed = {
            name.removesuffix("_"): info.c_type[:-1]
            for name, info in slots.items()
            if info.c_type.endswith("*") and info.c_type[:-1] not in _ANY_NODE
            and isinstance(getattr(ast, info.c_type[:-1], None), type)
        }
        if typed:
            out[tag] = typed
    # A_Const's value union is written as one bare field named after the value's type
    out["A_Const"] = {"ival": "Integer", "fval": "Float", "boolval": "Boolean", "sval": "String",
                      "bsval": "BitString"}
    return out


TYPED_FIELDS = _typed_fields()


def parse(sql: str) -> list[Statement]:
    """Every statement of ``sql`` (raises ``pglast.parser.ParseError``).

    The parser's statement spans (``stmt_location``, ``stmt_len``) are UTF-8 byte offsets;
    they come back as character offsets. A span stops before the semicolon and may end with
    blanks.
    """
    raws: list[Fields] = json.loads(parser.parse_sql_json(sql)).get("stmts", [])
    out: list[Statement] = []
    chars = _CharOffsets(sql)
    for raw in raws:
        start = raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0)  # 0: up to the end of the input
        tag, fields = unwrap(raw["stmt"])
        first = chars(start)
        out.append((tag, fields, first, chars(start + length) if length else len(sql)))
    return out


class _CharOffsets:
    """UTF-8 byte offsets to character offsets, for offsets asked in increasing order."""

    def __init__(self, sql: str) -> None:
        self._utf8 = None if sql.isascii() else sql.encode()
        self._byte = self._char = 0

    def __call__(self, offset: int) -> int:
        if self._utf8 is None:
            return offset
        if offset < self._byte:
            self._byte = self._char = 0
        self._char += len(self._utf8[self._byte:offset].decode(errors="replace"))
        self._byte = offset
        return self._char


def unwrap(value: Any) -> tuple[str, Fields]:
    """The type and fields of a wrapped node (``{"CreateStmt": {...}}``)."""
    (tag, fields), = cast("dict[str, Fields]", value).items()
    return tag, fields


def of(value: Any, tag: str) -> Fields | None:
    """The fields of ``value`` when it is a wrapped node of type ``tag``, else None."""
    if isinstance(value, dict):
        return cast("Fields | None", value.get(tag))
    return None


def items(fields: Fields, name: str) -> list[Any]:
    """A list field (wrapped nodes); [] when omitted."""
    return cast("list[Any]", fields.get(name) or [])


def nodes(fields: Fields, name: str, tag: str) -> Iterator[Fields]:
    """The fields of the ``tag`` nodes in a list field."""
    for item in fields.get(name) or ():
        found = item.get(tag)
        if found is not None:
            yield found


def listed(value: Any) -> list[Any] | None:
    """The items of a ``Node *`` field holding a list (``{"List": {"items": [...]}}``)."""
    found = of(value, "List")
    return None if found is None else items(found, "items")


def text(fields: Fields, name: str) -> str | None:
    """A string field; None when omitted."""
    return cast("str | None", fields.get(name))


def number(fields: Fields, name: str) -> int:
    """An integer field; 0 when omitted."""
    return cast(int, fields.get(name, 0))


def flag(fields: Fields, name: str) -> bool:
    """A bool field; False when omitted."""
    return cast(bool, fields.get(name, False))


def enum(fields: Fields, name: str, kind: type[E]) -> E:
    """An enum field as the pglast enum member (its first member when omitted)."""
    members = _MEMBERS.get(kind)
    if members is None:
        members = _MEMBERS[kind] = dict(kind.__members__)
    value = fields.get(name)
    return cast(E, members[value]) if value is not None else next(iter(kind))


def strings(values: list[Any] | None) -> list[str]:
    """The values of the String nodes of a name list."""
    out: list[str] = []
    for value in values or ():
        found = value.get("String")
        if found is not None:
            out.append(found.get("sval", ""))
    return out


def children(tag: str, fields: Fields, skip: frozenset[str] = frozenset()) -> Iterator[
        tuple[str, Fields]]:
    """The direct child nodes of a node (lists flattened), except the fields in ``skip``."""
    typed = TYPED_FIELDS.get(tag)
    for name, value in fields.items():
        if name in skip:
            continue
        if isinstance(value, dict):
            child = typed.get(name) if typed is not None else None
            yield (child, value) if child is not None else unwrap(value)
        elif isinstance(value, list):
            yield from (unwrap(item) for item in value if item)  # {}: a NULL list item


def walk(root: tuple[str, Fields] | list[Any]) -> Iterator[tuple[str, Fields]]:
    """Every node under a (type, fields) node, including it, or under a list of wrapped nodes:
    depth first, last field (and last list item) first."""
    stack: list[tuple[str, Fields] | list[Any]] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(unwrap(v) for v in item if v)  # {}: a NULL list item
            continue
        yield item
        node_tag, node_fields = item
        typed = TYPED_FIELDS.get(node_tag)
        for name, value in node_fields.items():
            if isinstance(value, dict):
                child = typed.get(name) if typed is not None else None
                stack.append((child, value) if child is not None else unwrap(value))
            elif isinstance(value, list):
                stack.append(value)
