"""A rule's examples, checked: the flagged SQL example run through the analyzer and the checker
as lint runs a ``.sql`` file, and the fix of the rule's finding on it.

The safe side of a rule's examples is rendered from that fix wherever the rule has one (the
rules reference, :mod:`alembic_safe.rules.docs`), so the docs show what lint, the runtime guard
and autogenerate say, and cannot drift from it. A rule whose safe way is not statements keeps
a hand-written safe side.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding
from alembic_safe.fix import ops, sql
from alembic_safe.fix.model import Fix
from alembic_safe.rules.base import Rule

#: the PostgreSQL version examples are checked with, when the rule applies to it
EXAMPLE_VERSION = 15


def example_version(rule: Rule) -> int:
    """:data:`EXAMPLE_VERSION`, or the nearest version the rule applies to."""
    low, high = rule.pg_versions
    return min(high, max(low, EXAMPLE_VERSION))


def findings_of(rule: Rule, text: str, pg_version: int | None = None) -> list[Finding]:
    """The findings of ``rule`` on the SQL ``text``, checked as lint checks a ``.sql`` file
    (every rule selected, no ``lock_timeout`` managed, the file's own transactions), for
    ``pg_version`` (default: :func:`example_version`)."""
    version = pg_version or example_version(rule)
    context = AnalysisContext(pg_version=version, in_transaction=False,
                              lock_timeout_managed=False)
    checker = Checker(Settings(select=("ALL",), pg_version=version), context)
    findings = checker.check_all(Analyzer(context).feed(text))
    return [f for f in findings if f.rule == rule.code]


def example_fix(rule: Rule) -> Fix | None:
    """The fix of the rule's finding on its flagged SQL example, if it has one."""
    return next((f.fix for f in findings_of(rule, rule.sql_example[0]) if f.fix is not None),
                None)


@dataclass(frozen=True)
class SafeExample:
    """The safe side of a rule's examples, as SQL and as Alembic op code."""

    sql: str
    op: str
    #: rendered from the fix of the flagged example (else written by hand in the rule)
    rendered: bool


def safe_example(rule: Rule) -> SafeExample:
    """The fix of the flagged example rendered, or the rule's hand-written safe side."""
    fix = example_fix(rule)
    if fix is None:
        return SafeExample(rule.sql_example[1], rule.op_example[1], rendered=False)
    return SafeExample(sql.render(fix, brief=True), ops.render(fix), rendered=True)
