"""What a revision's ``upgrade()`` created: what its ``downgrade()`` may drop again on a
database that is not protected (a development database).

The upgrade is rendered offline and analyzed; its relations (tables, indexes, types,
sequences, views), the columns it added and the names it renamed to are "created". A
downgrade statement is covered when every drop, rename, truncation or deletion in it
targets one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import (
    Action,
    AddColumn,
    AnalysisContext,
    DropColumn,
    DropObject,
    ModifyRows,
    Relation,
    Rename,
    StatementFacts,
    Truncate,
)
from alembic_safe.analysis.names import qualified_key

#: what a Rename's ``table`` is when it renames a column or a constraint of it
_OF_A_TABLE = ("column", "constraint", "trigger", "policy", "rule")


@dataclass(frozen=True)
class CreatedObjects:
    """Relations (qualified keys) and columns ((table key, column)) an upgrade created."""

    relations: frozenset[str]
    columns: frozenset[tuple[str, str]]
    default_schema: str = "public"

    @classmethod
    def of_upgrade(cls, captured: Iterable[tuple[str, bool, int | None]],
                   default_schema: str) -> CreatedObjects:
        """From the upgrade's SQL as rendered offline: (sql, in_transaction, line) items."""
        analyzer = Analyzer(AnalysisContext(in_transaction=True, default_schema=default_schema))
        relations: set[str] = set()
        columns: set[tuple[str, str]] = set()
        for sql, in_transaction, line in captured:
            for stmt in analyzer.feed(sql, in_transaction=in_transaction, line=line):
                for action in stmt.actions:
                    _collect(action, default_schema, relations, columns)
        return cls(frozenset(relations | analyzer.new_relations), frozenset(columns),
                   default_schema)

    def covering(self, stmt: StatementFacts) -> str | None:
        """The name of what ``stmt`` drops or renames when all of it was created here, else
        None (also for a statement that drops or renames nothing)."""
        named: list[str] = []
        for action in stmt.actions:
            target = _destroys(action)
            if target is None:
                continue
            table, column = target
            key = qualified_key(table, self.default_schema)
            if key in self.relations or (column is not None and (key, column) in self.columns):
                named.append(table.qualified if column is None else f"{table.qualified}.{column}")
            else:
                return None
        return ", ".join(dict.fromkeys(named)) or None


def _collect(action: Action, schema: str, relations: set[str],
             columns: set[tuple[str, str]]) -> None:
    """Add what ``action`` creates under a new name: an added column, a rename's target."""
    if action.table is None:
        return
    key = qualified_key(action.table, schema)
    if isinstance(action, AddColumn):
        columns.add((key, action.column.name))
    elif isinstance(action, Rename) and action.object_kind == "column":
        columns.add((key, action.new_name))
    elif isinstance(action, Rename) and action.object_kind not in _OF_A_TABLE:
        relations.add(qualified_key(Relation(action.new_name, action.table.schema), schema))


def _destroys(action: Action) -> tuple[Relation, str | None] | None:
    """(object, column or None) that ``action`` drops, renames or empties; None when it does
    none of that."""
    if action.table is None:
        return None
    if isinstance(action, DropColumn):
        return action.table, action.column
    if isinstance(action, Rename):
        return action.table, action.old_name if action.object_kind == "column" else None
    if isinstance(action, (DropObject, Truncate)) or (
            isinstance(action, ModifyRows) and action.command == "DELETE"):
        return action.table, None
    return None
