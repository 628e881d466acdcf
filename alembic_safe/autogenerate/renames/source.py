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


def _insert(source: str, stmt: ast.stmt, lineno: int, col_offset: int, text: str) -> str:
    """``source`` (the statement's segment) with ``text`` at a position of the class body."""
    lines = source.splitlines()
    row = lineno - stmt.lineno
    col = col_offset - stmt.col_offset
    lines[row] = lines[row][:col] + text + lines[row][col:]
    return "\n".join(lines)


def _into_dict(source: str, stmt: ast.stmt, value: ast.Dict, item: str) -> str:
    """A dict literal's source with ``item`` as its first item."""
    return _insert(source, stmt, value.lineno, value.col_offset + 1,
                   item + (", " if value.keys else ""))


def _appended(source: str, stmt: ast.stmt, node: ast.Call | ast.Tuple, text: str
              ) -> str | None:
    """``text`` added as the last argument of a call or the last item of a tuple."""
    items: list[ast.expr | ast.keyword] = [*node.args, *node.keywords] \
        if isinstance(node, ast.Call) else list(node.elts)
    last = max(items, default=None, key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0))
    if last is not None and last.end_lineno is not None and last.end_col_offset is not None:
        return _insert(source, stmt, last.end_lineno, last.end_col_offset, ", " + text)
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    return _insert(source, stmt, node.end_lineno, node.end_col_offset - 1, text)


def _with_keyword(source: str, stmt: ast.stmt, call: ast.Call, hint: str) -> str | None:
    """The call's source with ``info={hint}`` added (or ``hint`` added to its info dict)."""
    info = next((k for k in call.keywords if k.arg == "info"), None)
    if info is None:
        return _appended(source, stmt, call, f"info={{{hint}}}")
    return _into_dict(source, stmt, info.value, hint) if isinstance(info.value, ast.Dict) \
        else None


def _table_args(source: str, stmt: ast.stmt, value: ast.expr, hint: str) -> str | None:
    """``__table_args__``'s source with the hint in its info."""
    if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[-1], ast.Dict):
        value = value.elts[-1]
    elif isinstance(value, ast.Tuple):
        return _appended(source, stmt, value, f"{{\"info\": {{{hint}}}}}")
    if not isinstance(value, ast.Dict):
        return None
    info = next((v for k, v in zip(value.keys, value.values, strict=True)
                 if isinstance(k, ast.Constant) and k.value == "info"), None)
    if info is None:
        return _into_dict(source, stmt, value, f"\"info\": {{{hint}}}")
    return _into_dict(source, stmt, info, hint) if isinstance(info, ast.Dict) else None


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
    written = _table_args(source, stmt, value, hint) if source is not None and \
        value is not None else None
    if written is None:
        return None
    return Place(_display(body.path), body.start + stmt.lineno - 1, cls.__name__, written)
