"""Lock levels per statement, as the PostgreSQL docs state them."""

from __future__ import annotations

import pytest
from analysis_helpers import locks, one

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import LockMode

AS = LockMode.ACCESS_SHARE
RS = LockMode.ROW_SHARE
RE = LockMode.ROW_EXCLUSIVE
SUE = LockMode.SHARE_UPDATE_EXCLUSIVE
S = LockMode.SHARE
SRE = LockMode.SHARE_ROW_EXCLUSIVE
E = LockMode.EXCLUSIVE
AE = LockMode.ACCESS_EXCLUSIVE

CASES: list[tuple[str, dict[str, LockMode]]] = [
    ("SELECT * FROM a JOIN b.c ON true", {"a": AS, "b.c": AS}),
    ("SELECT * FROM a FOR UPDATE", {"a": RS}),
    ("WITH w AS (SELECT 1) SELECT * FROM w, t", {"t": AS}),
    ("INSERT INTO t (a) VALUES (1)", {"t": RE}),
    ("INSERT INTO t (a) SELECT a FROM s", {"t": RE, "s": AS}),
    ("UPDATE t SET a = 1 WHERE id = 2", {"t": RE}),
    ("DELETE FROM t WHERE id = 2", {"t": RE}),
    ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE", {"t": RE, "s": AS}),
    ("COPY t FROM STDIN", {"t": RE}),
    ("COPY t TO STDOUT", {"t": AS}),
    ("CREATE INDEX ix ON t (a)", {"t": S}),
    ("CREATE UNIQUE INDEX CONCURRENTLY ix ON s.t (a)", {"s.t": SUE}),
    ("DROP INDEX ix", {"ix": AE}),
    ("DROP INDEX CONCURRENTLY ix", {"ix": SUE}),
    ("REINDEX INDEX ix", {"ix": AE}),
    ("REINDEX TABLE t", {"t": S}),
    ("REINDEX TABLE CONCURRENTLY t", {"t": SUE}),
    ("REINDEX (CONCURRENTLY) INDEX ix", {"ix": SUE}),
    ("ALTER TABLE t ADD COLUMN a text", {"t": AE}),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id)",
     {"t": SRE, "users": SRE}),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID",
     {"t": SRE, "users": SRE}),
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID", {"t": AE}),
    ("ALTER TABLE t VALIDATE CONSTRAINT c", {"t": SUE}),
    ("ALTER TABLE t ALTER COLUMN a SET STATISTICS 500", {"t": SUE}),
    ("ALTER TABLE t ALTER COLUMN a SET (n_distinct = 100)", {"t": SUE}),
    ("ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = false)", {"t": SUE}),
    ("ALTER TABLE t SET (toast.autovacuum_enabled = false)", {"t": SUE}),
    ("ALTER TABLE t SET (user_catalog_table = true)", {"t": AE}),
    ("ALTER TABLE t CLUSTER ON ix", {"t": SUE}),
    ("ALTER TABLE t SET WITHOUT CLUSTER", {"t": SUE}),
    ("ALTER TABLE t DISABLE TRIGGER tr", {"t": SRE}),
    ("ALTER TABLE t ATTACH PARTITION p FOR VALUES IN (1)", {"t": SUE, "p": AE}),
    ("ALTER TABLE t DETACH PARTITION p", {"t": AE, "p": AE}),
    ("ALTER TABLE t DETACH PARTITION p CONCURRENTLY", {"t": SUE, "p": SUE}),
    ("ALTER TABLE t DETACH PARTITION p FINALIZE", {"t": SUE}),
    # the strongest subcommand wins
    ("ALTER TABLE t ALTER COLUMN a SET STATISTICS 500, ADD COLUMN b text", {"t": AE}),
    ("ALTER TABLE t VALIDATE CONSTRAINT c, DISABLE TRIGGER tr", {"t": SRE}),
    ("ALTER TABLE t RENAME TO u", {"t": AE}),
    ("ALTER TABLE t RENAME COLUMN a TO b", {"t": AE}),
    ("ALTER INDEX ix RENAME TO iy", {"ix": SUE}),
    ("ALTER TABLE t SET SCHEMA s", {"t": AE}),
    ("DROP TABLE a, s.b", {"a": AE, "s.b": AE}),
    ("DROP VIEW v", {"v": AE}),
    ("DROP TRIGGER tr ON t", {"t": AE}),
    ("TRUNCATE a, b", {"a": AE, "b": AE}),
    ("LOCK TABLE t", {"t": AE}),
    ("LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE", {"t": SRE}),
    ("LOCK TABLE t IN ACCESS SHARE MODE", {"t": AS}),
    ("VACUUM t", {"t": SUE}),
    ("VACUUM FULL t", {"t": AE}),
    ("ANALYZE t", {"t": SUE}),
    ("CLUSTER t USING ix", {"t": AE}),
    ("REFRESH MATERIALIZED VIEW mv", {"mv": AE}),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", {"mv": E}),
    ("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", {"t": SRE}),
    ("CREATE TABLE c (id int, u int REFERENCES users (id))", {"users": SRE}),
    ("CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)", {"p": AE}),
    ("CREATE OR REPLACE VIEW v AS SELECT 1", {"v": AE}),
    ("COMMENT ON TABLE t IS 'x'", {"t": SUE}),
    ("COMMENT ON COLUMN s.t.c IS 'x'", {"s.t": SUE}),
    ("CREATE TABLE t (id int)", {}),
    ("CREATE VIEW v AS SELECT 1", {}),
    ("GRANT SELECT ON t TO r", {}),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", {}),
    ("SET lock_timeout = '2s'", {}),
]


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_lock_levels(sql: str, expected: dict[str, LockMode]) -> None:
    assert locks(one(sql)) == expected


def test_every_lock_mode_is_produced() -> None:
    produced = {mode for sql, _ in CASES for mode in locks(one(sql)).values()}
    assert produced == set(LockMode)


def test_validate_of_foreign_key_added_earlier_locks_referenced_table_row_share() -> None:
    facts = analyze(
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT fk;"
    )
    assert locks(facts[1]) == {"t": SUE, "users": RS}


def test_drop_and_reindex_of_index_created_earlier_lock_its_table() -> None:
    facts = analyze("CREATE INDEX ix ON t (a);\nREINDEX INDEX ix;\nDROP INDEX ix;")
    assert locks(facts[1]) == {"ix": AE, "t": S}
    assert locks(facts[2]) == {"ix": AE, "t": AE}


def test_table_is_listed_first_in_alter_table_locks() -> None:
    stmt = one("ALTER TABLE t ADD FOREIGN KEY (u) REFERENCES users (id)")
    assert [lock.relation.name for lock in stmt.locks] == ["t", "users"]
