"""Shared helpers for the analyzer tests."""

from __future__ import annotations

from typing import Any

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext, LockMode, StatementFacts


def one(sql: str, **context: Any) -> StatementFacts:
    """The facts of a single-statement input."""
    facts = analyze(sql, AnalysisContext(**context))
    assert len(facts) == 1, facts
    return facts[0]


def locks(stmt: StatementFacts) -> dict[str, LockMode]:
    """Locks as {qualified name: mode}."""
    return {lock.relation.qualified: lock.mode for lock in stmt.locks}
