"""What a rename, or a probable one, tells the reviewer in the migration (comment lines)."""

from __future__ import annotations

import logging
import textwrap
from typing import Any

import sqlalchemy as sa

from alembic_safe.autogenerate.ops import NoteOp
from alembic_safe.autogenerate.renames.hints import RENAMED_FROM, Hint, display
from alembic_safe.autogenerate.renames.source import Place, column_place, table_place
from alembic_safe.fix.quoting import py

_WIDTH = 90
#: beside Alembic's "Detected added column ..." lines, as the safe forms' lines are
log = logging.getLogger("alembic.autogenerate.alembic_safe")


def _lines(text: str) -> list[str]:
    return textwrap.wrap(text, _WIDTH, break_long_words=False, break_on_hyphens=False)


def _code(code: str) -> list[str]:
    return ["    " + line for line in code.splitlines()]


def _hint_item(old: str) -> str:
    return f'"{RENAMED_FROM}": {py(old)}'


def _where(place: Place | None, fallback: str) -> list[str]:
    if place is None:
        return _code(fallback)
    return _lines(f"{place.path}, line {place.line} (class {place.owner}):") + _code(
        place.written)


def column_suggestion(schema: str | None, table: str, old: str,
                      column: sa.Column[Any]) -> NoteOp:
    """Suggest mode: the dropped and the added column look like a rename."""
    item = _hint_item(old)
    dropped, added = display(schema, table, old), display(schema, table, column.name)
    log.info("alembic-safe: %s dropped and %s added look like a rename: noted in the "
             "migration, with the model line to change", dropped, added)
    lines = _lines(
        f"alembic-safe: probable rename: {dropped} is dropped below and {added} added, of a "
        f"compatible type and nullability; the drop destroys the data of {dropped}. If the "
        "column was renamed, say so in the model, then delete this revision and run "
        "`alembic revision --autogenerate` again: it renames the column and keeps its data. "
        "The model line to change:")
    fallback = f"sa.Column({column.name!r}, ..., info={{{item}}})"
    return NoteOp(lines + _where(column_place(column, item), fallback))


def table_suggestion(schema: str | None, old: str, table: sa.Table) -> NoteOp:
    """Suggest mode: the dropped and the created table look like a rename."""
    item = _hint_item(old)
    dropped, created = display(schema, old), display(schema, table.name)
    log.info("alembic-safe: table %s dropped and %s created look like a rename: noted in the "
             "migration, with the model line to change", dropped, created)
    lines = _lines(
        f"alembic-safe: probable rename: table {dropped} is dropped below and {created} "
        f"created with the same columns; the drop destroys the rows of {dropped}. If the "
        "table was renamed, say so in the model, then delete this revision and run "
        "`alembic revision --autogenerate` again: it renames the table and keeps its rows. "
        "The model line to change:")
    fallback = f"sa.Table({table.name!r}, metadata, ..., info={{{item}}})"
    return NoteOp(lines + _where(table_place(table, item), fallback))


def renamed(kind: str, old: str, new: str, reason: str) -> None:
    """Say on Alembic's logger that a rename is written."""
    log.info("alembic-safe: %s %s renamed to %s (%s)", kind, old, new, reason)


def column_reason(schema: str | None, table: str, old: str, new: str) -> str:
    """The opt-out reason of a column rename found by ``renames = "auto"``."""
    return (f'column renamed (renames = "auto"): {display(schema, table, old)} dropped and '
            f"{display(schema, table, new)} added with a compatible type and nullability")


def table_reason(schema: str | None, old: str, new: str) -> str:
    """The opt-out reason of a table rename found by ``renames = "auto"``."""
    return (f'table renamed (renames = "auto"): {display(schema, old)} dropped and '
            f"{display(schema, new)} created with the same columns")


def auto_note(schema: str | None, table: str | None, old: str, new: str) -> NoteOp:
    """Auto mode: which pair was taken for a rename, and how to say it is not one."""
    what = f"{display(schema, *(t for t in (table,) if t), old)} -> " \
        f"{display(schema, *(t for t in (table,) if t), new)}"
    return NoteOp(_lines(
        f'alembic-safe: renames = "auto" took {what} for a rename (the model has no '
        f"{RENAMED_FROM} hint for it). If it is not one, autogenerate this revision again "
        'with renames = "suggest": the old one is then dropped and the new one added.'))


def broken_hint(hint: Hint, *, still_modelled: bool) -> NoteOp:
    """A hint whose old name is not being dropped: nothing is renamed."""
    old = display(hint.schema, *((hint.table,) if hint.column else ()), hint.old)
    kind = "column" if hint.column else "table"
    why = f"the model still has {old}" if still_modelled else \
        f"the database has no {kind} {old}"
    return NoteOp(_lines(
        f"alembic-safe: {hint.where} says {hint.info}, but {why}: nothing is renamed, "
        f"{hint.where} is {'added' if hint.column else 'created'} new."))
