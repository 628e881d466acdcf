"""The renames of one migration: tables and columns, old name to new, and what they do to
the names and the SQL expressions of the objects that refer to them (index expressions and
predicates are rewritten on pglast's parse tree, never as text)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream
from pglast.visitors import Visitor

#: (schema, table) with the default schema filled in
TableKey = tuple[str, str]


@dataclass
class Renames:
    """Tables renamed (old -> new) and columns renamed (by the table's new name)."""

    default_schema: str
    tables: dict[TableKey, str] = field(default_factory=dict)
    columns: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def key(self, schema: str | None, name: str) -> TableKey:
        return (schema or self.default_schema, name)

    def same_schema(self, one: str | None, other: str | None) -> bool:
        """Whether two schemas as written (None: the default one) are the same."""
        return (one or self.default_schema) == (other or self.default_schema)

    def __bool__(self) -> bool:
        return bool(self.tables or self.columns)

    # ------------------------------------------------------------------ old -> new

    def table(self, schema: str | None, old: str) -> str:
        """The new name of table ``old`` (itself when it keeps its name)."""
        return self.tables.get(self.key(schema, old), old)

    def column(self, schema: str | None, old_table: str, old: str) -> str:
        """The new name of column ``old`` of table ``old_table``."""
        new_table = self.table(schema, old_table)
        return self.columns.get((*self.key(schema, new_table), old), old)

    def touches(self, schema: str | None, old_table: str, columns: tuple[str, ...] = ()
                ) -> bool:
        """Whether the table, or one of the columns, is renamed."""
        return self.table(schema, old_table) != old_table or any(
            self.column(schema, old_table, column) != column for column in columns)

    def affects(self, schema: str | None, old_table: str) -> bool:
        """Whether the table, or any of its columns, is renamed."""
        new_table = self.table(schema, old_table)
        key = self.key(schema, new_table)
        return new_table != old_table or any(k[:2] == key for k in self.columns)

    # ------------------------------------------------------------------ new -> old

    def old_table(self, schema: str | None, new: str) -> str:
        key = self.key(schema, new)[0]
        return next((old for (s, old), renamed in self.tables.items()
                     if s == key and renamed == new), new)

    def old_column(self, schema: str | None, new_table: str, new: str) -> str:
        key = self.key(schema, new_table)
        return next((old for (s, t, old), renamed in self.columns.items()
                     if (s, t) == key and renamed == new), new)

    # ------------------------------------------------------------------ SQL expressions

    def expression(self, sql: str, schema: str | None, old_table: str) -> str | None:
        """An expression on ``old_table`` (an index expression or predicate) with the renamed
        columns and table; None when pglast cannot parse it."""
        try:
            statement = parse_sql(f"SELECT {sql}")
        except ParseError:
            return None
        select = statement[0].stmt
        if not isinstance(select, ast.SelectStmt) or not select.targetList \
                or len(select.targetList) != 1:
            return None
        value = select.targetList[0].val
        _RenameRefs(self, schema, old_table)(value)
        return str(RawStream()(value))


class _RenameRefs(Visitor):
    """Renames column references (``col``, ``table.col``) to a table's renamed columns."""

    def __init__(self, renames: Renames, schema: str | None, table: str) -> None:
        super().__init__()
        self.renames, self.schema, self.table = renames, schema, table

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> ast.ColumnRef | None:
        fields = list(node.fields or ())
        names = [f.sval if isinstance(f, ast.String) else None for f in fields]
        if not names or names[-1] is None:
            return None
        if len(names) > 1 and names[-2] != self.table:
            return None
        renamed = list(fields)
        renamed[-1] = ast.String(sval=self.renames.column(self.schema, self.table, names[-1]))
        if len(names) > 1:
            renamed[-2] = ast.String(sval=self.renames.table(self.schema, self.table))
        return ast.ColumnRef(fields=tuple(renamed))
