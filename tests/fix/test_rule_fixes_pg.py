"""Every rule's fix, run on a real PostgreSQL server: each rule's flagged example, with the
flagged statement replaced by its fix's op code, runs through Alembic (online, in the
migration's transaction, the fix's autocommit blocks committing around it) on populated
tables, then the fix's later revision; the schema ends as the flagged statement meant. Plain
names, and hostile ones (quotes, backslashes, colons, a schema whose name holds a dot)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from hostile import SCHEMA, hostile
from sqlalchemy.engine import make_url
from test_rule_fixes_hostile_names import WITH_FIX

import alembic_safe
import alembic_safe.autogenerate.enums.ops
import alembic_safe.autogenerate.ops
from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext, TransactionControl
from alembic_safe.findings import Finding
from alembic_safe.fix import ops
from alembic_safe.fix.model import Fix
from alembic_safe.rules import find_rule
from alembic_safe.rules.examples import findings_of

SETUP = """
CREATE TYPE claim_status AS ENUM ('open', 'closed');
CREATE DOMAIN positive_amount AS numeric;
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE claims (id bigint PRIMARY KEY, user_id bigint, status text, amount integer,
                     net numeric, tax numeric, number text, due positive_amount);
INSERT INTO users VALUES (1, 'a'), (2, 'b');
INSERT INTO claims SELECT g, 1 + g % 2, 'open', g, g, 1, 'n' || g, g
  FROM generate_series(1, 50) AS g;
"""
#: what an example needs besides SETUP
EXTRA = {
    "AS102": "CREATE INDEX ix_claims_status ON claims (status);",
    "AS104": "CREATE INDEX ix_claims_status ON claims (status);",
    "AS206": "ALTER TABLE claims ADD COLUMN region text DEFAULT 'eu';",
    "AS407": "CREATE MATERIALIZED VIEW claim_totals AS SELECT status, sum(amount) AS amount "
             "FROM claims GROUP BY status; CREATE UNIQUE INDEX ON claim_totals (status);",
    "AS408": "CREATE TABLE events (id bigint, net int) PARTITION BY RANGE (id); "
             "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM (0) TO (100); "
             "INSERT INTO events VALUES (1, 1);",
    "AS602": "ALTER TABLE claims ADD COLUMN region text;",
}
#: what the application does between the fix and its later revision
BETWEEN = {"AS201": "UPDATE claims SET region = 'eu';"}
#: a query that is true once the example's intent is reached (catalog names as literals)
_ATTRIBUTE = ("SELECT {what} FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
              "WHERE c.relname = 'claims' AND a.attname = '{column}'")
_VALID_INDEX = ("SELECT count(*) = 1 AND bool_and(i.indisvalid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_claims_status'")
_VALIDATED = "SELECT convalidated FROM pg_constraint WHERE conname = '{name}'"
_ENUM_VALUE = "SELECT EXISTS (SELECT FROM pg_enum WHERE enumlabel = '{value}')"
REACHED = {
    "AS101": _VALID_INDEX,
    "AS102": "SELECT NOT EXISTS (SELECT FROM pg_class WHERE relname = 'ix_claims_status')",
    "AS103": _VALID_INDEX,
    "AS104": _VALID_INDEX,
    "AS201": _ATTRIBUTE.format(what="a.attnotnull", column="region"),
    "AS202": "SELECT count(token) = 50 AND count(DISTINCT token) = 50 FROM claims",
    "AS203": "SELECT bool_and(total = net + tax) AND count(total) = 50 FROM claims",
    "AS204": "SELECT count(DISTINCT seq) = 50 AND (" + _ATTRIBUTE.format(
        what="a.attnotnull", column="seq") + ") FROM claims",
    "AS205": _ATTRIBUTE.format(what="format_type(a.atttypid, a.atttypmod) = 'numeric(12,2)'",
                               column="amount"),
    "AS206": _ATTRIBUTE.format(what="a.attnotnull", column="region"),
    "AS206-virtual": "SELECT bool_and(total = net + tax) FROM claims WHERE (" + _ATTRIBUTE.format(
        what="a.attnotnull", column="total") + ")",
    "AS301": _VALIDATED.format(name="claims_user_fk"),
    "AS302": _VALIDATED.format(name="claims_amount_positive"),
    "AS303": _VALIDATED.format(name="claims_number_key"),
    "AS305": _VALIDATED.format(name="claims_user_fk"),
    "AS306": _VALIDATED.format(name="positive"),
    "AS401": "SELECT true",
    "AS407": "SELECT count(*) = 1 FROM claim_totals",
    "AS408": "SELECT NOT relispartition FROM pg_class WHERE relname = 'events_2020'",
    "AS505": "SELECT relkind = 'r' FROM pg_class WHERE relname = 'insurance_claims'",
    "AS507": _ENUM_VALUE.format(value="pending"),
    "AS601": "SELECT count(*) = 50 FROM claims WHERE region = 'eu'",
    "AS602": "SELECT count(*) = 50 FROM claims WHERE region = 'eu'",
    "AS701": _ENUM_VALUE.format(value="disputed"),
    "AS702": _ENUM_VALUE.format(value="disputed"),
    "AS801": _ATTRIBUTE.format(what="true", column="note"),
}
#: the backfill's key keeps its name (fixes batch by ``id``)
KEEP = frozenset({"id"})
SCHEMES = (None, "double-quote", "backslash-colon")


def _named(sql: str, scheme: str | None, *, qualify: bool = True) -> str:
    return sql if scheme is None else hostile(sql, scheme, qualify=qualify, keep=KEEP)


def _flagged(code: str, example: str) -> Finding:
    """The rule's finding with a fix on ``example``."""
    rule = find_rule(code)
    assert rule is not None
    (finding, *_) = [f for f in findings_of(rule, example) if f.fix is not None]
    return finding


def _migration(example: str, finding: Finding) -> str:
    """The example as an upgrade() body: the flagged statement replaced by the fix's op code,
    the other statements run as written (BEGIN / COMMIT are the migration's own)."""
    assert finding.fix is not None
    body = []
    for stmt in Analyzer(AnalysisContext()).feed(example):
        if any(isinstance(a, TransactionControl) for a in stmt.actions):
            continue
        body.append(ops.render_steps(finding.fix.steps) if stmt.position.line == finding.line
                    else ops.execute(stmt.sql))
    return "\n".join(body)


def _upgrade(url: str, code: str, search_path: str) -> None:
    """Run ``code`` as an online migration on ``url`` (one transaction; autocommit blocks
    commit around themselves)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SET search_path = {search_path}")
            conn.commit()
            context = MigrationContext.configure(conn, opts={"transactional_ddl": True})
            namespace: dict[str, Any] = {"op": Operations(context), "sa": sa,
                                         "alembic_safe": alembic_safe}
            with Operations.context(context), context.begin_transaction():
                exec(compile(code, "<fix>", "exec"), namespace)
            conn.commit()
    finally:
        engine.dispose()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _apply(url: str, code: str, example: str, scheme: str | None,
           pg_version: int | None = None) -> None:
    """Set up, run ``example`` with the finding's fix in place of the flagged statement, then
    the fix's later revision; assert the rule's intent is reached. ``code``: the rule's, or
    ``rule-case`` for a case with its own set-up and intent."""
    rule = find_rule(code.split("-")[0])
    assert rule is not None
    example = _named(example, scheme)
    (finding, *_) = [f for f in findings_of(rule, example, pg_version) if f.fix is not None]
    fix = finding.fix
    assert isinstance(fix, Fix)
    path = "public" if scheme is None else f'"{SCHEMA.replace(chr(34), chr(34) * 2)}", public'
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        if scheme is not None:
            conn.execute(f"CREATE SCHEMA {path.split(',')[0]}")
        conn.execute(f"SET search_path = {path}")
        conn.execute(_named(SETUP + EXTRA.get(code, ""), scheme))
    _upgrade(url, _migration(example, finding), path)
    if fix.later:
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            conn.execute(f"SET search_path = {path}")
            if code in BETWEEN:
                conn.execute(_named(BETWEEN[code], scheme))
        _upgrade(url, ops.render_steps(fix.later), path)
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute(f"SET search_path = {path}")
        row = conn.execute(_named(REACHED[code], scheme, qualify=False)).fetchone()
    assert row is not None and row[0] is True, (code, ops.render(fix))


CASES = [(code, scheme) for code in WITH_FIX for scheme in SCHEMES]


@pytest.mark.parametrize(("code", "scheme"), CASES,
                         ids=[f"{c}-{s or 'plain'}" for c, s in CASES])
def test_fix_of_the_flagged_example_reaches_its_intent(pg_url: str, code: str,
                                                      scheme: str | None) -> None:
    rule = find_rule(code)
    assert rule is not None
    _apply(pg_url, code, rule.sql_example[0], scheme)


#: the forms a fix takes for PostgreSQL 18 (NOT NULL constraints, virtual generated columns)
ON_18 = [
    ("AS201", "ALTER TABLE claims ADD COLUMN region text NOT NULL;"),
    ("AS203", "ALTER TABLE claims ADD COLUMN total numeric GENERATED ALWAYS AS (net + tax) "
              "STORED;"),
    ("AS206", "ALTER TABLE claims ALTER COLUMN region SET NOT NULL;"),
    ("AS206", "ALTER TABLE claims ADD CONSTRAINT region_nn NOT NULL region;"),
    ("AS206-virtual", "ALTER TABLE claims ADD COLUMN total numeric GENERATED ALWAYS AS "
                      "(net + tax) VIRTUAL NOT NULL;"),
]


@pytest.mark.parametrize(("code", "example"), ON_18, ids=[f"{c} {e}" for c, e in ON_18])
@pytest.mark.parametrize("scheme", [None, "double-quote"])
def test_pg18_forms_reach_their_intent(pg_url: str, code: str, example: str,
                                       scheme: str | None) -> None:
    with psycopg.connect(_dsn(pg_url)) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    major = int(row[0]) // 10000 if row is not None else 0
    if major < 18:
        pytest.skip(f"PostgreSQL 18 forms, the server is {major}")
    _apply(pg_url, code, example, scheme, pg_version=18)
