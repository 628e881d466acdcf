"""The severity policy checked against what the analyzer says each rule's flagged example does.

Every rule's first SQL example (the statement it flags) is analyzed; the facts of the flagged
statement, in its transaction, are read for evidence of each kind of harm the policy names. A
rule's category must be a harm its example shows, and its severity must be what the policy's
words give that evidence: an error when the example blocks a table for a time that grows with
the data, rewrites it, destroys data, breaks running code or cannot succeed; a warning when it
shows none of these. So a rule filed under a category its example does not show, or rated a
warning while its example shows an error's harm, fails here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import (
    AddColumn,
    AddConstraint,
    AnalysisContext,
    CreateIndex,
    LockMode,
    ModifyRows,
    OtherStatement,
    Reindex,
    Relation,
    StatementFacts,
    TransactionControl,
)
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Severity
from alembic_safe.optouts import parse_comment
from alembic_safe.rules import all_rules, find_rule
from alembic_safe.rules.base import Rule
from alembic_safe.rules.policy import POLICY, Category, default_severity, on_by_default
from alembic_safe.rules.selection import default_selection

#: the PostgreSQL version each rule's examples are written for (default 15)
EXAMPLE_PG = {"AS701": 11, "AS408": 14}
#: harms for which the policy's words say "error"
ERROR_HARMS = frozenset({Category.WILL_FAIL, Category.INPUT, Category.FAILS_ON_ROWS,
                         Category.LOCK, Category.REWRITE, Category.DATA_LOSS,
                         Category.COMPATIBILITY})
_CLOSES = ("COMMIT", "ROLLBACK", "END", "ABORT")


def _existing(stmt: StatementFacts) -> set[Relation]:
    return {lock.relation for lock in stmt.locks if not lock.is_new}


def _held(stmt: StatementFacts, earlier: list[StatementFacts]) -> dict[Relation, LockMode]:
    """Locks on existing relations held while ``stmt`` runs: its own and its transaction's."""
    same = [s for s in earlier if stmt.transaction_id is not None
            and s.transaction_id == stmt.transaction_id]
    held: dict[Relation, LockMode] = {}
    for s in [*same, stmt]:
        for lock in s.locks:
            if not lock.is_new:
                held[lock.relation] = max(lock.mode, held.get(lock.relation, lock.mode))
    return held


def _work_on_the_data(stmt: StatementFacts) -> set[Relation]:
    """Existing relations whose size the statement's work grows with."""
    builds = [a.table for a in stmt.actions
              if isinstance(a, (CreateIndex, Reindex)) and not a.concurrently]
    changes = [a.table for a in stmt.actions
               if isinstance(a, ModifyRows) and (a.from_select or not a.has_where)]
    refreshes = [a.table for a in stmt.actions
                 if isinstance(a, OtherStatement) and a.command == "REFRESH MATERIALIZED VIEW"]
    work = {*stmt.rewrites, *stmt.scans, *builds, *changes, *refreshes}
    return {r for r in work if r is not None} & _existing(stmt)


def _every_row_locked(stmt: StatementFacts) -> bool:
    """An UPDATE, DELETE or MERGE of every row of an existing table: a row lock on each."""
    return any(isinstance(a, ModifyRows) and a.command != "INSERT" and not a.has_where
               and not a.is_new for a in stmt.actions)


def _validates_unnamed_tables(stmt: StatementFacts) -> bool:
    """ALTER DOMAIN ... ADD CONSTRAINT: scans, and locks, every table using the domain."""
    return stmt.validates_constraint and any(
        isinstance(a, AddConstraint) and a.on_domain for a in stmt.actions)


def _input_left_open(facts: list[StatementFacts], context: AnalysisContext) -> bool:
    """The input opens a transaction it never closes (its work is rolled back at the end)."""
    last = facts[-1]
    closes = any(isinstance(a, TransactionControl) and a.command.upper().startswith(_CLOSES)
                 for a in last.actions)
    return not context.in_transaction and last.transaction_id is not None and not closes


def harms(stmt: StatementFacts, facts: list[StatementFacts],
          context: AnalysisContext) -> set[Category]:
    """The kinds of harm the analyzer's facts show for ``stmt``, the statement a rule flagged."""
    earlier = facts[:facts.index(stmt)]
    held = _held(stmt, earlier)
    blocking = {r for r, mode in held.items() if mode.blocks_writes}
    shown: set[Category] = set()
    too_new = stmt.requires is not None and context.pg_version < stmt.requires.major
    if stmt.parse_error or too_new or (stmt.requires_no_transaction and stmt.in_transaction) or (
            _input_left_open(facts, context) and stmt.transaction_id == facts[-1].transaction_id):
        shown.add(Category.WILL_FAIL)
    optouts = [o for text in stmt.comments for o in parse_comment(text)]
    if any(not o.reason.strip() or find_rule(o.rule) is None for o in optouts):
        shown.add(Category.INPUT)
    if any(isinstance(a, AddColumn) and not a.is_new and a.column.not_null
           and not a.column.has_default for a in stmt.actions):
        shown.add(Category.FAILS_ON_ROWS)
    if (blocking and _work_on_the_data(stmt)) or _every_row_locked(stmt) \
            or _validates_unnamed_tables(stmt):
        shown.add(Category.LOCK)
    if any(held.get(r) is LockMode.ACCESS_EXCLUSIVE for r in stmt.rewrites):
        shown.add(Category.REWRITE)
    if stmt.destroys_data:
        shown.add(Category.DATA_LOSS)
    if stmt.breaks_running_code:
        shown.add(Category.COMPATIBILITY)
    if blocking and not shown & ERROR_HARMS:
        shown.add(Category.BRIEF_LOCK)
    return shown


def flagged(rule: Rule) -> Iterator[tuple[StatementFacts, list[StatementFacts],
                                          AnalysisContext]]:
    """The statements of the rule's first SQL example that the rule reports."""
    context = AnalysisContext(pg_version=EXAMPLE_PG.get(rule.code, 15))
    facts = analyze(rule.sql_example[0], context)
    findings = Checker(Settings(select=(rule.code,)), context).check_all(facts)
    lines = {f.line for f in findings if f.rule == rule.code}
    assert lines, f"{rule.code} does not fire on its own example"
    for stmt in facts:
        if stmt.position.line in lines:
            yield stmt, facts, context


RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_category_is_a_harm_the_example_shows(rule: Rule) -> None:
    for stmt, facts, context in flagged(rule):
        shown = harms(stmt, facts, context)
        if rule.category in (Category.CONDITIONAL, Category.STYLE):
            # harm only in a case the analyzer cannot see, or none yet: no certain harm shown
            assert not shown & ERROR_HARMS, (rule.code, stmt.sql, shown)
            if rule.category is Category.STYLE:
                assert Category.BRIEF_LOCK not in shown, (rule.code, stmt.sql)
        else:
            assert rule.category in shown, (rule.code, stmt.sql, shown)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_severity_is_what_the_policy_says_of_the_example(rule: Rule) -> None:
    for stmt, facts, context in flagged(rule):
        expected = Severity.ERROR if harms(stmt, facts, context) & ERROR_HARMS \
            else Severity.WARNING
        assert rule.severity is expected, (rule.code, stmt.sql)


def test_the_severity_follows_from_the_category_only() -> None:
    for rule in RULES:
        assert rule.severity is default_severity(rule.category) is POLICY[rule.category].severity


def test_every_category_has_a_verdict_and_only_style_is_off_by_default() -> None:
    assert set(POLICY) == set(Category)
    assert {c for c in Category if not on_by_default(c)} == {Category.STYLE}
    assert default_selection() == {r.code for r in RULES if r.category is not Category.STYLE}


@pytest.mark.parametrize(("sql", "harm"), [
    ("CREATE INDEX ix ON claims (status);", Category.LOCK),
    ("UPDATE claims SET region = 'eu';", Category.LOCK),
    ("ALTER TABLE claims ALTER COLUMN amount TYPE bigint;", Category.REWRITE),
    ("DROP TABLE claims;", Category.DATA_LOSS),
    ("ALTER TABLE claims RENAME TO c2;", Category.COMPATIBILITY),
    ("ALTER TABLE claims ADD COLUMN note text;", Category.BRIEF_LOCK),
    ("ALTER TABLE claims ADD COLUMN;", Category.WILL_FAIL),
])
def test_evidence_reads_the_facts(sql: str, harm: Category) -> None:
    """The evidence helper itself: each harm on a statement known to have it."""
    context = AnalysisContext()
    facts = analyze(sql, context)
    assert harm in harms(facts[0], facts, context)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE fresh (id bigint);\nCREATE INDEX ix ON fresh (id);",
    "CREATE INDEX CONCURRENTLY ix ON claims (status);",
    "UPDATE claims SET region = 'eu' WHERE id = 1;",
    "DROP TYPE claim_status;",
    "ALTER TYPE claim_status ADD VALUE 'disputed';",
])
def test_statements_without_certain_harm_show_none(sql: str) -> None:
    context = AnalysisContext()
    facts = analyze(sql, context)
    assert not harms(facts[-1], facts, context) & ERROR_HARMS
