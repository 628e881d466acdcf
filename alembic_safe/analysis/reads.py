"""The tables a query reads and the functions it calls."""

from __future__ import annotations

from alembic_safe.analysis import names, tree
from alembic_safe.analysis.draft import Draft
from alembic_safe.analysis.facts import LockMode
from alembic_safe.analysis.tree import Fields


def reads(root: tuple[str, Fields], draft: Draft,
          mode: LockMode = LockMode.ACCESS_SHARE) -> list[Fields]:
    """ACCESS SHARE (or ``mode``) on every table a query reads (CTE names excluded); the
    function calls in it (FuncCall nodes), in the order written."""
    ctes: set[str] = set()
    tables: list[Fields] = []
    calls: list[Fields] = []
    for tag, item in tree.walk(root):
        if tag == "RangeVar":
            tables.append(item)
        elif tag == "CommonTableExpr" and item.get("ctename"):
            ctes.add(item["ctename"])
        elif tag == "FuncCall":
            calls.append(item)
    for item in reversed(tables):
        if item.get("schemaname") is not None or item.get("relname") not in ctes:
            draft.lock(names.relation(item), mode)
    return calls[::-1]
