"""What a lock-timeout failure says about the session holding the lock, on a real PostgreSQL
(the same report under every driver is in test_drivers.py)."""

from __future__ import annotations

import time

import psycopg
import pytest
import sqlalchemy as sa
from lock_holder import APPLICATION, Holder
from runtime_project import Project, driver_url

from alembic_safe.runtime.lock_watch import LockWatcher, side_connection_args

ADD_COLUMN = 'op.add_column("users", sa.Column("age", sa.Integer()))'


def test_activity_hidden_from_the_migration_role_is_said_to_be(project: Project) -> None:
    """A role without pg_read_all_stats sees another role's pid, application_name and user,
    not its state, age or query: the report says so instead of printing blanks."""
    project.execute("CREATE ROLE migrator LOGIN; ALTER TABLE users OWNER TO migrator;"
                    "GRANT CREATE ON SCHEMA public TO migrator")
    superuser_url = project.url
    project.url = sa.make_url(project.url).set(username="migrator").render_as_string(
        hide_password=False)
    project.settings(lock_timeout='"300ms"', lock_retries="0")
    project.migration("a1", ADD_COLUMN)
    with Holder(driver_url(superuser_url, "plain"), "LOCK TABLE users IN ACCESS SHARE MODE",
                release_after=None) as holder:
        result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (f"lock_timeout (300ms) reached in revision a1 on users (ACCESS EXCLUSIVE lock "
            f"requested), blocked by pid {holder.pid} (application_name '{APPLICATION}', "
            "user postgres, its state, age and query are hidden from this role (grant it "
            "pg_read_all_stats to see them)). Waiting longer") in result.stderr
    assert "(gave up after 1 attempt)" in result.stderr
    assert project.version() is None


def test_a_watch_that_cannot_connect_says_so_without_the_password(project: Project) -> None:
    """The lock watch connects with the URL's parameters; an engine that connects with other
    ones (here: connect_args overriding the URL's port) leaves it unable to, which the report
    says in one line, never printing the URL's password."""
    real = sa.make_url(project.url)
    project.url = real.set(password="s3cret-pw", port=1).render_as_string(hide_password=False)
    env = project.env_py.read_text().replace(
        "create_engine(url)", f"create_engine(url, connect_args={{'port': {real.port}}})")
    project.env_py.write_text(env)
    project.settings(lock_timeout='"300ms"', lock_retries="0")
    project.migration("a1", ADD_COLUMN)
    with Holder(driver_url(real.render_as_string(hide_password=False), "plain"),
                "LOCK TABLE users IN ACCESS SHARE MODE", release_after=None):
        result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert ("lock_timeout (300ms) reached in revision a1 on users (who held the lock is "
            "unknown: the lock watch could not connect: ") in result.stderr
    assert "s3cret-pw" not in result.stderr


def test_the_watch_connects_only_once_a_statement_runs_long(project: Project) -> None:
    """Statements that end quickly never open the watch's connection; one that runs for a
    while (a fifth of lock_timeout) opens it, once for the whole run."""
    project.settings(lock_timeout='"500ms"')
    # pg_stat_activity is read once per transaction unless its snapshot is cleared
    count = ('op.get_bind().exec_driver_sql("SELECT pg_stat_clear_snapshot()"); '
             'print("watch sessions:", op.get_bind().exec_driver_sql("SELECT count(*) FROM '
             "pg_stat_activity WHERE application_name = 'alembic-safe lock watch'\").scalar())")
    project.migration("a1", f"""
        op.add_column("users", sa.Column("age", sa.Integer()))
        {count}
        op.execute("SELECT pg_sleep(0.4)")
        {count}
        op.execute("SELECT pg_sleep(0.4)")
        {count}
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["watch sessions: 0", "watch sessions: 1",
                                          "watch sessions: 1"]


def test_side_connection_args_come_from_any_drivers_url() -> None:
    url = sa.make_url("postgresql+asyncpg://app:p%40ss@db.internal:6432/billing"
                      "?ssl=require&prepared_statement_cache_size=0")
    assert side_connection_args(url) == {
        "host": "db.internal", "port": 6432, "user": "app", "password": "p@ss",
        "dbname": "billing", "sslmode": "require", "application_name": "alembic-safe lock watch",
        "connect_timeout": 5, "autocommit": True}
    sockets = sa.make_url("postgresql://app@/billing?host=/run/a&host=/run/b&sslmode=disable")
    args = side_connection_args(sockets)
    assert (args["host"], args["sslmode"]) == ("/run/a,/run/b", "disable")


def test_the_watch_samples_a_waiting_backend_and_closes(pg_url: str) -> None:
    """In process: a session waits behind a lock; the watch names the holder while it waits,
    and leaves no session behind once closed."""
    conninfo = driver_url(pg_url, "plain")
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute("CREATE TABLE t (v int)")
        with Holder(conninfo, "LOCK TABLE t IN ACCESS SHARE MODE", release_after=None) as holder, \
                psycopg.connect(conninfo) as waiter:
            watcher = LockWatcher(sa.make_url(pg_url), lock_timeout_ms=500)
            watcher.watch(waiter.info.backend_pid)
            waiter.execute("SET lock_timeout = '500ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                waiter.execute("LOCK TABLE t")
            wait = watcher.seen()
            watcher.close()
        assert wait is not None
        assert (wait.locktype, wait.relation, wait.mode) == ("relation", "t",
                                                             "AccessExclusiveLock")
        assert [(b.pid, b.application_name, b.state) for b in wait.blockers] == [
            (holder.pid, APPLICATION, "idle in transaction")]
        deadline = time.monotonic() + 10  # a closed session's backend exits a moment later
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "'alembic-safe lock watch'").fetchone() != (0,):
            assert time.monotonic() < deadline, "the watch's session is still there"
            time.sleep(0.05)
