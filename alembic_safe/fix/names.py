"""Names PostgreSQL gives the objects a statement leaves unnamed, so a safe form that must
name them (to validate a constraint, to attach an index) picks the same ones."""

from __future__ import annotations

#: NAMEDATALEN - 1: the longest identifier, in bytes
MAX_BYTES = 63


def _clip(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-8 bytes (whole characters)."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def object_name(name1: str, name2: str | None, label: str) -> str:
    """PostgreSQL's ``makeObjectName``: ``name1_name2_label``, the longer of the two names
    shortened until the whole fits in 63 bytes."""
    overhead = len(label.encode()) + 1 + (1 if name2 else 0)
    available = MAX_BYTES - overhead
    first, second = name1, name2 or ""
    while len(first.encode()) + len(second.encode()) > available:
        if len(first.encode()) > len(second.encode()):
            first = _clip(first, len(first.encode()) - 1)
        else:
            second = _clip(second, len(second.encode()) - 1)
    return "_".join(part for part in (first, second, label) if part)


def columns_part(columns: tuple[str, ...]) -> str:
    """The column names joined as PostgreSQL does for a default name (``expr`` for none)."""
    return _clip("_".join(columns) if columns else "expr", MAX_BYTES)


def index_name(table: str, columns: tuple[str, ...]) -> str:
    """``CREATE INDEX ON t (a, b)`` names the index ``t_a_b_idx``."""
    return object_name(table, columns_part(columns), "idx")


def constraint_name(table: str, columns: tuple[str, ...], label: str) -> str:
    """``t_a_key`` (UNIQUE), ``t_a_fkey`` (FOREIGN KEY), ``t_pkey`` (PRIMARY KEY),
    ``t_check`` / ``t_a_check`` (CHECK)."""
    if label == "pkey":
        return object_name(table, None, label)
    return object_name(table, "_".join(columns) if columns else None, label)
