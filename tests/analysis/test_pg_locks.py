"""The analyzer's lock claims checked against pg_locks on a real PostgreSQL server.

Each statement runs inside a transaction that is rolled back. Both ways:

- the strongest lock the backend holds on each relation the analyzer names (identified by oid,
  so renames and drops count) must be exactly the analyzer's mode;
- every table, view or sequence that existed before the statement and that the backend holds
  in SHARE UPDATE EXCLUSIVE mode or stronger must be named by the analyzer (an index's lock
  comes with its table's and is not claimed).

The analyzer reads the set-up first, as the earlier statements of the same input, so it knows
the foreign keys, indexes and functions the set-up declared. CI runs this module on every
tested major (18 and 16).

Statements of a newer major (NEWER) are checked the same way on a server that has it; an older
server must reject them, as the analyzer's ``requires`` (rule AS004) says it does. Rewrite
claims are checked against the table's relfilenode.
"""

from __future__ import annotations

import pytest
from analysis_helpers import one
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import LockMode

SETUP = """
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE claims (id bigint PRIMARY KEY, user_id bigint, amount int, region text,
                     total int GENERATED ALWAYS AS (amount * 2) STORED);
CREATE TABLE other (id int, user_id bigint REFERENCES users (id));
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
CREATE SEQUENCE seq1;
CREATE RULE r1 AS ON INSERT TO users DO ALSO NOTIFY users;
CREATE POLICY p1 ON claims USING (true);
CREATE PUBLICATION pub0;
CREATE FUNCTION add_note() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE users ADD COLUMN note text;
END $$;
CREATE PROCEDURE index_users() LANGUAGE sql AS 'CREATE INDEX ix_users_email ON users (email)';
"""

CASES = [
    "CREATE INDEX ix_amount ON claims (amount)",
    "ALTER TABLE claims ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id)",
    "ALTER TABLE claims ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
    "ALTER TABLE claims VALIDATE CONSTRAINT ck_amount",
    "ALTER TABLE claims VALIDATE CONSTRAINT fk_user",
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
    # statements whose locks the analyzer once missed (issue 14)
    "CREATE RULE r2 AS ON UPDATE TO claims DO INSTEAD NOTHING",
    "CREATE OR REPLACE RULE r1 AS ON INSERT TO users DO ALSO NOTIFY users",
    "DROP RULE r1 ON users",
    "CREATE POLICY p2 ON claims USING (true)",
    "ALTER POLICY p1 ON claims USING (false)",
    "DROP POLICY p1 ON claims",
    "CREATE STATISTICS st2 ON amount, user_id FROM claims",
    "CREATE PUBLICATION pub FOR TABLE claims, users",
    "ALTER PUBLICATION pub0 ADD TABLE users",
    "ALTER SEQUENCE seq1 RESTART WITH 5",
    "ALTER SEQUENCE seq1 INCREMENT BY 2",
    "CREATE TABLE t3 (LIKE claims INCLUDING ALL)",
    "CREATE TABLE t4 () INHERITS (claims)",
    "CREATE VIEW v2 AS SELECT claims.id, email FROM claims JOIN users ON users.id = claims.user_id",
    "CREATE TABLE t5 AS SELECT * FROM claims",
    "SELECT * INTO t6 FROM claims",
    "CREATE MATERIALIZED VIEW mv2 AS SELECT * FROM claims",
    # the other table of a foreign key declared earlier
    "DROP TABLE other",
    "DROP TABLE users CASCADE",
    "ALTER TABLE other DROP COLUMN user_id",
    "ALTER TABLE claims DROP CONSTRAINT fk_user",
    "ALTER TABLE other ALTER COLUMN user_id TYPE int",
    "ALTER TABLE users ALTER COLUMN id TYPE int",
    "ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE",
    "DROP INDEX ix_claims_region",
    "REINDEX INDEX ix_claims_region",
    # code that runs SQL: a DO block, EXECUTE of a literal, functions created earlier
    "DO $$ BEGIN EXECUTE 'ALTER TABLE claims ADD COLUMN zz int'; END $$",
    "DO $$ BEGIN ALTER TABLE claims ADD COLUMN q int; UPDATE users SET email = 'x'; END $$",
    "SELECT add_note()",
    "CALL index_users()",
]

_NAMES = text("SELECT oid, relname, relkind FROM pg_class "
              "WHERE relnamespace = 'public'::regnamespace")
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


#: (the major that has it, setup of its own, statement)
NEWER = [
    (18, "", "ALTER TABLE claims ADD CONSTRAINT nn_region NOT NULL region NOT VALID"),
    (18, "", "ALTER TABLE claims ADD CONSTRAINT nn_region NOT NULL region"),
    (18, "ALTER TABLE claims ADD CONSTRAINT nn_region NOT NULL region NOT VALID",
     "ALTER TABLE claims VALIDATE CONSTRAINT nn_region"),
    (18, "", "ALTER TABLE claims ADD COLUMN doubled int GENERATED ALWAYS AS (amount * 2) VIRTUAL"),
    (18, "", "ALTER TABLE claims ADD COLUMN doubled int GENERATED ALWAYS AS (amount * 2)"),
    (18, "", "ALTER TABLE claims ADD COLUMN doubled int GENERATED ALWAYS AS (amount) NOT NULL"),
    (18, "", "ALTER TABLE claims ADD CONSTRAINT ck3 CHECK (amount > 1) NOT ENFORCED"),
    (18, "", "ALTER TABLE claims ADD CONSTRAINT fk3 FOREIGN KEY (user_id) REFERENCES users (id) "
             "NOT ENFORCED"),
    (17, "", "ALTER TABLE claims ALTER COLUMN total SET EXPRESSION AS (amount * 3)"),
]

#: statements whose rewrite claim (or its absence) is checked against the relfilenode
REWRITES = [
    "ALTER TABLE claims ADD COLUMN doubled int GENERATED ALWAYS AS (amount * 2) STORED",
    "ALTER TABLE claims ADD COLUMN note text DEFAULT 'x'",
    "ALTER TABLE claims ALTER COLUMN id TYPE integer",
    "ALTER TABLE claims ALTER COLUMN region SET NOT NULL",
]
NEWER_REWRITES = [
    (18, "ALTER TABLE claims ADD COLUMN doubled int GENERATED ALWAYS AS (amount * 2)"),
    (18, "ALTER TABLE claims ADD COLUMN doubled int GENERATED ALWAYS AS (amount * 2) VIRTUAL"),
    (17, "ALTER TABLE claims ALTER COLUMN total SET EXPRESSION AS (amount * 3)"),
]
_FILENODE = text("SELECT relfilenode FROM pg_class WHERE oid = 'claims'::regclass")


def _server_major(connection: Connection) -> int:
    return int(str(connection.exec_driver_sql("SHOW server_version_num").scalar())) // 10000


Held = tuple[dict[str, LockMode], dict[str, str]]


def _held_locks(connection: Connection, setup: str, sql: str) -> Held:
    """The strongest lock ``sql`` holds on each relation, by name, once SETUP (and ``setup``)
    are committed, and the kind (relkind) of each relation that existed before it; ``sql`` is
    rolled back."""
    connection.exec_driver_sql(SETUP + (f";\n{setup}" if setup else ""))
    connection.commit()
    names: dict[int, str] = {}
    kinds: dict[str, str] = {}
    for oid, name, kind in connection.execute(_NAMES):  # by oid: renames and drops count
        names[oid] = name
        kinds[name] = kind
    connection.exec_driver_sql(sql)
    held: dict[str, LockMode] = {}
    for oid, mode in connection.execute(_HELD):
        name = names.get(oid, f"oid {oid}")
        held[name] = max(held.get(name, LockMode.ACCESS_SHARE), _pg_mode(mode))
    connection.rollback()
    return held, kinds


def _claimed(setup: str, sql: str) -> dict[str, LockMode]:
    """The strongest lock the analyzer claims on each relation, over the statement and the
    statements of the code it runs, after reading the set-up."""
    analyzer = Analyzer()
    analyzer.feed(SETUP + (f";\n{setup}" if setup else ""))
    claimed: dict[str, LockMode] = {}
    for stmt in analyzer.feed(sql):
        for lock in stmt.locks:
            name = lock.relation.name
            claimed[name] = max(claimed.get(name, lock.mode), lock.mode)
    return claimed


def _assert_claims(setup: str, sql: str, found: Held) -> None:
    held, kinds = found
    claimed = _claimed(setup, sql)
    assert claimed, "the analyzer claims no lock"
    assert {name: held.get(name) for name in claimed} == claimed
    missed = {name: mode.label for name, mode in held.items()
              if name in kinds and kinds[name] != "i" and name not in claimed
              and mode >= LockMode.SHARE_UPDATE_EXCLUSIVE}
    assert not missed, f"locks PostgreSQL takes that the analyzer does not claim: {missed}"


@pytest.mark.parametrize("sql", CASES)
def test_lock_claims_match_pg_locks(pg_engine: Engine, sql: str) -> None:
    with pg_engine.connect() as connection:
        found = _held_locks(connection, "", sql)
    _assert_claims("", sql, found)


@pytest.mark.parametrize(("major", "setup", "sql"), NEWER, ids=[sql for _, _, sql in NEWER])
def test_newer_statements_lock_as_claimed_or_are_rejected(
    pg_engine: Engine, major: int, setup: str, sql: str,
) -> None:
    required = one(setup or sql).requires  # the setup is what needs the newer major
    assert required is not None and required.major == major
    with pg_engine.connect() as connection:
        if _server_major(connection) >= major:
            found = _held_locks(connection, setup, sql)
        else:
            connection.exec_driver_sql(SETUP)
            connection.commit()
            with pytest.raises(DBAPIError):
                connection.exec_driver_sql(setup or sql)
            return
    _assert_claims(setup, sql, found)


def _rewrite_checked(pg_engine: Engine, sql: str) -> None:
    with pg_engine.connect() as connection:
        connection.exec_driver_sql(SETUP)
        connection.exec_driver_sql("INSERT INTO claims (id, amount, region) VALUES (1, 5, 'eu')")
        connection.commit()
        before = connection.execute(_FILENODE).scalar()
        connection.exec_driver_sql(sql)
        rewritten = connection.execute(_FILENODE).scalar() != before
        connection.rollback()
    claimed = [relation.name for relation in one(sql).rewrites]
    assert claimed == (["claims"] if rewritten else [])


@pytest.mark.parametrize("sql", REWRITES)
def test_rewrite_claims_match_the_relfilenode(pg_engine: Engine, sql: str) -> None:
    _rewrite_checked(pg_engine, sql)


@pytest.mark.parametrize(("major", "sql"), NEWER_REWRITES, ids=[sql for _, sql in NEWER_REWRITES])
def test_newer_rewrite_claims_match_the_relfilenode(
    pg_engine: Engine, major: int, sql: str,
) -> None:
    with pg_engine.connect() as connection:
        if _server_major(connection) < major:
            pytest.skip(f"PostgreSQL {major} statement (its rejection: the test above)")
    _rewrite_checked(pg_engine, sql)
