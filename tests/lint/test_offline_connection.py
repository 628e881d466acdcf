"""What ``op.get_bind()`` gives a script rendered offline, and why a script cannot be linted."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from lint_helpers import Run, migration

from alembic_safe.capture.offline import OfflineScript

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]


def timed(body: str) -> str:
    """A migration whose upgrade() sets lock_timeout (line 8), then runs ``body`` (line 9...)."""
    timeout = "op.execute(\"SET lock_timeout = '3s'\")\n"
    return migration(timeout + textwrap.dedent(body).strip("\n"))

BACKFILL = """
    op.add_column("users", sa.Column("note", sa.Text()))
    {between}
    op.execute("UPDATE users SET note = 'n/a' WHERE id < 100")
"""


def test_commit_ends_the_migration_transaction(lint: Lint, write: Write) -> None:
    write("same.py", timed(BACKFILL.format(between="pass")))
    run = lint("same.py", "--format", "json")
    assert run.codes() == ["AS601"]  # the backfill runs while ACCESS EXCLUSIVE is held
    write("split.py", timed(BACKFILL.format(between="op.get_bind().commit()")))
    run = lint("split.py", "--format", "json")
    assert (run.code, run.codes()) == (0, [])


def test_commit_before_autocommit_block(write: Write) -> None:
    path = write("m.py", migration("""
        op.add_column("users", sa.Column("note", sa.Text()))
        op.get_bind().commit()
        with op.get_context().autocommit_block():
            op.get_bind().commit()  # nothing to commit: no statement
            op.create_index("ix_users_note", "users", ["note"], postgresql_concurrently=True)
        op.execute("SET lock_timeout = '3s'")
    """))
    captured = OfflineScript(path).render()
    assert [(c.sql.split()[0], c.in_transaction, c.line) for c in captured] == [
        ("ALTER", True, 8), ("COMMIT", True, 9), ("CREATE", False, 12), ("SET", True, 13)]


def test_dialect_checks_see_postgresql(lint: Lint, write: Write) -> None:
    write("m.py", timed("""
        bind = op.get_bind()
        assert bind.dialect.name == bind.engine.name == op.get_context().dialect.name
        if str(bind.engine.url).startswith("postgresql") and bind.engine.url.drivername:
            op.drop_table("legacy")
        if not hasattr(bind, "in_transaction"):
            op.drop_column("users", "legacy")
    """))
    run = lint("m.py", "--format", "json")
    assert {"AS501", "AS502"} <= set(run.codes())


def test_reading_rows_needs_a_database(lint: Lint, write: Write) -> None:
    write("m.py", timed("""
        result = op.get_bind().execute(sa.text("SELECT count(*) FROM users"))
        if result.scalar() > 1000:
            op.drop_table("legacy")
    """))
    run = lint("m.py")
    assert (run.code, run.out) == (
        2, "0 errors, 0 warnings in 1 files (0 statements); 1 of them could not be linted\n")
    assert run.err.startswith("alembic-safe: m.py:10: upgrade() needs a live database: it "
                              "reads the result of a query (.scalar)")
    assert "`alembic upgrade --sql`" in run.err and run.err.count("\n") == 1


def test_iterating_rows_needs_a_database(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        for row in op.get_bind().execute(sa.text("SELECT id FROM users")):
            op.execute(f"DELETE FROM users WHERE id = {row.id}")
    """))
    run = lint("m.py")
    assert run.err.startswith("alembic-safe: m.py:8: upgrade() needs a live database: it "
                              "iterates over the rows of a query")


def test_reflection_needs_a_database(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        tables = sa.inspect(op.get_bind()).get_table_names()
    """))
    run = lint("m.py")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: m.py:8: upgrade() needs a live database: it "
                              "reads the schema (sa.inspect, Inspector, MetaData.reflect)")


def test_live_connection_methods_need_a_database(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        with op.get_bind().begin_nested():
            op.drop_table("legacy")
    """))
    run = lint("m.py")
    assert run.err.startswith("alembic-safe: m.py:8: upgrade() needs a live database: it uses "
                              "op.get_bind() as a live connection (.begin_nested)")


def test_operation_of_a_plugin_not_imported(lint: Lint, write: Write) -> None:
    write("m.py", migration('op.sync_enum_values("public", "mood", ["a", "b"])'))
    run = lint("m.py")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: m.py:8: upgrade() calls op.sync_enum_values, which "
                              "is not an Alembic operation: a plugin registers it")


def test_upgrade_taking_arguments(lint: Lint, write: Write) -> None:
    text = migration("pass").replace("def upgrade():", "def upgrade(op, tables):")
    write("m.py", text)
    run = lint("m.py")
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.startswith("alembic-safe: m.py:7: upgrade(op, tables) takes arguments, which "
                              "this project's env.py passes through context.run_migrations(...)")


def test_missing_dependency(lint: Lint, write: Write) -> None:
    write("m.py", migration("pass", header="import not_installed_anywhere.models"))
    run = lint("m.py")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: m.py:3: importing the script raised "
                              "ModuleNotFoundError: No module named 'not_installed_anywhere': "
                              "run alembic-safe where Alembic runs, with the project's "
                              "dependencies installed")
