"""The guard's session state through the real ``alembic`` command: timeouts it keeps in
place, and catalog facts found through search_path."""

from __future__ import annotations

from runtime_project import Project

SHOW = 'print("{label}:", op.get_bind().exec_driver_sql("SHOW {name}").scalar())'


def test_timeouts_are_restored_after_a_migration_changes_them(project: Project) -> None:
    project.settings(lock_timeout='"2s"', statement_timeout='"5s"', long_statement_timeout='"0"')
    show_lock = SHOW.format(label="lock", name="lock_timeout")
    show_statement = SHOW.format(label="statement", name="statement_timeout")
    project.migration("a1", f"""
        op.execute("SET lock_timeout = 0")
        {show_lock}
        with op.get_context().autocommit_block():
            op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
        {show_statement}
        op.execute("RESET ALL")
        {show_lock}
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("lock: 2s") == 2
    assert "statement: 5s" in result.stderr
    assert project.version() == "a1"


def test_catalog_facts_follow_search_path(project: Project) -> None:
    database = project.scalar("SELECT current_database()")
    project.execute(f'ALTER DATABASE "{database}" SET search_path = app, public')
    project.execute(
        "CREATE SCHEMA app; CREATE TABLE app.accounts (code text);"
        "ALTER TABLE app.accounts ADD CONSTRAINT code_set CHECK (code IS NOT NULL);"
        "ALTER TABLE users ADD CONSTRAINT email_set CHECK (email IS NOT NULL)")
    project.migration("a1", """
        op.alter_column("accounts", "code", nullable=False)
        op.alter_column("users", "email", nullable=False)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert project.scalar("SELECT attnotnull FROM pg_attribute "
                          "WHERE attrelid = 'app.accounts'::regclass AND attname = 'code'")


def test_timeouts_hold_in_the_next_migrations_transaction(project: Project) -> None:
    """Set once in a1's transaction, kept after its COMMIT, and still right in b2's."""
    project.settings(lock_timeout='"1500ms"')
    project.migration("a1", 'op.add_column("users", sa.Column("age", sa.Integer()))')
    project.migration("b2", f"""
        {SHOW.format(label="lock in b2", name="lock_timeout")}
        op.add_column("users", sa.Column("nick", sa.Text()))
    """, down="a1")
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "lock in b2: 1500ms" in result.stderr
    assert project.version() == "b2"
