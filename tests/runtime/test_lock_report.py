"""What a lock-timeout failure says about the session holding the lock, on a real PostgreSQL
(the same report under every driver is in test_drivers.py)."""

from __future__ import annotations

import sqlalchemy as sa
from lock_holder import APPLICATION, Holder
from runtime_project import Project, driver_url

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
