"""Small helpers shared by the rule families: typed action lookup and SQL/op rendering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from pglast.stream import maybe_double_quote_name

from alembic_safe.analysis.facts import Action, LockMode, Relation, StatementFacts

A = TypeVar("A", bound=Action)


def actions(stmt: StatementFacts, kind: type[A], *, existing: bool = True) -> Iterator[A]:
    """The statement's actions of type ``kind``; only those on existing objects by default."""
    for action in stmt.actions:
        if isinstance(action, kind) and (not existing or not action.is_new):
            yield action


def ident(name: str) -> str:
    """``name`` as it must be written in SQL (double-quoted when needed)."""
    return str(maybe_double_quote_name(name))


def rel(relation: Relation | None) -> str:
    """A relation as SQL text, schema-qualified when it was written so."""
    if relation is None:
        return "?"
    if relation.schema:
        return f"{ident(relation.schema)}.{ident(relation.name)}"
    return ident(relation.name)


def columns_sql(columns: tuple[str, ...]) -> str:
    """A parenthesized column list, e.g. ``(status, created_at)``."""
    return "(" + ", ".join(ident(c) for c in columns) + ")"


def op_name(relation: Relation | None) -> str:
    """The relation's name as a Python string literal for an ``op.*`` call."""
    return f'"{relation.name}"' if relation is not None else '"?"'


def schema_kw(relation: Relation | None) -> str:
    """``, schema="billing"`` for a schema-qualified relation, else nothing."""
    return f', schema="{relation.schema}"' if relation is not None and relation.schema else ""


def strong_locks(
    stmt: StatementFacts, minimum: LockMode = LockMode.SHARE
) -> Iterator[tuple[Relation, LockMode]]:
    """Locks of at least ``minimum`` on relations that existed before this input."""
    for lock in stmt.locks:
        if lock.mode >= minimum and not lock.is_new:
            yield lock.relation, lock.mode


def autocommit(op_code: str) -> str:
    """Wrap op code in Alembic's autocommit block."""
    body = "\n".join("    " + line for line in op_code.splitlines())
    return f"with op.get_context().autocommit_block():\n{body}"


def py_str(text: str) -> str:
    """``text`` as a Python string literal, double-quoted when it can be."""
    return f'"{text}"' if '"' not in text and "\\" not in text else repr(text)
