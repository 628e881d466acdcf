"""The categories whose harm the analyzer can only infer, checked on a real PostgreSQL server.

Each rule's first SQL example runs statement by statement in one session (as psql runs a file):
- will-fail: PostgreSQL refuses the statement the rule flags, or the session ends with the work
  rolled back: the schema is as before;
- fails-on-rows: the example succeeds on empty tables and PostgreSQL refuses it once they have
  rows;
- rewrite: the table the example rewrites gets a new file (``pg_class.relfilenode``);
- conditional: the example runs and keeps its work: it fails only with what it does not contain.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext, StatementFacts
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.rules import all_rules
from alembic_safe.rules.base import Rule
from alembic_safe.rules.policy import Category

#: the tables and columns the examples name
SETUP = """
CREATE TYPE claim_status AS ENUM ('open', 'closed');
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE claims (id bigint PRIMARY KEY, user_id bigint, status text, amount integer,
                     net numeric, tax numeric);
CREATE UNLOGGED TABLE events (id bigint, kind int);
"""
ROWS = """
INSERT INTO users VALUES (1, 'a@example.com');
INSERT INTO claims VALUES (1, 1, 'open', 10, 8, 2);
INSERT INTO events VALUES (1, 1);
"""
#: what an example needs besides SETUP
EXTRA = {"AS402": "CREATE INDEX ix_claims_status ON claims (status);",
         # what the example calls: a function that runs DDL the analyzer cannot see
         "AS005": "CREATE FUNCTION archive_old_claims() RETURNS void LANGUAGE plpgsql "
                  "AS $$ BEGIN CREATE TABLE claims_archive (LIKE claims); END $$;"}
#: examples that cannot run on the test server
CANNOT_RUN = {"AS404": "needs a tablespace directory on the server's host"}
#: errors that mean SETUP lacks what an example names, not that PostgreSQL refuses the example
SETUP_GAPS = {"42P01", "42704", "42703", "42883", "42P07", "42710"}
_SCHEMA = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), c.relpersistence
FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT t.typname, e.enumlabel, NULL, NULL FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace = 'public'::regnamespace
UNION ALL
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), NULL FROM pg_constraint
WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2
"""

def _dsn(pg_url: str) -> str:
    return make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _prepare(dsn: str, rule: Rule, *, rows: bool) -> int:
    """Create the example's tables (with a row each when ``rows``); the server's major."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SETUP + EXTRA.get(rule.code, "") + (ROWS if rows else ""))
        number = conn.execute("SHOW server_version_num").fetchone()
        assert number is not None
        return int(number[0]) // 10000


def _statements(rule: Rule) -> tuple[list[StatementFacts], set[int]]:
    """The example's statements, and the lines of those the rule flags."""
    context = AnalysisContext()
    facts = analyze(rule.sql_example[0], context)
    findings = Checker(Settings(select=(rule.code,)), context).check_all(facts)
    return facts, {f.line for f in findings if f.rule == rule.code}


def _run(dsn: str, facts: list[StatementFacts]) -> StatementFacts | None:
    """Run the statements one by one in one session, then end it (as psql does at the end of
    a file: an open transaction is rolled back); the statement PostgreSQL refused, if any."""
    conn = psycopg.connect(dsn, autocommit=True)
    try:
        for stmt in facts:
            try:
                conn.execute(stmt.sql)
            except psycopg.Error as exc:
                assert exc.sqlstate not in SETUP_GAPS, f"SETUP lacks what it names: {exc}"
                return stmt
        return None
    finally:
        conn.close()  # not the context manager: it would commit what the input left open


def _schema(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(_SCHEMA).fetchall()


def _of(category: Category) -> list[Rule]:
    return [r for r in all_rules() if r.category is category]


def _runnable(dsn: str, rule: Rule, *, rows: bool) -> None:
    if rule.code in CANNOT_RUN:
        pytest.skip(CANNOT_RUN[rule.code])
    major = _prepare(dsn, rule, rows=rows)
    if not rule.applies_to(major):
        pytest.skip(f"{rule.code} applies to PostgreSQL {rule.pg_versions}, the server is {major}")
    facts, _ = _statements(rule)
    newer = [s.requires.major for s in facts if s.requires is not None]
    if newer and major >= max(newer):  # AS004: the example is refused by older majors only
        pytest.skip(f"{rule.code}'s example needs PostgreSQL {max(newer)}, which the server is")


@pytest.mark.parametrize("rule", _of(Category.WILL_FAIL), ids=lambda r: r.code)
def test_will_fail_examples_are_refused_or_lost(pg_url: str, rule: Rule) -> None:
    dsn = _dsn(pg_url)
    _runnable(dsn, rule, rows=False)
    before = _schema(dsn)
    facts, flagged = _statements(rule)
    refused = _run(dsn, facts)
    if refused is not None:
        assert refused.position.line in flagged, (rule.code, refused.sql)
    assert _schema(dsn) == before, f"{rule.code}: the example's work survived"


@pytest.mark.parametrize("rule", _of(Category.FAILS_ON_ROWS), ids=lambda r: r.code)
def test_fails_on_rows_examples_pass_on_empty_tables_only(pg_url: str, rule: Rule) -> None:
    dsn = _dsn(pg_url)
    _runnable(dsn, rule, rows=False)
    facts, flagged = _statements(rule)
    assert _run(dsn, facts) is None, f"{rule.code} fails on empty tables"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE users, claims, events; DROP TYPE claim_status")
    _prepare(dsn, rule, rows=True)
    refused = _run(dsn, facts)
    assert refused is not None and refused.position.line in flagged, rule.code


def _files(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT relname, relfilenode FROM pg_class "
                            "WHERE relnamespace = 'public'::regnamespace").fetchall()
    return {name: node for name, node in rows}


@pytest.mark.parametrize("rule", _of(Category.REWRITE), ids=lambda r: r.code)
def test_rewrite_examples_give_the_table_a_new_file(pg_url: str, rule: Rule) -> None:
    dsn = _dsn(pg_url)
    _runnable(dsn, rule, rows=True)
    facts, flagged = _statements(rule)
    rewritten = {r.name for s in facts if s.position.line in flagged for r in s.rewrites}
    assert rewritten, f"{rule.code}: the analyzer names no rewritten table"
    before = _files(dsn)
    assert _run(dsn, facts) is None
    after = _files(dsn)
    assert all(after[name] != before[name] for name in rewritten), rule.code


@pytest.mark.parametrize("rule", _of(Category.CONDITIONAL), ids=lambda r: r.code)
def test_conditional_examples_succeed_by_themselves(pg_url: str, rule: Rule) -> None:
    """What a conditional rule flags fails only with something the example does not contain
    (a later use, a dependent column): by itself PostgreSQL runs it and keeps its work."""
    dsn = _dsn(pg_url)
    _runnable(dsn, rule, rows=True)
    before = _schema(dsn)
    facts, _flagged = _statements(rule)
    assert _run(dsn, facts) is None, rule.code
    assert _schema(dsn) != before, f"{rule.code}: the example's work was lost"
