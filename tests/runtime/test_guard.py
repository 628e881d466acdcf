"""The runtime guard through the real ``alembic`` command on a real PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa
from runtime_project import Project

UNSAFE_INDEX = 'op.create_index("ix_users_email", "users", ["email"])'


def test_unsafe_migration_is_refused_and_nothing_applied(project: Project) -> None:
    project.migration("a1", 'op.add_column("users", sa.Column("age", sa.Integer()))')
    assert project.alembic("upgrade", "a1").returncode == 0
    path = project.migration(
        "b2", f'op.execute("UPDATE users SET age = 1 WHERE age IS NULL")\n{UNSAFE_INDEX}',
        down="a1")
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "revision b2" in result.stderr
    assert f"{path.resolve()}:13" in result.stderr  # the op.create_index line
    assert "AS101" in result.stderr and "create-index-not-concurrent" in result.stderr
    assert "CONCURRENTLY" in result.stderr  # the safe way
    # the report once (one safe way per finding: AS101, and AS601 for the UPDATE whose row
    # locks the index build holds on), Alembic's FAILED a summary
    assert result.stderr.count("\n  help: ") == 2 and "AS601" in result.stderr
    assert "FAILED: alembic-safe refused revision b2: AS101 create-index-not-concurrent (" \
        in result.stderr
    assert project.version() == "a1"
    assert project.scalar("SELECT count(*) FROM users WHERE age = 1") == 0
    assert project.scalar("SELECT to_regclass('ix_users_email')") is None


def test_safe_version_applies_and_prints_durations(project: Project) -> None:
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert project.version() == "a1"
    assert project.scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_email'::regclass") is True
    assert re.search(r"revision a1 \(upgrade\) applied in \d+ ms", result.stderr)


def test_raw_sql_in_op_execute_is_refused(project: Project) -> None:
    project.migration("a1", 'op.execute("ALTER TABLE users ALTER COLUMN id TYPE bigint")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "refused" in result.stderr and "AS" in result.stderr
    assert project.version() is None
    assert project.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                          "WHERE attrelid = 'users'::regclass AND attname = 'id'") == "integer"


def test_allow_with_reason_applies_and_is_reported(project: Project) -> None:
    project.migration("a1", f"""
        with alembic_safe.allow("AS101", reason="users is tiny"):
            {UNSAFE_INDEX}
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "AS101" in result.stderr and "users is tiny" in result.stderr
    assert project.scalar("SELECT to_regclass('ix_users_email') IS NOT NULL") is True


def test_allow_without_reason_is_a_clear_error(project: Project) -> None:
    project.migration("a1", f"""
        with alembic_safe.allow("AS101"):
            {UNSAFE_INDEX}
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "gives no reason" in result.stderr
    assert project.scalar("SELECT to_regclass('ix_users_email')") is None


def test_per_migration_declaration_applies_and_is_reported(project: Project) -> None:
    project.migration("a1", UNSAFE_INDEX,
                      header='alembic_safe_allow = {"AS101": "maintenance window"}')
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "maintenance window" in result.stderr
    assert project.version() == "a1"


def test_offline_sql_refusal_writes_no_sql_for_the_statement(project: Project) -> None:
    project.migration("a1", UNSAFE_INDEX)
    result = project.alembic("upgrade", "head", "--sql")
    assert result.returncode != 0
    assert "AS101" in result.stderr
    assert "CREATE INDEX ix_users_email ON users (email);" not in result.stdout
    # the refused migration is left out entirely; the script ends so that psql stops
    assert "BEGIN;" not in result.stdout and "\\set ON_ERROR_STOP on" in result.stdout


def test_offline_safe_sql_is_written(project: Project) -> None:
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    result = project.alembic("upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert "CREATE INDEX CONCURRENTLY ix_users_email" in result.stdout


def test_invalid_leftover_index_is_rebuilt(project: Project) -> None:
    # a failed concurrent build leaves an INVALID index: make one with a unique violation
    project.execute("INSERT INTO users VALUES (4, 'a')")
    engine = sa.create_engine(project.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql(
            "CREATE UNIQUE INDEX CONCURRENTLY ix_users_email ON users (email)")
    engine.dispose()
    assert project.scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_email'::regclass") is False
    project.execute("DELETE FROM users WHERE id = 4")
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], unique=True,
                            postgresql_concurrently=True)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "INVALID index ix_users_email" in result.stderr
    assert project.scalar("SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                          "c.oid = i.indexrelid WHERE c.relname = 'ix_users_email' "
                          "AND i.indisvalid") == 1


def test_invalid_leftover_index_in_a_schema_with_a_hostile_name_is_rebuilt(
        project: Project) -> None:
    """The leftover is looked up in its table's schema, by its exact (quoted) name."""
    project.execute('CREATE SCHEMA "Bill\\ing"')
    project.execute('CREATE TABLE "Bill\\ing"."Us""ers" (id int PRIMARY KEY, email text)')
    project.execute("""INSERT INTO "Bill\\ing"."Us""ers" VALUES (1, 'a'), (2, 'a')""")
    engine = sa.create_engine(project.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.exec_driver_sql('CREATE UNIQUE INDEX CONCURRENTLY "Ix_E""mail" '
                             'ON "Bill\\ing"."Us""ers" (email)')
    engine.dispose()
    project.execute("""DELETE FROM "Bill\\ing"."Us""ers" WHERE id = 2""")
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index('Ix_E"mail', 'Us"ers', ["email"], unique=True,
                            schema="Bill\\\\ing", postgresql_concurrently=True)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert 'dropping the INVALID index Ix_E"mail' in result.stderr
    assert project.scalar("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON "
                          """c.oid = i.indexrelid WHERE c.relname = 'Ix_E"mail'""") is True


def test_concurrent_build_killed_midway_is_rebuilt_on_rerun(project: Project) -> None:
    """A CREATE INDEX CONCURRENTLY whose backend is terminated mid-build, then run again."""
    project.settings(lock_timeout='"60s"')
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    blocker = sa.create_engine(project.url)
    killer = sa.create_engine(project.url, isolation_level="AUTOCOMMIT")
    results: list[subprocess.CompletedProcess[str]] = []
    with blocker.connect() as open_writer, killer.connect() as admin:
        # an open writing transaction: the concurrent build commits its INVALID catalog
        # entry, then waits for this transaction to end
        open_writer.exec_driver_sql("INSERT INTO users VALUES (10, 'x')")
        upgrade = threading.Thread(target=lambda: results.append(
            project.alembic("upgrade", "head")))
        upgrade.start()
        deadline = time.monotonic() + 60
        terminated = False
        while not terminated and time.monotonic() < deadline:
            terminated = bool(admin.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE starts_with(query, 'CREATE INDEX CONCURRENTLY') "
                "AND wait_event_type = 'Lock'").scalar())
            time.sleep(0.05)
        upgrade.join()
        open_writer.rollback()
    blocker.dispose()
    killer.dispose()
    assert terminated, "the concurrent build was never seen waiting"
    assert results[0].returncode != 0
    assert "Traceback" not in results[0].stderr
    assert "connection to the database was lost in revision a1" in results[0].stderr
    assert project.version() is None
    assert project.scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_users_email'::regclass") is False

    rerun = project.alembic("upgrade", "head")
    assert rerun.returncode == 0, rerun.stderr
    assert "dropping the INVALID index ix_users_email" in rerun.stderr
    assert project.version() == "a1"
    assert project.scalar("SELECT count(*) FROM pg_index i JOIN pg_class c ON "
                          "c.oid = i.indexrelid WHERE c.relname = 'ix_users_email' "
                          "AND i.indisvalid") == 1
    assert project.scalar(
        "SELECT count(*) FROM pg_class WHERE starts_with(relname, 'ix_users_email')") == 1


def test_lock_timeout_fails_clearly_without_queueing_readers(project: Project) -> None:
    project.settings(lock_timeout='"1s"', lock_retries="2", lock_retry_backoff='"200ms"')
    project.migration("a1", 'op.add_column("users", sa.Column("age", sa.Integer()))')
    holder = sa.create_engine(project.url)
    reader = sa.create_engine(project.url)
    waits: list[float] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            with reader.connect() as conn:
                start = time.monotonic()
                conn.exec_driver_sql("SELECT count(*) FROM users").scalar()
                waits.append(time.monotonic() - start)
            time.sleep(0.05)

    with holder.connect() as conn:
        conn.exec_driver_sql("LOCK TABLE users IN ACCESS SHARE MODE")
        thread = threading.Thread(target=read)
        thread.start()
        result = project.alembic("upgrade", "head")
        done.set()
        thread.join()
        conn.rollback()
    holder.dispose()
    reader.dispose()
    assert result.returncode != 0
    assert "lock_timeout (1s) reached in revision a1" in result.stderr
    assert "attempt 1 of 3: retrying the migration's transaction" in result.stderr
    assert "attempt 2 of 3: retrying the migration's transaction" in result.stderr
    assert "gave up after 3 attempts" in result.stderr
    assert "Traceback" not in result.stderr
    assert project.version() is None
    assert waits and max(waits) < 1.5


def hold_lock_until_waited_on(project: Project, then: float = 1.0) -> threading.Thread:
    """A session holding ACCESS SHARE on users until another session has queued behind it.

    The lock is kept ``then`` seconds after the first waiter shows up in ``pg_locks`` (longer
    than the tests' lock_timeout), so the migration's first attempt always times out, however
    slowly the ``alembic`` subprocess starts.
    """
    locked = threading.Event()

    def hold() -> None:
        engine = sa.create_engine(project.url)
        with engine.connect() as conn, engine.connect() as watcher:
            conn.exec_driver_sql("LOCK TABLE users IN ACCESS SHARE MODE")
            locked.set()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = watcher.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks "
                    "WHERE relation = 'users'::regclass AND NOT granted").scalar()
                watcher.rollback()
                if waiting:
                    break
                time.sleep(0.02)
            time.sleep(then)
            conn.rollback()
        engine.dispose()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10), "the lock holder never got its lock"
    return thread


def upgrade_while_users_locked(project: Project) -> subprocess.CompletedProcess[str]:
    """``alembic upgrade head`` while another session holds users until the migration waits."""
    thread = hold_lock_until_waited_on(project)
    try:
        return project.alembic("upgrade", "head")
    finally:
        thread.join()


def test_lock_timeout_retry_succeeds_once_the_lock_is_released(project: Project) -> None:
    project.settings(lock_timeout='"500ms"', lock_retries="5", lock_retry_backoff='"300ms"')
    project.migration("a1", """
        op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column("users", sa.Column("age", sa.Integer()))
    """)
    result = upgrade_while_users_locked(project)
    assert result.returncode == 0, result.stderr
    assert "attempt 1 of 6: retrying the migration's transaction" in result.stderr
    assert project.version() == "a1"
    assert project.scalar("SELECT to_regclass('audit') IS NOT NULL") is True


def test_autocommit_statement_is_retried_alone(project: Project) -> None:
    project.settings(lock_timeout='"500ms"', lock_retries="5", lock_retry_backoff='"300ms"')
    project.migration("a1", """
        op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE users ADD CONSTRAINT email_set "
                       "CHECK (email IS NOT NULL) NOT VALID")
    """)
    result = upgrade_while_users_locked(project)
    assert result.returncode == 0, result.stderr
    assert "retrying the statement (autocommit block)" in result.stderr
    assert project.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'email_set'") == 1


def test_dry_run_reports_and_applies_nothing(project: Project) -> None:
    project.migration("a1", """
        op.add_column("users", sa.Column("age", sa.Integer()))
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    result = project.alembic("-x", "alembic-safe-dry-run=1", "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert re.search(r"ran \(\d+ ms\): ALTER TABLE users ADD COLUMN age INTEGER", result.stderr)
    assert "not run (autocommit block): CREATE INDEX CONCURRENTLY ix_users_email" in result.stderr
    assert "rolling back, nothing was applied" in result.stderr
    assert project.version() is None
    assert project.scalar("SELECT count(*) FROM pg_attribute WHERE attname = 'age'") == 0


def test_warning_is_printed_and_the_migration_goes_on(project: Project) -> None:
    project.migration("a1", 'op.add_column("users", sa.Column("note", sa.String(20)))')
    project.settings(extend_select='["style"]')  # the style rules run only when selected
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "warning: revision a1" in result.stderr
    assert "AS803 prefer-text-over-varchar" in result.stderr
    assert project.version() == "a1"


def test_style_rules_stay_quiet_by_default(project: Project) -> None:
    project.migration("a1", 'op.add_column("users", sa.Column("note", sa.String(20)))')
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "AS803" not in result.stderr and "warning" not in result.stderr
    assert project.version() == "a1"


def test_small_table_relaxes_lock_rules(project: Project) -> None:
    project.execute("ANALYZE users")
    project.settings(small_table_rows="1000")
    project.migration("a1", UNSAFE_INDEX)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "AS101 (create-index-not-concurrent) allowed by small_table_rows: small table" \
        in result.stderr


def test_small_table_never_relaxes_what_postgresql_refuses(project: Project) -> None:
    """AS103 is in the same rule module as the lock rules, but its category (will-fail) is what
    the relaxation reads: PostgreSQL refuses CIC inside a transaction on any table."""
    project.execute("ANALYZE users")
    project.settings(small_table_rows="1000")
    project.migration("a1", 'op.create_index("ix_users_email", "users", ["email"], '
                            "postgresql_concurrently=True)")
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "AS103" in result.stderr and "allowed by small_table_rows" not in result.stderr
    assert project.version() is None


def test_bad_setting_keyword_is_one_clear_line(project: Project) -> None:
    project.settings(lock_timeout='"soon"')
    project.migration("a1", 'op.add_column("users", sa.Column("age", sa.Integer()))')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "lock_timeout" in result.stderr and "not a duration" in result.stderr


def test_statement_timeout_cancels_with_a_clear_message(project: Project) -> None:
    project.settings(statement_timeout='"300ms"')
    project.migration("a1", 'op.execute("SELECT pg_sleep(2)")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "statement canceled in revision a1 (statement_timeout is 300ms)" in result.stderr
    assert project.version() is None


def test_batch_ops_are_checked(project: Project) -> None:
    project.migration("a1", """
        with op.batch_alter_table("users") as batch:
            batch.alter_column("id", type_=sa.BigInteger())
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "refused" in result.stderr and "a1.py:12" in result.stderr  # the batch block
    assert project.version() is None


def test_long_statement_timeout_applies_to_concurrent_builds_only(project: Project) -> None:
    project.settings(statement_timeout='"1ms"', long_statement_timeout='"0"')
    project.migration("a1", """
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert project.scalar("SELECT to_regclass('ix_users_email') IS NOT NULL") is True


def test_never_analyzed_table_is_not_small(project: Project) -> None:
    project.settings(small_table_rows="1000")
    project.migration("a1", UNSAFE_INDEX)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "AS101" in result.stderr


def test_downgrade_is_guarded_and_stamp_current_work(project: Project) -> None:
    path = project.migration("a1", 'op.create_table("audit", sa.Column("id", sa.BigInteger))')
    path.write_text(path.read_text().replace(
        "def downgrade():\n    pass", 'def downgrade():\n    op.drop_table("audit")'))
    assert project.alembic("upgrade", "head").returncode == 0
    result = project.alembic("downgrade", "base")
    assert result.returncode != 0
    assert "drop-table" in result.stderr and "revision base (" not in result.stderr
    assert project.version() == "a1"
    assert project.alembic("stamp", "base").returncode == 0
    assert project.version() is None
    project.migration("b2", 'op.add_column("users", sa.Column("age", sa.Integer()))', down="a1")
    assert project.alembic("stamp", "a1").returncode == 0
    assert project.alembic("upgrade", "b2").returncode == 0
    undone = project.alembic("downgrade", "a1")
    assert undone.returncode == 0, undone.stderr
    assert "revision b2 (downgrade) applied in" in undone.stderr
    assert project.version() == "a1"
    current = project.alembic("current")
    assert current.returncode == 0, current.stderr



def test_validated_not_null_check_makes_set_not_null_safe(project: Project) -> None:
    project.migration("a1", 'op.alter_column("users", "email", nullable=False)')
    refused = project.alembic("upgrade", "head")
    assert refused.returncode != 0 and "SET NOT NULL" in refused.stderr
    project.execute('ALTER TABLE users ADD CONSTRAINT email_set CHECK ("email" IS NOT NULL)')
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert project.version() == "a1"


def test_sql_comment_opt_out_in_op_execute(project: Project) -> None:
    project.migration("a1", '''op.execute("-- alembic-safe: allow AS101 because users has 3 rows\\n"
           "CREATE INDEX ix_users_email ON users (email)")''')
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "allowed by comment: users has 3 rows" in result.stderr
    assert project.scalar("SELECT to_regclass('ix_users_email') IS NOT NULL") is True


def test_one_transaction_for_all_migrations_retries_only_the_waiting_one(
        project: Project) -> None:
    """transaction_per_migration=False: a1's work stays when b2 is retried from its savepoint."""
    env = (project.root / "migrations" / "env.py").read_text().replace(
        "alembic_safe.configure(context, connection=connection, target_metadata=None)",
        "alembic_safe.configure(context, connection=connection, target_metadata=None, "
        "transaction_per_migration=False)")
    (project.root / "migrations" / "env.py").write_text(env)
    project.settings(lock_timeout='"500ms"', lock_retries="5", lock_retry_backoff='"300ms"')
    project.migration("a1", 'op.create_table("audit", sa.Column("id", sa.Integer))')
    project.migration("b2", 'op.add_column("users", sa.Column("age", sa.Integer()))', down="a1")
    result = upgrade_while_users_locked(project)
    assert result.returncode == 0, result.stderr
    assert "retrying the migration's transaction" in result.stderr
    assert project.version() == "b2"
    assert project.scalar("SELECT to_regclass('audit') IS NOT NULL") is True
    assert project.scalar("SELECT count(*) FROM pg_attribute WHERE attname = 'age'") == 1
