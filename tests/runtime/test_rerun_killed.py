"""A deploy killed part-way through a migration with autocommit blocks, then a plain re-run.

The migration builds two indexes concurrently, then adds a foreign key NOT VALID and a
unique constraint USING INDEX in a transaction, then validates the foreign key in another
autocommit block. Sessions holding table locks make it wait at a known step; there the
``alembic upgrade`` process gets SIGKILL and its backend is terminated (what a CI runner
does to a cancelled deploy job). The re-run must finish, and the schema must be exactly what
an uninterrupted run gives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_project import Project, make_project

from alembic_safe.testing.databases import fresh_database
from alembic_safe.testing.server import PostgresServer

ROWS = 30_000
TABLES = f"""
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL);
INSERT INTO customers SELECT g, 'user' || g || '@example.com' FROM generate_series(1, {ROWS}) g;
INSERT INTO orders SELECT g, 1 + mod(g, {ROWS}) FROM generate_series(1, {ROWS}) g;
ANALYZE customers; ANALYZE orders
"""
MIGRATION = """
with op.get_context().autocommit_block():
    op.create_index("ix_customers_email", "customers", ["email"], unique=True,
                    postgresql_concurrently=True)
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"],
                    postgresql_concurrently=True)
op.create_foreign_key("fk_orders_customer", "orders", "customers", ["customer_id"], ["id"],
                      postgresql_not_valid=True)
op.execute("ALTER TABLE customers ADD CONSTRAINT uq_customers_email "
           "UNIQUE USING INDEX ix_customers_email")
with op.get_context().autocommit_block():
    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_customer")
"""
# the schema as the catalog describes it: relations, indexes, constraints, the version
SCHEMA = """
SELECT 'relation', c.relname::text, c.relkind::text
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'index', c.relname::text, pg_get_indexdef(c.oid) || ' valid=' || i.indisvalid
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'constraint', k.conname::text, k.conrelid::regclass::text || ' '
       || pg_get_constraintdef(k.oid) || ' validated=' || k.convalidated
FROM pg_constraint k WHERE k.connamespace = 'public'::regnamespace
UNION ALL
SELECT 'version', version_num::text, '' FROM alembic_version
ORDER BY 1, 2, 3
"""


def schema_of(url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(SCHEMA)]  # type: ignore[misc]
    finally:
        engine.dispose()


def killed_project(root: Path, url: str) -> Project:
    project = make_project(root, url)
    project.settings(lock_timeout='"60s"')  # the test decides when a wait ends
    project.execute(TABLES)
    project.migration("a0", "pass")
    project.migration("b1", MIGRATION, down="a0")
    assert project.alembic("upgrade", "a0").returncode == 0
    return project


@pytest.fixture(scope="module")
def clean_schema(pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[list[tuple[str, str, str]]]:
    """The schema an uninterrupted run of the migration gives."""
    with fresh_database(pg_server) as url:
        project = killed_project(tmp_path_factory.mktemp("clean"), url)
        result = project.alembic("upgrade", "head")
        assert result.returncode == 0, result.stderr
        yield schema_of(url)


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Project:
    return killed_project(tmp_path, pg_url)


class Database:
    """Sessions of the test: lock holders, and an observer that waits and kills."""

    def __init__(self, url: str, stack: ExitStack) -> None:
        self._engine = sa.create_engine(url)
        stack.callback(self._engine.dispose)
        self._stack = stack
        self._admin = stack.enter_context(
            self._engine.execution_options(isolation_level="AUTOCOMMIT").connect())

    def hold(self, lock: str) -> sa.Connection:
        """A session that took ``LOCK TABLE <lock>`` and keeps it until released (no
        snapshot: a concurrent build does not wait for it unless it locks that table)."""
        conn = self._stack.enter_context(self._engine.connect())
        conn.exec_driver_sql(f"LOCK TABLE {lock}")
        return conn

    @contextmanager
    def queue(self, lock: str) -> Iterator[None]:
        """A session whose ``LOCK TABLE <lock>`` waits in the lock queue until granted; the
        lock is kept to the end of the block."""
        with self._engine.connect() as conn:
            thread = threading.Thread(target=conn.exec_driver_sql, args=(f"LOCK TABLE {lock}",))
            thread.start()
            try:
                self.wait_for(f"SELECT pid FROM pg_stat_activity WHERE query = 'LOCK TABLE "
                              f"{lock}' AND wait_event_type = 'Lock'")
                yield
            finally:
                thread.join(timeout=60)

    def wait_for(self, query: str) -> int:
        """Poll ``query`` until it returns a backend pid (a session is at a known point)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pid = self._admin.exec_driver_sql(query).scalar()
            if pid is not None:
                return int(pid)
            time.sleep(0.02)
        raise AssertionError(f"nothing matched within 60 s: {query}")

    def waiting(self, statement: str, event: str) -> int:
        """The backend of the migration statement starting with ``statement``, once it waits
        for a lock (``event``: pg_stat_activity.wait_event)."""
        return self.wait_for(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            f"AND wait_event = '{event}' AND starts_with(query, '{statement}')")

    def terminate(self, pid: int) -> None:
        self._admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        self.wait_for(f"SELECT 1 WHERE NOT EXISTS (SELECT FROM pg_stat_activity "
                      f"WHERE pid = {pid})")

    def scalar(self, query: str) -> object:
        return self._admin.exec_driver_sql(query).scalar()


def start_upgrade(project: Project) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": project.url}
    return subprocess.Popen([sys.executable, "-m", "alembic", "upgrade", "head"],
                            cwd=project.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def kill(upgrade: subprocess.Popen[str], db: Database, backend: int) -> None:
    """SIGKILL the alembic process, then end its session (the server would otherwise run
    the statement on until it next talks to the dead client)."""
    upgrade.send_signal(signal.SIGKILL)
    upgrade.communicate(timeout=60)
    db.terminate(backend)


def in_first_build(db: Database, upgrade: Callable[[], subprocess.Popen[str]]) -> None:
    """Killed while building ix_customers_email: it is left INVALID."""
    with db.hold("customers IN ROW EXCLUSIVE MODE"):  # the build waits for this writer
        process = upgrade()
        backend = db.waiting("CREATE UNIQUE INDEX CONCURRENTLY ix_customers_email",
                             "virtualxid")
        kill(process, db, backend)
    assert db.scalar("SELECT NOT indisvalid FROM pg_index "
                     "WHERE indexrelid = 'ix_customers_email'::regclass") is True


def in_second_build(db: Database, upgrade: Callable[[], subprocess.Popen[str]]) -> None:
    """Killed while building ix_orders_customer_id, after ix_customers_email was built: the
    issue's case (the first index valid, the second INVALID)."""
    with db.hold("orders IN ROW EXCLUSIVE MODE"):
        process = upgrade()
        backend = db.waiting("CREATE INDEX CONCURRENTLY ix_orders_customer_id", "virtualxid")
        kill(process, db, backend)
    assert db.scalar("SELECT indisvalid FROM pg_index "
                     "WHERE indexrelid = 'ix_customers_email'::regclass") is True
    assert db.scalar("SELECT NOT indisvalid FROM pg_index "
                     "WHERE indexrelid = 'ix_orders_customer_id'::regclass") is True


def in_constraints_transaction(db: Database,
                               upgrade: Callable[[], subprocess.Popen[str]]) -> None:
    """Killed in the transaction that adds the constraints: it rolls back."""
    with db.hold("customers IN ACCESS SHARE MODE"):  # USING INDEX waits for ACCESS EXCLUSIVE
        process = upgrade()
        backend = db.waiting("ALTER TABLE customers ADD CONSTRAINT uq_customers_email",
                             "relation")
        kill(process, db, backend)
    assert db.scalar("SELECT count(*) FROM pg_constraint WHERE conname IN "
                     "('fk_orders_customer', 'uq_customers_email')") == 0


def in_validation(db: Database, upgrade: Callable[[], subprocess.Popen[str]]) -> None:
    """Killed while validating the foreign key: the constraints are committed, the unique
    index is renamed to uq_customers_email, the foreign key is NOT VALID."""
    with db.hold("customers IN ACCESS SHARE MODE") as gate:
        process = upgrade()
        db.waiting("ALTER TABLE customers ADD CONSTRAINT uq_customers_email", "relation")
        # the transaction holds SHARE ROW EXCLUSIVE on orders (the foreign key): this lock
        # request queues behind it, is granted at its COMMIT, and VALIDATE waits for it
        with db.queue("orders IN SHARE UPDATE EXCLUSIVE MODE"):
            gate.rollback()
            backend = db.waiting("ALTER TABLE orders VALIDATE CONSTRAINT", "relation")
            kill(process, db, backend)
    assert db.scalar("SELECT to_regclass('ix_customers_email')") is None
    assert db.scalar("SELECT NOT convalidated FROM pg_constraint "
                     "WHERE conname = 'fk_orders_customer'") is True


def at_version_stamp(db: Database, upgrade: Callable[[], subprocess.Popen[str]]) -> None:
    """Killed after the last step, while Alembic records the revision."""
    with db.hold("alembic_version IN SHARE MODE"):
        process = upgrade()
        backend = db.waiting("UPDATE alembic_version", "relation")
        kill(process, db, backend)
    assert db.scalar("SELECT convalidated FROM pg_constraint "
                     "WHERE conname = 'fk_orders_customer'") is True
    assert db.scalar("SELECT version_num FROM alembic_version") == "a0"


KILL_POINTS = [in_first_build, in_second_build, in_constraints_transaction, in_validation,
               at_version_stamp]


@contextmanager
def database(project: Project) -> Iterator[Database]:
    with ExitStack() as stack:
        yield Database(project.url, stack)


@pytest.mark.parametrize("killed", KILL_POINTS, ids=lambda f: f.__name__)
def test_killed_migration_reruns_to_the_end(
        project: Project, clean_schema: list[tuple[str, str, str]],
        killed: Callable[[Database, Callable[[], subprocess.Popen[str]]], None]) -> None:
    with database(project) as db:
        killed(db, lambda: start_upgrade(project))
    assert project.version() == "a0"

    rerun = project.alembic("upgrade", "head")
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert project.version() == "b1"
    assert schema_of(project.url) == clean_schema


def test_killed_again_and_again_then_finishes(
        project: Project, clean_schema: list[tuple[str, str, str]]) -> None:
    """Each re-run killed one step further, as a flaky deploy job would."""
    with database(project) as db:
        for killed in KILL_POINTS:
            killed(db, lambda: start_upgrade(project))
    rerun = project.alembic("upgrade", "head")
    assert rerun.returncode == 0, rerun.stderr
    assert schema_of(project.url) == clean_schema
    lines = rerun.stderr.splitlines()
    assert ("alembic-safe: index ix_orders_customer_id already exists, valid and identical: "
            "skipped (re-run)") in lines
    assert any(line.startswith("alembic-safe: index ix_customers_email already exists, as the "
                               "index of constraint uq_customers_email")
               and line.endswith("valid and identical: skipped (re-run)") for line in lines)
    assert ("alembic-safe: constraint fk_orders_customer on orders already exists, validated "
            "(the statement adds it NOT VALID): skipped (re-run)") in lines
    assert ("alembic-safe: constraint uq_customers_email on customers already exists, "
            "identical, made from index ix_customers_email by an earlier run: skipped "
            "(re-run)") in lines
