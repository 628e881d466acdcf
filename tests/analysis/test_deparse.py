"""The JSON parse tree printed back as SQL is what pglast prints for its own parse tree."""

from __future__ import annotations

import sys
from pathlib import Path

import pglast
import pytest
from pglast.stream import RawStream

from alembic_safe.analysis import deparse, tree
from alembic_safe.rules import all_rules

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))

HARD = [
    'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Ix ""q""" ON ONLY "S"."T" USING gin '
    "((lower(a)) gin_trgm_ops, b DESC NULLS LAST) INCLUDE (c, \"D\") WITH (fillfactor = 70, "
    "deduplicate_items = off) TABLESPACE fast WHERE a > 1 AND b IS NOT NULL",
    "CREATE UNIQUE INDEX u ON t (a, b) NULLS NOT DISTINCT",
    "CREATE INDEX i ON t (a COLLATE \"C\" text_pattern_ops, (a || 'x'), ((b)::int))",
    "ALTER TABLE s.t ADD CONSTRAINT c CHECK (a > 0 AND b IN (1, 2, 3) OR c ~~ 'x%') NOT VALID",
    "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a, b) REFERENCES s.u (x, y) MATCH FULL "
    "ON DELETE SET NULL (a) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID",
    "ALTER TABLE t ADD COLUMN a numeric(12, 2)[] NOT NULL DEFAULT '{}'::numeric[]",
    "ALTER TABLE t ADD COLUMN b timestamp(3) with time zone DEFAULT now() - interval '1 day'",
    "ALTER TABLE t ADD COLUMN c \"My Schema\".\"Mood\" DEFAULT 'ok'::\"My Schema\".\"Mood\"",
    "ALTER TABLE t ADD COLUMN d bit varying(8) DEFAULT B'101', ADD COLUMN e boolean DEFAULT false",
    "ALTER TABLE t ADD COLUMN f double precision DEFAULT -1.5e10, ADD COLUMN g int DEFAULT NULL",
    "ALTER TABLE t ADD CONSTRAINT n NOT NULL col NOT VALID",
    "ALTER TABLE t ALTER COLUMN a TYPE varchar(20) COLLATE \"C\" USING a::varchar(20)",
    "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 10) PRIMARY KEY, "
    "x text CHECK (x <> '') DEFAULT 'a''b\\c', y int GENERATED ALWAYS AS (id * 2) STORED)",
    "UPDATE t SET a = CASE WHEN b THEN 1 ELSE 2 END, c = DEFAULT WHERE d IS DISTINCT FROM e",
    "SELECT $$x$$, E'\\n', U&'\\0041', x'1F', 1::bit(3), ARRAY[1, 2][1], (row(1, 2)).f1",
]


def _corpus() -> list[str]:
    from sql_corpus import generate  # bench/sql_corpus.py
    from test_rules_sql import TRAPS

    sql = [s for r in all_rules() for s in r.sql_example if s]
    sql += [trap[1] for trap in TRAPS]
    sql += [f.text for f in generate(statements=600, per_file=40, seed=3)]
    return sql + HARD


@pytest.mark.parametrize("sql", _corpus())
def test_json_tree_prints_as_pglast_prints(sql: str) -> None:
    try:
        expected = [str(RawStream()(raw.stmt)) for raw in pglast.parse_sql(sql)]
    except pglast.parser.ParseError:
        pytest.skip("not valid SQL (a parse-error example)")
    got = [deparse.sql(tag, fields) for tag, fields, _, _ in tree.parse(sql)]
    assert got == expected


def test_fragments_print_alone() -> None:
    ((_, fields, _, _),) = tree.parse(HARD[0])
    params = deparse.items_sql(fields["indexParams"])
    assert params == '(lower(a)) gin_trgm_ops, b DESC NULLS LAST'
    assert deparse.wrapped_sql(fields["whereClause"]) == "a > 1 AND b IS NOT NULL"
