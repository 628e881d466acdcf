"""The analyzer's lock claims checked against pg_locks on a real PostgreSQL server.

Each statement runs inside a transaction that is rolled back; the strongest lock the backend
holds on each relation the analyzer names (identified by oid, so renames and drops count) must
be exactly the analyzer's mode.
"""

from __future__ import annotations

import pytest
from analysis_helpers import one
from sqlalchemy import Engine, text

from alembic_safe.analysis.facts import LockMode

SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE claims (id bigint PRIMARY KEY, user_id bigint, amount int, region text);
CREATE INDEX ix_claims_region ON claims (region);
ALTER TABLE claims ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE claims ADD CONSTRAINT ck_amount CHECK (amount > 0) NOT VALID;
CREATE TABLE events (id int, kind int) PARTITION BY LIST (kind);
CREATE TABLE events_1 (id int, kind int);
CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2);
CREATE MATERIALIZED VIEW totals AS SELECT 1 AS one;
CREATE UNIQUE INDEX ix_totals ON totals (one);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER tr_claims BEFORE INSERT ON claims FOR EACH ROW EXECUTE FUNCTION noop();
"""

CASES = [
    "CREATE INDEX ix_amount ON claims (amount)",
    "ALTER TABLE claims ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id)",
    "ALTER TABLE claims ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
    "ALTER TABLE claims VALIDATE CONSTRAINT ck_amount",
    "ALTER TABLE claims ADD CONSTRAINT ck2 CHECK (amount < 10) NOT VALID",
    "ALTER TABLE claims ALTER COLUMN amount SET STATISTICS 500",
    "ALTER TABLE claims ALTER COLUMN amount SET (n_distinct = 10)",
    "ALTER TABLE claims SET (fillfactor = 70)",
    "ALTER TABLE claims CLUSTER ON ix_claims_region",
    "ALTER TABLE claims DISABLE TRIGGER tr_claims",
    "ALTER TABLE claims ALTER COLUMN amount SET STATISTICS 500, DISABLE TRIGGER tr_claims",
    "ALTER TABLE claims ADD COLUMN note text DEFAULT 'x'",
    "ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES IN (1)",
    "ALTER TABLE events DETACH PARTITION events_2",
    "ALTER INDEX ix_claims_region RENAME TO ix_region",
    "ALTER TABLE claims RENAME COLUMN region TO area",
    "CREATE TRIGGER tr2 AFTER UPDATE ON claims FOR EACH ROW EXECUTE FUNCTION noop()",
    "CREATE TABLE refs (id int, user_id bigint REFERENCES users (id))",
    "CREATE TABLE events_3 PARTITION OF events FOR VALUES IN (3)",
    "COMMENT ON TABLE claims IS 'claims'",
    "REFRESH MATERIALIZED VIEW totals",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY totals",
    "LOCK TABLE claims IN SHARE ROW EXCLUSIVE MODE",
    "SELECT * FROM claims FOR UPDATE",
    "SELECT * FROM claims JOIN users ON users.id = claims.user_id",
    "UPDATE claims SET amount = 1 WHERE id = 1",
    "TRUNCATE claims, users CASCADE",
    "REINDEX TABLE claims",
    "DROP TABLE claims",
]

_NAMES = text("SELECT oid, relname FROM pg_class WHERE relnamespace = 'public'::regnamespace")
_HELD = text("""
SELECT relation, mode FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted
""")


def _pg_mode(name: str) -> LockMode:
    """``ShareRowExclusiveLock`` -> LockMode.SHARE_ROW_EXCLUSIVE."""
    words = []
    for ch in name.removesuffix("Lock"):
        if ch.isupper() and words:
            words.append("_")
        words.append(ch.upper())
    return LockMode["".join(words)]


@pytest.mark.parametrize("sql", CASES)
def test_lock_claims_match_pg_locks(pg_engine: Engine, sql: str) -> None:
    with pg_engine.connect() as connection:
        connection.exec_driver_sql(SETUP)
        connection.commit()
        names = {oid: name for oid, name in connection.execute(_NAMES)}  # by oid: renames and drops
        connection.exec_driver_sql(sql)
        held: dict[str, LockMode] = {}
        for oid, mode in connection.execute(_HELD):
            name = names.get(oid, f"oid {oid}")
            held[name] = max(held.get(name, LockMode.ACCESS_SHARE), _pg_mode(mode))
        connection.rollback()
    claimed = {lock.relation.name: lock.mode for lock in one(sql).locks}
    assert claimed, "the analyzer claims no lock"
    assert {name: held.get(name) for name in claimed} == claimed
