"""One finding as text: the one rendering that lint's text report, the runtime guard's refusal
and ``alembic check`` print, so they show the same safe way for the same statement::

    path:line:col: AS101 create-index-not-concurrent CREATE INDEX ix on claims takes ...
      statement: CREATE INDEX ix ON claims (status)
      help: Build the index concurrently, outside a transaction: writes go on while it builds
        SQL:
          -- outside a transaction block (after COMMIT; in Alembic: autocommit_block())
          CREATE INDEX CONCURRENTLY ix ON claims (status);
        Alembic:
          with op.get_context().autocommit_block():
              op.create_index("ix", "claims", ["status"], postgresql_concurrently=True)
      opt out: with alembic_safe.allow("AS101", reason="<why it is safe here>"): around the op

The safe way is the rule's words and, when the rule has a fix, the fix rendered as SQL
(:func:`alembic_safe.fix.sql.render`, pre-flight checks as the query of the rows they stop
on) and as Alembic op code
(:func:`alembic_safe.fix.ops.render`): no front end spells a safe form itself. JSON carries the
same help text and the fix as data (:func:`fix_data`); GitHub annotations a compact form
(:func:`compact`).
"""

from __future__ import annotations

import re
from typing import Any

from alembic_safe.findings import Finding
from alembic_safe.fix import ops, sql
from alembic_safe.fix.model import Fix, Step, runs_in_transaction
from alembic_safe.rules import find_rule
from alembic_safe.rules.policy import Category

INDENT = "  "
#: a statement longer than this is cut in the report (its place in the file is given)
STATEMENT_LIMIT = 200


def _indented(text: str, depth: int = 1) -> list[str]:
    return [INDENT * depth + line if line else line for line in text.splitlines()]


def safe_way(finding: Finding) -> str:
    """The safe way: in words, then, when the rule has a fix, as SQL and as Alembic op code."""
    lines = [finding.advice] if finding.advice else []
    fix = finding.fix
    if fix is not None:
        lines += ["SQL:", *_indented(sql.render(fix, brief=True)), "Alembic:",
                  *_indented(ops.render(fix))]
    return "\n".join(lines)


def opt_out(finding: Finding) -> str | None:
    """How to silence ``finding`` with a reason, in the form its file takes; None for the
    findings about the input itself (an opt-out's own problems), which no opt-out silences."""
    rule = find_rule(finding.rule)
    if rule is None or rule.category is Category.INPUT:
        return None
    if finding.path is None or finding.path.endswith(".sql"):
        return (f"-- alembic-safe: allow {finding.rule} because <why it is safe here>  "
                "(a comment on the statement)")
    return (f'with alembic_safe.allow("{finding.rule}", reason="<why it is safe here>"): '
            "around the op")


def statement(finding: Finding) -> str:
    """The statement on one line, cut after :data:`STATEMENT_LIMIT` characters."""
    text = " ".join(finding.statement.split())
    return text if len(text) <= STATEMENT_LIMIT else text[:STATEMENT_LIMIT] + " ..."


def render(finding: Finding, where: str) -> str:
    """``finding`` as every front end prints it; ``where`` is its place (``path:line``)."""
    lines = [f"{where}: {finding.rule} {finding.name} {finding.message}"]
    if finding.statement:
        lines.append(f"{INDENT}statement: {statement(finding)}")
    help_lines = safe_way(finding).splitlines()
    if help_lines:
        lines.append(f"{INDENT}help: {help_lines[0]}")
        lines += _indented("\n".join(help_lines[1:]), 2)
    hint = opt_out(finding)
    if hint is not None:
        lines.append(f"{INDENT}opt out: {hint}")
    return "\n".join(lines)


def compact(finding: Finding) -> str:
    """The message, the safe way in words and the fix in the language of the finding's file
    (SQL for a ``.sql`` file, op code otherwise): for places with little room (annotations)."""
    lines = [finding.message]
    if finding.advice:
        lines.append(f"help: {finding.advice}")
    if finding.fix is not None:
        sql_file = finding.path is not None and finding.path.endswith(".sql")
        lines.append(sql.render(finding.fix, brief=True) if sql_file
                     else ops.render(finding.fix))
    return "\n".join(lines)


def _kind(step: Step) -> str:
    """``BuildIndex`` -> ``build-index``, ``RawSQL`` -> ``raw-sql``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", type(step).__name__).lower()


def _step_data(step: Step) -> dict[str, Any]:
    return {"kind": _kind(step), "transactional": runs_in_transaction(step),
            "sql": sql.statement(step), "op": ops.call(step)}


def fix_data(fix: Fix) -> dict[str, Any]:
    """The fix as JSON data: each step with its SQL, whether it runs in the migration's
    transaction and its op code; the steps for a later revision; the whole renderings."""
    return {
        "summary": fix.summary,
        "alternative": fix.alternative,
        "steps": [_step_data(s) for s in fix.steps],
        "later": [_step_data(s) for s in fix.later],
        "sql": sql.render(fix),
        "op": ops.render(fix),
    }
