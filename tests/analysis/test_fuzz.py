"""Property: analyze() never raises, whatever the input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext

VALID = [
    "CREATE TABLE t (id bigserial PRIMARY KEY, a text DEFAULT now(), b int REFERENCES u (id));",
    "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid(), ALTER COLUMN a SET NOT NULL;",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON s.t USING btree (a, lower(b)) WHERE c;",
    "BEGIN; SET LOCAL lock_timeout = '3s'; ALTER TABLE t VALIDATE CONSTRAINT c; COMMIT;",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE t; $$; -- note",
    "/* c */ UPDATE t SET a = 'x;y' WHERE id IN (SELECT id FROM t LIMIT 10);",
    "ALTER TYPE e ADD VALUE 'x' BEFORE 'y'; DROP TYPE e CASCADE; TRUNCATE a, b;",
    'ALTER TABLE "Q"."T" RENAME COLUMN "A" TO b; REINDEX (CONCURRENTLY) INDEX ix;',
]

_PIECES = [*"abcdeST ();,'\"$-/*\n\\:[]{}0123456789éE", "SELECT", "CREATE", "INDEX", "ALTER",
           "TABLE", "$$", "--", "/*", "*/", "BEGIN", "COMMIT", "ADD COLUMN", "DEFAULT"]
#: short SQL-ish text built from tokens that stress the scanner and the parser
_SQLISH = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)
_SNIPPET = st.lists(st.sampled_from(_PIECES), max_size=3).map("".join)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID)) + draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        text = text[:i] + draw(_SNIPPET) + text[j:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), _SQLISH, mutated()),
       st.booleans())
def test_analyze_never_raises(sql: str, in_transaction: bool) -> None:
    facts = analyze(sql, AnalysisContext(in_transaction=in_transaction))
    assert [f.index for f in facts] == list(range(len(facts)))
    for stmt in facts:
        assert (stmt.kind == "PARSE ERROR") == (stmt.parse_error is not None)
        assert stmt.position.line >= 1 and stmt.position.column >= 1
