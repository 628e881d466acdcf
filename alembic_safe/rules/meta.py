"""AS0xx: problems with the input or with opt-outs rather than with a statement's effect, and
code in the input whose SQL cannot be seen (AS005).

AS002 and AS003 are reported by the checker (:mod:`alembic_safe.checking`) when it reads
opt-outs; their detectors find nothing in a statement by themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

from alembic_safe.analysis.facts import OpaqueCode, StatementFacts
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


@rule(
    code="AS004",
    name="needs-newer-postgres",
    category=Category.WILL_FAIL,
    summary="The statement uses a feature the target PostgreSQL version does not have",
    what="A statement the parser accepts (alembic-safe parses with PostgreSQL 18's grammar) "
    "that uses a feature newer than the target major: on 18, virtual generated columns "
    "(`GENERATED ALWAYS AS (...)` without `STORED`, or `VIRTUAL`), `NOT NULL` table "
    "constraints (also `NOT VALID` ones) and `NOT ENFORCED` constraints; on 17, the "
    "`transaction_timeout` setting and `ALTER COLUMN ... SET EXPRESSION`. The target is the "
    "live server's version for the runtime guard, the `pg_version` setting (or "
    "`--pg-version`) for `alembic-safe lint`.",
    why="The older server rejects the statement (a syntax error or an unknown setting), so "
    "the migration fails there, however small the table.",
    instead="Write what the target major has (the finding says what), or target the newer "
    "major if every database the migration runs on has it.",
    sql_example=("ALTER TABLE claims ADD COLUMN total numeric GENERATED ALWAYS AS (net + tax);",
                 "ALTER TABLE claims ADD COLUMN total numeric;"),
    op_example=('op.execute("ALTER TABLE claims ADD COLUMN total numeric '
                'GENERATED ALWAYS AS (net + tax)")',
                'op.add_column("claims", sa.Column("total", sa.Numeric()))'),
    seen_in=("squawk (pg_version-aware rules)",),
)
def needs_newer_postgres(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    needed = stmt.requires
    if needed is not None and ctx.pg_version < needed.major:
        yield Hit(
            message=f"{needed.feature} needs PostgreSQL {needed.major} or later: PostgreSQL "
            f"{ctx.pg_version} rejects the statement",
            help=f"For PostgreSQL {ctx.pg_version}, {needed.instead}",
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


@rule(
    code="AS005",
    name="opaque-code",
    on=(OpaqueCode,),
    category=Category.CONDITIONAL,
    summary="Code runs SQL the analyzer cannot see",
    what="A call of a function or procedure that is neither built into PostgreSQL nor created "
    "earlier in the migration or file (`SELECT migrate_claims()`, `CALL archive()`, "
    "`PERFORM` in PL/pgSQL), `EXECUTE` of SQL built at run time (`EXECUTE format(...)`), or "
    "a DO block in a language other than PL/pgSQL. What can be read is analyzed instead: a "
    "DO block's PL/pgSQL, the body of a function created earlier in the input (PL/pgSQL or "
    "SQL), `EXECUTE` of a string literal; their statements' findings are reported at the "
    "calling statement.",
    why="Such code can run any statement, DDL included (an index build, a table rewrite, a "
    "lock on a busy table), and nothing in the migration's text shows it: no rule checks it, "
    "and it passes review unseen. Whether it harms depends on what it runs.",
    instead="Write the statements in the migration itself, or in a DO block or a function "
    "created in the same migration, so they are analyzed. When the code is known to be "
    "harmless, opt out with the reason.",
    sql_example=(
        "SELECT archive_old_claims();",
        "-- alembic-safe: allow AS005 because archive_old_claims() only deletes rows in batches\n"
        "SELECT archive_old_claims();",
    ),
    op_example=(
        'op.execute("SELECT archive_old_claims()")',
        'with alembic_safe.allow("opaque-code", reason="only deletes rows in batches"):\n'
        '    op.execute("SELECT archive_old_claims()")',
    ),
    seen_in=("none: squawk, strong_migrations and Eugene pass function calls silently",),
)
def opaque_code(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
    for action in stmt.actions:
        if isinstance(action, OpaqueCode):
            yield Hit(
                message=f"{action.code} runs SQL alembic-safe cannot see ({action.reason}): its "
                "locks and rewrites are not checked",
                help="Write its statements in the migration (or in a DO block or function "
                "created in it, which are analyzed), or opt out with the reason it is harmless",
            )
