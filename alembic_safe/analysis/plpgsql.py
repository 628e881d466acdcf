"""PL/pgSQL bodies (DO blocks, functions, procedures) as the SQL they run.

PostgreSQL's own PL/pgSQL parser (``pglast.parser.parse_plpgsql_json``) reads the body; every
SQL statement and expression it holds comes out in the order written, whatever the control flow
around it (both branches of an IF, a loop body once): what the body *may* run.

- a statement (``UPDATE ...``, ``PERFORM f()`` as ``SELECT f()``, ``CALL p()``, the query of a
  ``FOR ... IN SELECT`` loop) is a :class:`Statement`;
- an expression PL/pgSQL evaluates (an IF condition, the right side of ``x := ...``, a
  variable's default) is an :class:`Expression`: PL/pgSQL runs it as ``SELECT <expression>``;
- ``EXECUTE`` of a string literal (or of literals joined with ``||``) is a :class:`Statement`
  of that string; ``EXECUTE`` of a string built at run time is :class:`Dynamic`;
- ``COMMIT`` / ``ROLLBACK`` (allowed in procedures and DO blocks called outside a transaction
  block) are :class:`Commit`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pglast import parser

from alembic_safe.analysis import tree

#: ``PLpgSQL_expr.parseMode``: a statement, an expression, an assignment ``target := expr``
_STATEMENT, _EXPRESSION = 0, 2
_ASSIGNMENTS = frozenset({3, 4, 5})
#: fields holding a query whose text is run as dynamic SQL
_DYNAMIC_FIELDS = frozenset({"dynquery"})
_DYNAMIC_STATEMENTS = frozenset({"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"})
_ASSIGN_TOKENS = frozenset({"COLON_EQUALS", "ASCII_61"})  # ":=" and "="


@dataclass(frozen=True)
class Statement:
    """SQL the body runs (several statements for ``EXECUTE`` of such a string)."""

    sql: str


@dataclass(frozen=True)
class Expression:
    """An expression the body evaluates, as ``SELECT <sql>``."""

    sql: str


@dataclass(frozen=True)
class Commit:
    """``COMMIT`` or ``ROLLBACK`` in the body: the transaction ends, a new one begins."""

    command: str


@dataclass(frozen=True)
class Dynamic:
    """``EXECUTE`` of a string built at run time: its SQL cannot be known."""

    code: str


Item = Statement | Expression | Commit | Dynamic


class PlpgsqlError(Exception):
    """The PL/pgSQL parser rejected the body (PostgreSQL would too, or needs the catalog)."""


def dollar_quoted(body: str) -> str:
    """``body`` as a dollar-quoted literal whose tag does not occur in it."""
    tag = "body"
    while f"${tag}$" in body:
        tag += "_"
    return f"${tag}${body}${tag}$"


@functools.lru_cache(maxsize=256)
def body(source: str) -> tuple[Item, ...]:
    """What the PL/pgSQL code of ``source`` (a DO statement, or a CREATE FUNCTION /
    PROCEDURE statement) runs; raises :class:`PlpgsqlError` when it cannot be read."""
    try:
        functions = json.loads(parser.parse_plpgsql_json(source))
    except parser.ParseError as exc:
        raise PlpgsqlError(str(exc.args[0]) if exc.args else str(exc)) from None
    items: list[Item] = []
    for function in functions:
        found = function.get("PLpgSQL_function", {})
        for datum in found.get("datums", ()):  # variable defaults run when the block starts
            for fields in datum.values():
                default = fields.get("default_val")
                if default is not None:
                    items += _expression(default.get("PLpgSQL_expr", {}))
        items += _walk(found.get("action"), dynamic=False)
    return tuple(items)


def _walk(value: Any, *, dynamic: bool) -> Iterator[Item]:
    """The items of a PL/pgSQL node (a dict or list of them), in the order written."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, dynamic=dynamic)
        return
    if not isinstance(value, dict):
        return
    for key, fields in value.items():
        if key == "PLpgSQL_expr":
            yield from (_executed(fields) if dynamic else _expression(fields))
        elif key in ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"):
            yield Commit("COMMIT" if key == "PLpgSQL_stmt_commit" else "ROLLBACK")
        elif key in _DYNAMIC_STATEMENTS:  # EXECUTE / FOR ... IN EXECUTE: "query" is run
            yield from _walk(fields.get("query"), dynamic=True)
            yield from _walk({k: v for k, v in fields.items() if k != "query"}, dynamic=False)
        elif isinstance(fields, (dict, list)):
            yield from _walk(fields, dynamic=dynamic or key in _DYNAMIC_FIELDS)


def _expression(expr: dict[str, Any]) -> Iterator[Item]:
    """A ``PLpgSQL_expr`` as the statement or expression it is."""
    query = (expr.get("query") or "").strip()
    if not query:
        return
    mode = expr.get("parseMode", _STATEMENT)
    if mode == _STATEMENT:
        yield Statement(query)
    elif mode == _EXPRESSION:
        yield Expression(query)
    elif mode in _ASSIGNMENTS:
        value = _assigned(query)
        if value:
            yield Expression(value)


def _assigned(query: str) -> str:
    """The right side of ``target := expression`` (found with PostgreSQL's lexer)."""
    try:
        tokens = parser.scan(query)
    except parser.ParseError:
        return ""
    for token in tokens:
        if token.name in _ASSIGN_TOKENS:
            return query[token.end + 1:].strip()
    return ""


def _executed(expr: dict[str, Any]) -> Iterator[Item]:
    """``EXECUTE <expression>``: the SQL of a literal string, else :class:`Dynamic`."""
    query = (expr.get("query") or "").strip()
    literal = _literal(query)
    if literal is None:
        yield Dynamic(f"EXECUTE {query}")
    elif literal.strip():
        yield Statement(literal)


def _literal(expression: str) -> str | None:
    """The value of a string literal, or of literals joined with ``||``; None otherwise."""
    try:
        parsed = tree.parse(f"SELECT {expression}")
    except parser.ParseError:
        return None
    if len(parsed) != 1:
        return None
    targets = tree.items(parsed[0][1], "targetList")
    if len(targets) != 1 or parsed[0][1].get("fromClause"):
        return None
    target = tree.of(targets[0], "ResTarget")
    return _constant(target.get("val")) if target is not None else None


def _constant(value: Any) -> str | None:
    const = tree.of(value, "A_Const")
    if const is not None:
        text = const.get("sval")
        return tree.text(text, "sval") or "" if text is not None else None
    concat = tree.of(value, "A_Expr")
    if concat is not None and tree.strings(concat.get("name")) == ["||"]:
        left, right = _constant(concat.get("lexpr")), _constant(concat.get("rexpr"))
        return left + right if left is not None and right is not None else None
    return None
