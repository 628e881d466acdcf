"""Rules on real SQL, through the analyzer: every rule's documented examples, and parser traps."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alembic_safe.analysis as analysis
from alembic_safe.analysis.facts import AnalysisContext, CatalogFacts, ColumnInfo
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding
from alembic_safe.rules import all_rules

analyze = getattr(analysis, "analyze", None)
pytestmark = pytest.mark.skipif(analyze is None, reason="alembic_safe.analysis.analyze not built")

#: the PostgreSQL version each rule's examples are written for (default 15)
EXAMPLE_PG = {"AS701": 11, "AS408": 14}


def lint(sql: str, **context: Any) -> list[Finding]:
    assert analyze is not None
    ctx = AnalysisContext(**context)
    return Checker(Settings(select=("ALL",)), ctx, path="t.sql").check_all(analyze(sql, ctx))


def failing(findings: list[Finding]) -> set[str]:
    """Codes of findings no opt-out allowed."""
    return {f.rule for f in findings if f.allowed_by is None}


RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_documented_unsafe_sql_fires(rule: Any) -> None:
    assert rule.code in failing(lint(rule.sql_example[0], pg_version=EXAMPLE_PG.get(rule.code, 15)))


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_documented_safe_sql_does_not_fire(rule: Any) -> None:
    findings = lint(rule.sql_example[1], pg_version=EXAMPLE_PG.get(rule.code, 15))
    assert rule.code not in failing(findings)


TRAPS: list[tuple[str, str, dict[str, Any], set[str], set[str]]] = [
    # (id, sql, context, must fire, must not fire)
    ("comment mentioning an index", "-- CREATE INDEX ix ON claims (a);\nSELECT 1;", {}, set(),
     {"AS101"}),
    ("block comment", "/* ALTER TABLE claims DROP COLUMN a; */ SELECT 1;", {}, set(), {"AS502"}),
    ("string literal", "INSERT INTO log (msg) VALUES ('DROP TABLE claims; TRUNCATE claims');",
     {}, set(), {"AS501", "AS406"}),
    ("dollar-quoted body",
     "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ CREATE INDEX ix ON claims (a) $$;",
     {}, set(), {"AS101"}),
    ("add without column", "ALTER TABLE claims ADD region text NOT NULL;", {}, {"AS201"}, set()),
    ("alter without column", "ALTER TABLE claims ALTER amount TYPE bigint;", {}, {"AS205"},
     set()),
    ("quoted and qualified", 'CREATE INDEX "Ix" ON billing."Claims" ("Status");', {},
     {"AS101"}, set()),
    ("several actions in one ALTER TABLE",
     "ALTER TABLE claims ADD COLUMN token uuid DEFAULT gen_random_uuid(), "
     "ALTER COLUMN region SET NOT NULL, DROP COLUMN legacy;",
     {}, {"AS202", "AS206", "AS502"}, set()),
    ("constant and stable defaults",
     "ALTER TABLE claims ADD COLUMN a boolean DEFAULT true, ADD COLUMN b timestamptz DEFAULT now(),"
     " ADD COLUMN c int[] DEFAULT ARRAY[]::int[], ADD COLUMN d jsonb DEFAULT '{}'::jsonb;",
     {}, set(), {"AS202"}),
    ("table created earlier in the same input",
     "CREATE TABLE fresh (id bigint PRIMARY KEY, status text);\n"
     "CREATE INDEX ix_fresh_status ON fresh (status);\n"
     "ALTER TABLE fresh ADD CONSTRAINT fresh_status_check CHECK (status <> '');\n"
     "ALTER TABLE fresh ALTER COLUMN status SET NOT NULL;",
     {}, set(), {"AS101", "AS302", "AS206", "AS801"}),
    ("begin/commit in a file: CIC inside",
     "BEGIN;\nCREATE INDEX CONCURRENTLY ix ON claims (a);\nCOMMIT;", {}, {"AS103"}, set()),
    ("begin/commit in a file: CIC after commit",
     "BEGIN;\nALTER TABLE claims ADD COLUMN a text;\nCOMMIT;\n"
     "CREATE INDEX CONCURRENTLY ix ON claims (a);", {}, set(), {"AS103"}),
    ("assume in transaction", "CREATE INDEX CONCURRENTLY ix ON claims (a);",
     {"in_transaction": True}, {"AS103"}, set()),
    ("set local does not survive commit",
     "BEGIN;\nSET LOCAL lock_timeout = '3s';\nCOMMIT;\nALTER TABLE claims ADD COLUMN a text;",
     {}, {"AS801"}, set()),
    ("session set covers later statements",
     "SET lock_timeout = '3s';\nALTER TABLE claims ADD COLUMN a text;", {}, set(), {"AS801"}),
    ("opt-out comment", "-- alembic-safe: allow AS101 because tiny table\n"
     "CREATE INDEX ix ON claims (a);", {}, set(), {"AS101"}),
    ("opt-out comment without reason", "-- alembic-safe: allow AS101\n"
     "CREATE INDEX ix ON claims (a);", {}, {"AS101", "AS002"}, set()),
    ("parse error then valid statement", "ALTER TABLE claims ADD COLUMN;\n"
     "CREATE INDEX ix ON claims (a);", {}, {"AS001", "AS101"}, set()),
    ("inline references", "ALTER TABLE claims ADD COLUMN user_id bigint REFERENCES users (id);",
     {}, {"AS301"}, set()),
    ("alembic migration: enum value added in its transaction",
     "ALTER TYPE claim_status ADD VALUE 'disputed';", {"in_transaction": True}, {"AS702"}, set()),
    ("enum created in the same transaction",
     "CREATE TYPE claim_status AS ENUM ('open');\nALTER TYPE claim_status ADD VALUE 'closed';",
     {"in_transaction": True}, set(), {"AS702"}),
    ("enum value on PostgreSQL 11 inside the migration",
     "ALTER TYPE claim_status ADD VALUE 'disputed';", {"in_transaction": True, "pg_version": 11},
     {"AS701"}, {"AS103"}),
    ("alembic migration: validate in the same migration",
     "ALTER TABLE claims ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\n"
     "ALTER TABLE claims VALIDATE CONSTRAINT c;", {"in_transaction": True}, {"AS305"}, {"AS302"}),
    ("lock_timeout managed by the guard", "ALTER TABLE claims ADD COLUMN a text;",
     {"lock_timeout_managed": True}, set(), {"AS801"}),
    ("hygiene on a new table",
     "CREATE TABLE t (id serial PRIMARY KEY, name varchar(20), created timestamp, payload json, "
     "code char(2));", {}, {"AS802", "AS803", "AS804", "AS805", "AS806"}, {"AS101", "AS801"}),
    ("catalog says the type change is binary coercible",
     "ALTER TABLE claims ALTER COLUMN name TYPE varchar(50);",
     {"catalog": CatalogFacts(columns={("public.claims", "name"):
                                       ColumnInfo("character varying(20)")})},
     set(), {"AS205"}),
    ("type change without catalog facts", "ALTER TABLE claims ALTER COLUMN name TYPE varchar(50);",
     {}, {"AS205"}, set()),
    ("fk not valid then validate after commit",
     "BEGIN;\nALTER TABLE claims ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)"
     " NOT VALID;\nCOMMIT;\nALTER TABLE claims VALIDATE CONSTRAINT fk;",
     {}, set(), {"AS301", "AS305"}),
]


@pytest.mark.parametrize(("sql", "context", "fires", "quiet"), [t[1:] for t in TRAPS],
                         ids=[t[0] for t in TRAPS])
def test_trap(sql: str, context: dict[str, Any], fires: set[str], quiet: set[str]) -> None:
    codes = failing(lint(sql, **context))
    assert fires <= codes
    assert not quiet & codes


SNIPPETS = [r.sql_example[0] for r in RULES] + [t[1] for t in TRAPS]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), max_size=4), st.text(max_size=40),
       st.booleans(), st.sampled_from([12, 14, 17]))
def test_checker_never_raises(parts: list[str], noise: str, in_transaction: bool,
                              pg_version: int) -> None:
    sql = "\n".join(parts) + "\n-- alembic-safe: " + noise + "\n" + noise
    findings = lint(sql, in_transaction=in_transaction, pg_version=pg_version)
    assert all(f.message and f.advice and f.line >= 1 for f in findings)
