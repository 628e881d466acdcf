"""The model's word on a rename: ``info={"renamed_from": "old_name"}`` on a Column, or on a
Table (``Table(..., info=...)``, ``__table_args__ = {"info": ...}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError

RENAMED_FROM = "renamed_from"


def display(schema: str | None, *names: str) -> str:
    """``schema.table.column`` as a reader writes it (no schema for the default one)."""
    return ".".join((schema, *names) if schema else names)


@dataclass(frozen=True)
class Hint:
    """``renamed_from`` on a column (``column`` set) or on a table."""

    old: str
    schema: str | None
    table: str
    column: str | None = None

    @property
    def where(self) -> str:
        """The model object that carries the hint."""
        return display(self.schema, self.table, *([self.column] if self.column else []))

    @property
    def info(self) -> str:
        return f"info={{{RENAMED_FROM!r}: {self.old!r}}}"

    def reason(self) -> str:
        """The reason of the opt-out that lets the rename run."""
        kind = "column" if self.column else "table"
        return f"{kind} renamed in the model: {self.info} on {self.where}"


def _old_name(info: Any, where: str) -> str | None:
    value = info.get(RENAMED_FROM) if isinstance(info, dict) else None
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise CommandError(f"{where}: info[{RENAMED_FROM!r}] must be the old name as a "
                           f"non-empty string, got {value!r}")
    return value


def column_hint(column: sa.Column[Any], schema: str | None, table: str) -> Hint | None:
    """The hint on a model column (``schema``, ``table``: as the migration names them)."""
    old = _old_name(column.info, display(schema, table, column.name))
    if old is None or old == column.name:
        return None
    return Hint(old, schema, table, column.name)


def table_hint(table: sa.Table, schema: str | None) -> Hint | None:
    """The hint on a model table."""
    old = _old_name(table.info, display(schema, table.name))
    if old is None or old == table.name:
        return None
    return Hint(old, schema, table.name)
