"""Every rule with a fix, on its own flagged example with hostile names (quotes, backslashes,
colons, mixed case, spaces, a schema with a dot): the finding still has its fix; the fix's SQL
parses (pglast); its op code is valid Python that runs offline through Alembic into the same
SQL; the help text shows exactly those two renderings."""

from __future__ import annotations

import ast
import io
from typing import Any

import pglast
import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from hostile import SCHEMES, hostile

import alembic_safe
import alembic_safe.autogenerate.enums.ops
import alembic_safe.autogenerate.ops  # registers the operations the fixes call
from alembic_safe.findings import Finding
from alembic_safe.fix import ops, sql
from alembic_safe.fix.model import Backfill, Fix, Step
from alembic_safe.report.finding import safe_way
from alembic_safe.rules import all_rules, find_rule
from alembic_safe.rules.base import Rule
from alembic_safe.rules.examples import example_fix, findings_of

#: the rules whose safe way is statements: their flagged example's finding has a fix
WITH_FIX = ("AS101", "AS102", "AS103", "AS104", "AS201", "AS202", "AS203", "AS204", "AS205",
            "AS206", "AS301", "AS302", "AS303", "AS305", "AS306", "AS401", "AS407", "AS408",
            "AS505", "AS507", "AS601", "AS602", "AS701", "AS702", "AS801")


def test_the_rules_with_a_fix_are_these() -> None:
    assert tuple(r.code for r in all_rules() if example_fix(r) is not None) == WITH_FIX


def _statements(text: str) -> list[Any]:
    return [raw.stmt for raw in pglast.parse_sql(text)]


def _offline(code: str) -> list[Any]:
    """Run op code in an offline migration's transaction (``--sql``); the statements it
    writes, without the migration's own BEGIN and COMMIT."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True,
              "transactional_ddl": True})
    operations = Operations(context)
    with Operations.context(context), context.begin_transaction():
        exec(compile(code, "<fix>", "exec"),
             {"op": operations, "sa": sa, "alembic_safe": alembic_safe})
    return [s for s in _statements(buffer.getvalue())
            if type(s).__name__ != "TransactionStmt"]


def _expected(steps: tuple[Step, ...]) -> list[Any]:
    """What the steps' op code must write: each step's SQL; a backfill's two DO blocks (its
    checks, then the batches)."""
    out: list[Any] = []
    for step in steps:
        if isinstance(step, Backfill):
            out += ["DoStmt", "DoStmt"]
        else:
            out += _statements(sql.statement(step))
    return out


def _same(written: list[Any], expected: list[Any]) -> bool:
    return len(written) == len(expected) and all(
        type(w).__name__ == e if isinstance(e, str) else w == e
        for w, e in zip(written, expected, strict=True))


def _finding(rule: Rule, text: str) -> Finding:
    fixed = [f for f in findings_of(rule, text) if f.fix is not None]
    assert fixed, f"{rule.code}: no fix on {text}"
    return fixed[0]


CASES = [(code, scheme, qualify) for code in WITH_FIX for scheme in SCHEMES
         for qualify in (False, True)]


@pytest.mark.parametrize(("code", "scheme", "qualify"), CASES,
                         ids=[f"{c}-{s}{'-schema' if q else ''}" for c, s, q in CASES])
def test_fix_of_the_flagged_example_with_hostile_names(code: str, scheme: str,
                                                       qualify: bool) -> None:
    rule = find_rule(code)
    assert rule is not None
    text = hostile(rule.sql_example[0], scheme, qualify=qualify)
    finding = _finding(rule, text)
    fix = finding.fix
    assert isinstance(fix, Fix)
    for steps in (fix.steps, fix.later):
        if not steps:
            continue
        rendered = sql.render(Fix(steps))
        assert _statements(rendered) == [s for step in steps
                                         for s in _statements(sql.render(Fix((step,))))]
        _statements(sql.render(Fix(steps), brief=True))  # the help's form parses too
        code_text = ops.render_steps(steps)
        ast.parse(code_text)
        assert _same(_offline(code_text), _expected(steps)), code_text
    help_text = safe_way(finding)
    assert sql.render(fix, brief=True) in help_text.replace("\n  ", "\n")
    assert ops.render(fix) in help_text.replace("\n  ", "\n")
    ast.parse(ops.render(fix))
