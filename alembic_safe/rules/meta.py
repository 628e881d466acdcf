"""AS0xx: problems with the input or with opt-outs rather than with a statement's effect.

AS002 and AS003 are reported by the checker (:mod:`alembic_safe.checking`) when it reads
opt-outs; their detectors find nothing in a statement by themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import StatementFacts
from alembic_safe.rules.base import Category, Hit, RuleContext, rule


@rule(
    code="AS001",
    name="parse-error",
    category=Category.WILL_FAIL,
    summary="The statement is not valid PostgreSQL",
    what="A statement PostgreSQL's parser (through pglast) rejects.",
    why="PostgreSQL would reject it too, and nothing about its locks or effects can be checked.",
    instead="Fix the SQL at the reported line and column; the parser's message says what it "
    "expected.",
    sql_example=("ALTER TABLE claims ADD COLUMN;", "ALTER TABLE claims ADD COLUMN note text;"),
    op_example=('op.execute("ALTER TABLE claims ADD COLUMN")',
                'op.add_column("claims", sa.Column("note", sa.Text()))'),
    seen_in=("squawk (syntax errors)", "Eugene (parse errors)"),
)
def parse_error(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    if stmt.parse_error is not None:
        yield Hit(
            message=f"cannot parse the statement: {stmt.parse_error}",
            help="Fix the SQL (PostgreSQL would reject it as well)",
        )


def _reported_by_checker(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    """Opt-out problems are found by the checker, not in the statement's facts."""
    return iter(())


rule(
    code="AS002",
    name="optout-without-reason",
    category=Category.INPUT,
    summary="An opt-out gives no reason",
    what="An `alembic-safe: allow ...` comment, an `alembic_safe_allow` entry or an `allow()` "
    "call without a reason.",
    why="An opt-out silences a real hazard; the reason tells reviewers (and you, later) why it "
    "is safe here. Without one the opt-out is ignored and the original finding stands.",
    instead="Add the reason: `-- alembic-safe: allow AS101 because the table has 20 rows`.",
    sql_example=("-- alembic-safe: allow AS101\nCREATE INDEX ix_tiny_code ON tiny (code);",
                 "-- alembic-safe: allow AS101 because tiny has 20 rows\n"
                 "CREATE INDEX ix_tiny_code ON tiny (code);"),
    op_example=('alembic_safe_allow = {"AS101": ""}',
                'alembic_safe_allow = {"AS101": "tiny has 20 rows"}'),
    seen_in=("none: squawk-ignore, safety_assured and Atlas nolint take no reason",),
)(_reported_by_checker)

rule(
    code="AS003",
    name="unknown-rule-in-optout",
    category=Category.INPUT,
    summary="An opt-out names a rule that does not exist",
    what="An opt-out naming a code or name that is not in the catalog.",
    why="A typo would silence nothing while looking like it does; the finding it meant to allow "
    "still fails the run, and the opt-out is ignored.",
    instead="Use a code or name from the rules reference, e.g. `AS101` or "
    "`create-index-not-concurrent`.",
    sql_example=("-- alembic-safe: allow AS1O1 because tiny has 20 rows\n"
                 "CREATE INDEX ix_tiny_code ON tiny (code);",
                 "-- alembic-safe: allow AS101 because tiny has 20 rows\n"
                 "CREATE INDEX ix_tiny_code ON tiny (code);"),
    op_example=('alembic_safe_allow = {"AS1O1": "tiny has 20 rows"}',
                'alembic_safe_allow = {"AS101": "tiny has 20 rows"}'),
    seen_in=("squawk (unknown rule names in config)",),
)(_reported_by_checker)
