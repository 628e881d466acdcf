"""Rule dispatch: a rule that declares ``on=`` action types never fires without one of them.

Each statement of the hand-built cases, the documented examples and the parser traps (through
the real analyzer) is checked with the declared actions taken out: the rule must find nothing,
whatever else the statement carries (locks, kind, transaction, earlier statements' memos).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from rulefacts import EVERY_RULE, T, lock, run, stmt
from test_rule_cases import CASES
from test_rules_sql import TRAPS

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import (
    Action,
    AddColumn,
    AddConstraint,
    AnalysisContext,
    ColumnDef,
    ConstraintDef,
    ConstraintKind,
    LockMode,
    StatementFacts,
)
from alembic_safe.checking import Checker
from alembic_safe.findings import Finding
from alembic_safe.rules import all_rules
from alembic_safe.rules.base import Rule, RuleContext

DECLARING = [r for r in all_rules() if r.on]


def _sequences() -> Iterator[tuple[str, AnalysisContext, list[StatementFacts]]]:
    """(id, context, statements): hand-built cases, then documented SQL and traps analyzed."""
    for case in CASES:
        context = AnalysisContext(pg_version=case.pg_version,
                                  lock_timeout_managed=case.lock_timeout_managed)
        yield f"{case.code}-{case.id}", context, case.stmts
    sources = [(f"{r.code}-example-{i}", sql, {}) for r in all_rules()
               for i, sql in enumerate(r.sql_example) if sql]
    sources += [(f"trap-{t[0]}", t[1], t[2]) for t in TRAPS]
    for name, sql, extra in sources:
        for in_transaction in (False, True):
            context = AnalysisContext(**{"in_transaction": in_transaction, **extra})
            yield f"{name}-{in_transaction}", context, analyze(sql, context)


SEQUENCES = list(_sequences())


def test_declarations_name_action_types() -> None:
    assert DECLARING, "no rule declares on="
    for r in DECLARING:
        assert all(issubclass(kind, Action) for kind in r.on), r.code


@pytest.mark.parametrize(("context", "stmts"), [s[1:] for s in SEQUENCES],
                         ids=[s[0] for s in SEQUENCES])
def test_rule_never_fires_without_its_actions(context: AnalysisContext,
                                              stmts: list[StatementFacts]) -> None:
    memos = {kind: kind() for r in all_rules() for kind in r.memos}
    ctx = RuleContext(analysis=context, memos=memos)
    for statement in stmts:
        for r in DECLARING:
            kept = tuple(a for a in statement.actions if not isinstance(a, r.on))
            hits = list(r.detect(replace(statement, actions=kept), ctx))
            assert hits == [], f"{r.code} fired without {[k.__name__ for k in r.on]}"
        for memo in memos.values():
            memo.observe(statement)


class _EveryRule(Checker):
    """The checker without dispatch: every enabled rule on every statement."""

    def _rules_for(self, stmt: StatementFacts) -> list[Rule]:
        return self._on_statement


def _check(checker_class: type[Checker], context: AnalysisContext,
           stmts: list[StatementFacts]) -> list[Finding]:
    return checker_class(EVERY_RULE, context, path="m.sql").check_all(stmts)


@pytest.mark.parametrize(("context", "stmts"), [s[1:] for s in SEQUENCES],
                         ids=[s[0] for s in SEQUENCES])
def test_dispatch_finds_what_every_rule_finds(context: AnalysisContext,
                                              stmts: list[StatementFacts]) -> None:
    assert _check(Checker, context, stmts) == _check(_EveryRule, context, stmts)


def test_statement_with_several_action_types_keeps_catalog_order() -> None:
    column = ColumnDef("region", "character varying(20)", not_null=True, primary_key=True)
    check = ConstraintDef(ConstraintKind.CHECK, name="claims_region_check")
    both = stmt(AddColumn(T, column=column), AddConstraint(T, constraint=check),
                locks=(lock(T, LockMode.ACCESS_EXCLUSIVE),))
    codes = [f.rule for f in run([both])]
    assert codes == ["AS201", "AS302", "AS303", "AS801", "AS803"]


def test_rules_run_once_per_statement() -> None:
    context = AnalysisContext()
    sql = "ALTER TABLE claims ADD COLUMN a integer PRIMARY KEY, ADD COLUMN b integer PRIMARY KEY;"
    findings = _check(Checker, context, analyze(sql, context))
    assert findings == _check(_EveryRule, context, analyze(sql, context))
    assert [f.rule for f in findings] == sorted(f.rule for f in findings)
    assert [f.rule for f in findings].count("AS802") == 2  # one per column, from one run
