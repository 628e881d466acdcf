"""SQL text that alembic-safe writes into offline scripts: string literals and dollar quotes."""

from __future__ import annotations


def literal(text: str) -> str:
    """``text`` as a SQL string literal (standard_conforming_strings, PostgreSQL's default)."""
    return "'" + text.replace("'", "''") + "'"


def dollar_quoted(body: str, tag: str = "alembic_safe") -> str:
    """``body`` between dollar quotes whose tag it does not contain."""
    quote, number = f"${tag}$", 0
    while quote in body:
        number += 1
        quote = f"${tag}_{number}$"
    return f"{quote}\n{body}\n{quote}"
