"""Helpers of the enum tests: reading an enum's values and a table's rows back."""

from __future__ import annotations

from autogen_project import Project


def labels(project: Project, type_sql: str) -> list[str]:
    """The values of an enum in their order (``enumsortorder``)."""
    return [row[0] for row in project.rows(
        "SELECT enumlabel::text FROM pg_enum "
        f"WHERE enumtypid = '{type_sql}'::regtype ORDER BY enumsortorder")]


def type_exists(project: Project, name: str, schema: str = "public") -> bool:
    return bool(project.scalar(
        "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        f"WHERE t.typname = '{name}' AND n.nspname = '{schema}'"))


def counts(project: Project, table: str, column: str) -> dict[str, int]:
    """How many rows hold each value of the column (text of the value; NULL as None)."""
    return {value: count for value, count in project.rows(
        f"SELECT {column}::text, count(*) FROM {table} GROUP BY 1")}
