"""The guard's core behaviours under every supported driver, through the real ``alembic``
command: psycopg 3, psycopg2, asyncpg with Alembic's async env.py template
(``connection.run_sync``); the history test also runs on a plain ``postgresql://`` URL
(psycopg2 under SQLAlchemy 2.0, psycopg from 2.1 on) and on psycopg 3's async driver."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import alembic
import pytest
import sqlalchemy as sa
from lock_holder import APPLICATION, Holder
from runtime_project import ASYNC, DRIVERS, Project, driver_url, make_project, pg8000_url

#: a plain postgresql:// URL is psycopg2 under SQLAlchemy 2.0, psycopg (3) from 2.1 on
EXPECTED_DRIVER = {"psycopg": "psycopg", "psycopg2": "psycopg2", "asyncpg": "asyncpg",
                   "psycopg-async": "psycopg",
                   "plain": sa.make_url("postgresql://").get_dialect().driver}

FIRST = """
from decimal import Decimal
from sqlalchemy.dialects import postgresql
print("driver:", op.get_bind().dialect.driver, "async:", op.get_bind().dialect.is_async)
op.create_table("accounts", sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
                sa.Column("email", sa.Text, nullable=False))
status = postgresql.ENUM("open", "closed", name="claim_status")
status.create(op.get_bind(), checkfirst=True)
status.create(op.get_bind(), checkfirst=True)  # exists: its check query has bound parameters
op.create_table("claims", sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
                sa.Column("account_id", sa.BigInteger, nullable=False),
                sa.Column("status", postgresql.ENUM(name="claim_status", create_type=False),
                          nullable=False),
                sa.Column("amount", sa.Numeric(10, 2)))
accounts = sa.table("accounts", sa.column("id", sa.BigInteger), sa.column("email", sa.Text))
op.bulk_insert(accounts, [{"id": 1, "email": "a@example.com"},
                          {"id": 2, "email": "b@example.com"}])
claims = sa.table("claims", sa.column("id", sa.BigInteger), sa.column("account_id", sa.BigInteger),
                  sa.column("status", postgresql.ENUM(name="claim_status", create_type=False)),
                  sa.column("amount", sa.Numeric(10, 2)))
op.bulk_insert(claims, [{"id": 1, "account_id": 1, "status": "open", "amount": Decimal("1.50")},
                        {"id": 2, "account_id": 2, "status": "closed", "amount": None}])
op.execute(sa.text("UPDATE claims SET amount = :amount WHERE id = :id")
           .bindparams(amount=2, id=1))
"""
SECOND = """
with op.get_context().autocommit_block():
    op.create_index("ix_claims_account_id", "claims", ["account_id"],
                    postgresql_concurrently=True)
op.create_foreign_key("fk_claims_account", "claims", "accounts", ["account_id"], ["id"],
                      postgresql_not_valid=True)
"""
THIRD = """
op.execute("ALTER TABLE claims VALIDATE CONSTRAINT fk_claims_account")
"""
ALLOWED = """
with alembic_safe.allow("AS101", reason="accounts has two rows"):
    op.create_index("ix_accounts_email", "accounts", ["email"])
"""
UNSAFE = 'op.create_index("ix_claims_status", "claims", ["status"])'
MODELS = """
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()
accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Index("ix_accounts_email", "email"))
claims = sa.Table(
    "claims", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("account_id", sa.BigInteger, sa.ForeignKey("accounts.id", name="fk_claims_account"),
              nullable=False),
    sa.Column("status", postgresql.ENUM("open", "closed", name="claim_status"), nullable=False),
    sa.Column("amount", sa.Numeric(10, 2)),
    sa.Index("ix_claims_account_id", "account_id"))
"""


ENUM_MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
claims = sa.Table(
    "claims", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("status", sa.Enum("new", "open", "closed", name="claim_status"),
              nullable=False, server_default="new"),
    sa.Column("payer", sa.Text, nullable=False, info={"renamed_from": "payer_name"}))
"""


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def users(tmp_path: Path, pg_url: str, driver: str) -> Project:
    """A project for ``driver`` on a fresh database with a 3-row 'users' table."""
    made = make_project(tmp_path, pg_url, driver)
    made.execute("CREATE TABLE users (id int PRIMARY KEY, email text);"
                 "INSERT INTO users VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    return made


@pytest.mark.parametrize("scheme", [*DRIVERS, "plain", "psycopg-async"])
def test_a_history_runs_dry_applies_is_refused_and_checked(
        tmp_path: Path, pg_url: str, scheme: str) -> None:
    project = make_project(tmp_path, pg_url, scheme)
    project.migration("a1", FIRST)
    project.migration("b2", SECOND, down="a1")
    project.migration("c3", THIRD, down="b2")
    project.migration("d4", ALLOWED, down="c3")
    refused = project.migration("e5", UNSAFE, down="d4")
    project.models(MODELS)

    dry = project.alembic("-x", "alembic-safe-dry-run=1", "upgrade", "c3")
    assert dry.returncode == 0, dry.stderr
    assert f"driver: {EXPECTED_DRIVER[scheme]} async: {scheme in ASYNC}\n" in dry.stdout
    assert re.search(r"ran \(\d+ ms\): CREATE TABLE accounts", dry.stderr)
    assert "not run (autocommit block): CREATE INDEX CONCURRENTLY ix_claims_account_id" \
        in dry.stderr
    assert "rolling back, nothing was applied" in dry.stderr
    assert project.version() is None
    assert project.scalar("SELECT to_regtype('claim_status')") is None

    installed = project.alembic("upgrade", "c3")  # from an empty database: a fresh install
    assert installed.returncode == 0, installed.stderr
    assert "alembic-safe: fresh install:" in installed.stderr
    assert project.version() == "c3"

    result = project.alembic("upgrade", "head")  # tables with rows now: checked as usual
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"AS101 create-index-not-concurrent ({refused.resolve()}:12)" in result.stderr
    assert "AS101 (create-index-not-concurrent) allowed by allow(): accounts has two rows" \
        in result.stderr
    assert project.version() == "d4"
    assert project.scalar("SELECT to_regclass('ix_claims_status')") is None
    assert project.scalar("SELECT string_agg(email, ',' ORDER BY id) FROM accounts") == \
        "a@example.com,b@example.com"
    assert project.scalar("SELECT string_agg(status || ':' || coalesce(amount::text, '-'), ','"
                          " ORDER BY id) FROM claims") == "open:2.00,closed:-"
    assert project.scalar("SELECT indisvalid FROM pg_index "
                          "WHERE indexrelid = 'ix_claims_account_id'::regclass") is True
    assert project.scalar("SELECT convalidated FROM pg_constraint "
                          "WHERE conname = 'fk_claims_account'") is True

    pending = project.alembic("check")
    assert pending.returncode != 0
    assert "Traceback" not in pending.stderr
    assert "e5.py:12: AS101 create-index-not-concurrent" in pending.stderr
    refused.unlink()
    clean = project.alembic("check")
    assert clean.returncode == 0, clean.stderr
    assert "No new upgrade operations detected" in clean.stderr


def test_lock_timeout_names_the_holder_and_the_retry_succeeds(users: Project) -> None:
    users.settings(lock_timeout='"500ms"', lock_retries="5", lock_retry_backoff='"300ms"')
    users.migration("a1", """
        op.create_table("audit", sa.Column("id", sa.BigInteger, primary_key=True))
        op.add_column("users", sa.Column("age", sa.Integer()))
    """)
    with Holder(driver_url(users.url, "plain"), "LOCK TABLE users IN ACCESS SHARE MODE",
                release_after=1.0) as holder:
        result = users.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert holder.waited_on
    retry = next(line for line in result.stderr.splitlines()
                 if "retrying the migration's transaction" in line)
    assert f"on users (ACCESS EXCLUSIVE lock requested), blocked by pid {holder.pid} " \
        f"(application_name '{APPLICATION}', user postgres, idle in transaction for " in retry
    assert "transaction open" in retry
    assert retry.endswith("query: LOCK TABLE users IN ACCESS SHARE MODE)")
    assert users.version() == "a1"
    assert users.scalar("SELECT count(*) FROM pg_attribute WHERE attname = 'age'") == 1


def test_concurrent_index_behind_an_open_transaction_is_reported_and_recovered(
        users: Project) -> None:
    """CREATE INDEX CONCURRENTLY waits for every older transaction: it times out, leaves an
    INVALID index, and the retry of the statement drops it and builds it again."""
    users.settings(lock_timeout='"500ms"', lock_retries="5", lock_retry_backoff='"300ms"')
    users.migration("a1", """
        op.create_table("audit", sa.Column("id", sa.BigInteger, primary_key=True))
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    with Holder(driver_url(users.url, "plain"), "INSERT INTO users VALUES (10, 'x')",
                release_after=1.0) as holder:
        result = users.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    retry = next(line for line in result.stderr.splitlines()
                 if "retrying the statement (autocommit block)" in line)
    assert f"on users (waiting for other transactions to end), blocked by pid {holder.pid} " \
        f"(application_name '{APPLICATION}'" in retry
    assert retry.endswith("query: INSERT INTO users VALUES (10, 'x'))")
    assert "alembic-safe lock watch" not in result.stderr  # it never holds a transaction
    assert "dropping the INVALID index ix_users_email" in result.stderr
    assert users.version() == "a1"
    assert users.scalar("SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                        "c.oid = i.indexrelid WHERE c.relname = 'ix_users_email' "
                        "AND i.indisvalid") == 1


def test_backfill_runs_in_an_autocommit_block(users: Project) -> None:
    users.execute("INSERT INTO users SELECT g, 'user' || g FROM generate_series(4, 25) g")
    users.migration("a1", """
        op.add_column("users", sa.Column("domain", sa.Text()))
        with op.get_context().autocommit_block():
            result = alembic_safe.backfill(op.get_bind(), table="users",
                                           set="domain = 'example.com'",
                                           where="email LIKE 'user%'", batch_size=10)
            print("backfilled", result.rows, "rows in", result.batches, "batches")
    """)
    result = users.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "backfilled 22 rows in 3 batches" in result.stdout
    assert users.scalar("SELECT count(*) FROM users WHERE domain = 'example.com'") == 22
    assert users.version() == "a1"


@pytest.mark.parametrize("driver", ["asyncpg"])
def test_an_open_asyncpg_transaction_of_the_app_is_named_not_a_hang(users: Project) -> None:
    """Alembic issue #1460: env.py (or the app around it) keeps an asyncpg transaction open
    on another connection, and a CREATE INDEX CONCURRENTLY in an autocommit block waits for
    it forever. The guard's lock_timeout ends the wait and names that session."""
    users.env_py.write_text(users.env_py.read_text().replace(
        "    async with connectable.connect() as connection:\n",
        "    app = async_engine_from_config({'sqlalchemy.url': url}, prefix='sqlalchemy.',\n"
        "        connect_args={'server_settings': {'application_name': 'app-session'}})\n"
        "    async with app.connect() as other, connectable.connect() as connection:\n"
        "        await other.exec_driver_sql('SELECT 1')  # its transaction stays open\n"))
    users.settings(lock_timeout='"300ms"', lock_retries="1", lock_retry_backoff='"100ms"')
    users.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    result = users.alembic("upgrade", "head", timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "lock_timeout (300ms) reached in revision a1 on users (waiting for other " \
        "transactions to end), blocked by pid" in result.stderr
    assert "(application_name 'app-session', user postgres, idle in transaction for" \
        in result.stderr
    assert "gave up after 2 attempts" in result.stderr


def test_an_unsupported_driver_is_named_in_one_line(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path, pg_url)
    project.migration("a1", 'op.execute("SELECT 1")')
    project.url, url = pg8000_url(project.url), project.url
    result = project.alembic("upgrade", "head")
    project.url = url  # the test's own queries go through psycopg
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED:")]
    assert failed == ["FAILED: alembic-safe: the runtime guard does not support the pg8000 "
                      "driver (postgresql+pg8000://); use psycopg 3 (postgresql+psycopg://), "
                      "psycopg2 (postgresql+psycopg2://) or asyncpg (postgresql+asyncpg://, "
                      "with Alembic's async env.py template)"]
    assert project.version() is None


def test_a_rerun_skips_what_an_earlier_run_built(users: Project) -> None:
    """Re-run checks query the catalog and probe definitions on the migration's connection,
    in a savepoint (transaction) and in a transaction of their own (autocommit block)."""
    users.execute(
        "ALTER TABLE users ADD COLUMN status varchar(20);"
        # PostgreSQL stores both as ((status)::text = 'active'::text): the probe compares
        "CREATE UNIQUE INDEX ix_users_active ON users (email) WHERE status = 'active';"
        "ALTER TABLE users ADD CONSTRAINT ck_status CHECK (status = 'active') NOT VALID")
    users.migration("a1", """
        op.create_check_constraint("ck_status", "users", "status = 'active'",
                                   postgresql_not_valid=True)
        with op.get_context().autocommit_block():
            op.create_index("ix_users_active", "users", ["email"], unique=True,
                            postgresql_where=sa.text("status = 'active'"),
                            postgresql_concurrently=True)
            op.create_index("ix_users_status", "users", ["status"],
                            postgresql_concurrently=True)
    """)
    result = users.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "alembic-safe: constraint ck_status on users already exists, identical: skipped " \
        "(re-run)" in result.stderr
    assert "alembic-safe: index ix_users_active already exists, valid and identical: " \
        "skipped (re-run)" in result.stderr
    assert users.scalar("SELECT indisvalid FROM pg_index "
                        "WHERE indexrelid = 'ix_users_status'::regclass") is True
    assert users.scalar("SELECT to_regclass('pg_temp.alembic_safe_probe')") is None
    assert users.version() == "a1"


def test_enum_changes_and_renames_are_autogenerated_checked_and_applied(
        tmp_path: Path, pg_url: str, driver: str) -> None:
    """The catalog queries of the enum comparator (every enum; what depends on the types it
    would drop, with an array parameter) and of the renames comparator (a table's owned
    sequences and NOT NULL constraints, with bound parameters) run on the driver's
    connection in ``alembic check`` and autogenerate; the script applies through the guard."""
    project = make_project(tmp_path, pg_url, driver)
    shutil.copy(Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako",
                project.root / "migrations" / "script.py.mako")
    project.execute(
        "CREATE TYPE claim_status AS ENUM ('new', 'closed');"
        "CREATE TYPE legacy_kind AS ENUM ('a', 'b');"  # nothing uses it: dropped
        "CREATE TYPE kept_kind AS ENUM ('x');"  # a function uses it: stays
        "CREATE FUNCTION keep(kept_kind) RETURNS int LANGUAGE sql AS 'SELECT 1';"
        "CREATE TABLE claims (id bigint PRIMARY KEY, "
        "                     status claim_status NOT NULL DEFAULT 'new',"
        "                     payer_name text NOT NULL);"
        "INSERT INTO claims SELECT g, 'closed', 'payer ' || g FROM generate_series(1, 50) g")
    project.models(ENUM_MODELS)

    drift = project.alembic("check")
    assert drift.returncode != 0
    assert "Traceback" not in drift.stderr
    assert "FAILED: New upgrade operations detected: [('rename_column', None, 'claims', " \
        "'payer_name', 'payer'), ('add_enum_type_value', None, 'claim_status', 'open'), " \
        "('remove_enum', None, 'legacy_kind')]" in drift.stderr

    generated = project.alembic("revision", "--autogenerate", "-m", "statuses")
    assert generated.returncode == 0, generated.stderr
    (script,) = (project.root / "migrations" / "versions").glob("*.py")
    text = script.read_text()
    assert "op.add_enum_type_value('claim_status', 'open', after='new')" in text
    assert "op.drop_enum_type('legacy_kind'" in text
    assert "kept_kind" not in text
    assert "with alembic_safe.allow('AS506', reason=\"column renamed in the model: " \
        "info={'renamed_from': 'payer_name'} on claims.payer\"):" in text
    assert "new_column_name='payer'" in text

    applied = project.alembic("upgrade", "head")
    assert applied.returncode == 0, applied.stderr
    assert project.scalar("SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) "
                          "FROM pg_enum e WHERE e.enumtypid = 'claim_status'::regtype") == \
        "new,open,closed"
    assert project.scalar("SELECT to_regtype('legacy_kind')") is None
    assert project.scalar("SELECT count(*) FROM claims WHERE status = 'closed' "
                          "AND payer = 'payer ' || id") == 50
    clean = project.alembic("check")
    assert clean.returncode == 0, clean.stderr
