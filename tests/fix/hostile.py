"""Hostile names for the rules' examples: every name of an example SQL statement replaced by
one that needs quoting (double quotes, backslashes, colons, mixed case, spaces), and every
table put in a schema whose name holds a dot, through the parse tree (pglast), so the
statement stays the same statement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pglast
from pglast import ast
from pglast.stream import RawStream

#: the names the rules' flagged examples use (tables, columns, indexes, constraints, types,
#: enum values): each becomes a hostile one; SQL keywords, functions and types stay
EXAMPLE_NAMES = frozenset({
    "claims", "users", "status", "region", "number", "amount", "user_id", "id",
    "ix_claims_status", "claims_user_fk", "claims_amount_positive", "claims_number_key",
    "note", "token", "total", "net", "tax", "seq", "events", "events_2020", "claim_totals",
    "claim_status", "positive_amount", "positive", "disputed", "open", "pending", "legacy_code",
    "legacy_claims", "sessions", "reporting", "bookings", "room", "during", "no_overlap",
    "nickname", "payload", "country", "created_at", "insurance_claims", "fast_ssd",
})

#: how each scheme turns a name into a hostile one
SCHEMES: dict[str, Callable[[str], str]] = {
    "double-quote": lambda name: f'Ta"{name}',
    "backslash-colon": lambda name: f"b\\:{name}",
    "mixed-case-space": lambda name: f"Mixed {name}",
    "quote-percent": lambda name: f"it's%{name}",
}
#: the schema every unqualified table is put in
SCHEMA = 'sch.ema"X'


def _nodes(node: Any) -> Iterator[ast.Node]:
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from _nodes(getattr(node, name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _nodes(item)


def _rename(node: ast.Node, scheme: Callable[[str], str], names: frozenset[str]) -> None:
    for name in node:
        value = getattr(node, name)
        if isinstance(value, str) and value in names:
            setattr(node, name, scheme(value))


def hostile(sql: str, scheme: str, *, qualify: bool = True,
            keep: frozenset[str] = frozenset()) -> str:
    """``sql`` with every example name but those in ``keep`` renamed by ``scheme`` and
    (``qualify``) every unqualified table in :data:`SCHEMA`; printed back from the parse
    tree."""
    rename = SCHEMES[scheme]
    names = EXAMPLE_NAMES - keep
    statements = []
    for raw in pglast.parse_sql(sql):
        statement = raw.stmt
        for node in list(_nodes(statement)):
            _rename(node, rename, names)
            if qualify and isinstance(node, ast.RangeVar) and node.schemaname is None:
                node.schemaname = SCHEMA
        statements.append(RawStream()(statement))
    return ";\n".join(statements) + ";"
