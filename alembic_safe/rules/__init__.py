"""The rule catalog: every family module registers its rules on import."""

from __future__ import annotations

from alembic_safe.rules import (  # noqa: F401  (imported to register their rules)
    columns,
    constraints,
    data,
    destructive,
    enums,
    hygiene,
    index,
    meta,
    table,
    transactions,
)
from alembic_safe.rules.base import Rule, registered_rules


def all_rules() -> list[Rule]:
    """Every rule of the catalog, sorted by code."""
    return sorted(registered_rules().values(), key=lambda r: r.code)


def find_rule(code_or_name: str) -> Rule | None:
    """The rule with this code (``AS101``, any case) or name (``create-index-not-concurrent``)."""
    key = code_or_name.strip()
    rules = registered_rules()
    if key.upper() in rules:
        return rules[key.upper()]
    lowered = key.lower()
    return next((r for r in rules.values() if r.name == lowered), None)


__all__ = ["Rule", "all_rules", "find_rule"]
