"""Where the model defines a column or a table, and that definition with the rename hint
added: what a probable-rename note shows the user to write.

Declarative classes are found through SQLAlchemy's registries, their source with ``inspect``,
the attribute's statement with ``ast``. A column from a mixin, a Core ``Table``, a class whose
source cannot be read: no place (the note then shows the ``info=`` to add).
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class Place:
    """A statement of the model, and how it reads with the hint."""

    path: str
    line: int
    owner: str
    written: str


def _mapped_class(table: sa.Table) -> tuple[type, Any] | None:
    try:
        from sqlalchemy.orm.mapper import _all_registries
    except ImportError:  # pragma: no cover - a SQLAlchemy without it
        return None
    for registry in _all_registries():
        for mapper in registry.mappers:
            if mapper.local_table is table:
                return mapper.class_, mapper
    return None


@dataclass(frozen=True)
class _Body:
    path: str
    start: int
    source: str
    node: ast.ClassDef

    def segment(self, stmt: ast.stmt) -> str | None:
        """The statement's source, its continuation lines dedented like its first."""
        text = ast.get_source_segment(self.source, stmt)
        if text is None:
            return None
        first, *rest = text.splitlines()
        indent = " " * stmt.col_offset
        return "\n".join([first, *(line.removeprefix(indent) for line in rest)])


def _class_body(cls: type) -> _Body | None:
    try:
        lines, start = inspect.getsourcelines(cls)
        path = inspect.getsourcefile(cls)
    except (OSError, TypeError):
        return None
    if path is None:
        return None
    source = textwrap.dedent("".join(lines))
    try:
        parsed = ast.parse(source)
    except SyntaxError:
        return None
    node = parsed.body[0] if parsed.body else None
    if not isinstance(node, ast.ClassDef):
        return None
    return _Body(path, start, source, node)


def _display(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _statement(node: ast.ClassDef, name: str) -> ast.stmt | None:
    for stmt in node.body:
        targets = [stmt.target] if isinstance(stmt, ast.AnnAssign) else \
            stmt.targets if isinstance(stmt, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return stmt
    return None


def column_place(column: sa.Column[Any], hint: str) -> Place | None:
    """The model statement of ``column``, written with ``info={hint}`` (``hint``: the dict
    item, e.g. ``"renamed_from": "email"``)."""
    table = column.table
    found = _mapped_class(table) if isinstance(table, sa.Table) else None
    if found is None:
        return None
    cls, mapper = found
    try:
        key = mapper.get_property_by_column(column).key
    except Exception:  # not mapped as an attribute of this class
        return None
    body = _class_body(cls)
    stmt = _statement(body.node, key) if body is not None else None
    if body is None or stmt is None:
        return None
    source = body.segment(stmt)
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
    if source is None:
        return None
    if isinstance(value, ast.Call):
        written = _with_keyword(source, stmt, value, hint)
    elif value is None:
        written = f"{source} = mapped_column(info={{{hint}}})"
    else:
        return None
    if written is None:
        return None
    return Place(_display(body.path), body.start + stmt.lineno - 1, cls.__name__, written)


def _with_keyword(source: str, stmt: ast.stmt, call: ast.Call, hint: str) -> str | None:
    """The call's source with ``info={hint}`` added (or ``hint`` added to its info dict)."""
    lines = source.splitlines()
    info = next((k for k in call.keywords if k.arg == "info"), None)
    if info is not None:
        if not isinstance(info.value, ast.Dict) or info.value.end_lineno is None:
            return None
        row = info.value.lineno - stmt.lineno
        col = info.value.col_offset + 1 - stmt.col_offset  # after the {
        insert = hint + (", " if info.value.keys else "")
    else:
        if call.end_lineno is None or call.end_col_offset is None:
            return None
        row = call.end_lineno - stmt.lineno
        col = call.end_col_offset - 1 - stmt.col_offset  # before the )
        insert = (", " if call.args or call.keywords else "") + f"info={{{hint}}}"
    line = lines[row]
    lines[row] = line[:col] + insert + line[col:]
    return "\n".join(lines)


def table_place(table: sa.Table, hint: str) -> Place | None:
    """Where the model's class for ``table`` says what its table is, written with the hint."""
    found = _mapped_class(table)
    if found is None:
        return None
    cls, _ = found
    body = _class_body(cls)
    if body is None:
        return None
    stmt = _statement(body.node, "__table_args__")
    if stmt is None:
        anchor = _statement(body.node, "__tablename__")
        line = body.start + (anchor.lineno - 1 if anchor is not None else 0)
        return Place(_display(body.path), line, cls.__name__,
                     f"__table_args__ = {{\"info\": {{{hint}}}}}")
    value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
    source = body.segment(stmt)
    if not isinstance(value, ast.Dict) or source is None:
        return None
    info = next((v for k, v in zip(value.keys, value.values, strict=True)
                 if isinstance(k, ast.Constant) and k.value == "info"), None)
    if info is not None:
        return None
    first = source.index("{", value.col_offset - stmt.col_offset) + 1
    items = f"\"info\": {{{hint}}}" + (", " if value.keys else "")
    return Place(_display(body.path), body.start + stmt.lineno - 1, cls.__name__,
                 source[:first] + items + source[first:])
