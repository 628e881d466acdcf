"""`alembic upgrade --sql` that fails part-way: the script never applies part of a migration,
piped into the real psql with or without ON_ERROR_STOP; user errors are one line."""

from __future__ import annotations

import pytest
from psql_helpers import errors, psql
from runtime_project import Project

SAFE = """
    op.create_table("invoices", sa.Column("id", sa.BigInteger(), primary_key=True))
"""
# a column, a concurrent index (committed by its autocommit block), then a refused index
HALF_DONE = """
    op.add_column("users", sa.Column("note", sa.Text()))
    with op.get_context().autocommit_block():
        op.create_index("ix_users_note", "users", ["note"], postgresql_concurrently=True)
    op.create_index("ix_users_email", "users", ["email"])
"""


def applied(project: Project) -> tuple[object, ...]:
    """(revision, invoices exists, users.note exists, ix_users_note exists)."""
    return (project.version(),
            project.scalar("SELECT to_regclass('invoices') IS NOT NULL"),
            project.scalar("SELECT count(*) FROM information_schema.columns "
                           "WHERE table_name = 'users' AND column_name = 'note'") == 1,
            project.scalar("SELECT to_regclass('ix_users_note') IS NOT NULL"))


@pytest.mark.parametrize("options", [(), ("-v", "ON_ERROR_STOP=1"), ("--single-transaction",)],
                         ids=["default", "on-error-stop", "single-transaction"])
def test_refused_run_leaves_out_the_migration_it_had_begun(
    project: Project, options: tuple[str, ...]
) -> None:
    project.migration("a1", SAFE)
    project.migration("a2", HALF_DONE, down="a1")
    result = project.alembic("upgrade", "head", "--sql")
    assert result.returncode != 0 and "AS101" in result.stderr
    script = result.stdout
    # a1 is whole, with its version row and COMMIT; nothing of a2, not even its first BEGIN
    assert "CREATE TABLE invoices" in script and "INSERT INTO alembic_version" in script
    assert "ADD COLUMN note" not in script and "ix_users_note" not in script
    assert script.count("BEGIN;") == script.count("COMMIT;") == 1
    assert script.rstrip().endswith("FAILED: alembic-safe refused revision a2: AS101 "
                                    "create-index-not-concurrent ("
                                    f"{project.root}/migrations/versions/a2.py:15); the "
                                    "statement, why and the safe way are printed above")
    run = psql(project.url, script, *options)
    assert run.returncode == 3  # psql stopped at the error: ON_ERROR_STOP was turned on
    assert errors(run.stderr) == [
        "alembic-safe: this script is incomplete, the run that wrote it failed: "
        "alembic-safe refused revision a2: AS101 create-index-not-concurrent ("
        f"{project.root}/migrations/versions/a2.py:15); the statement, why and the safe way "
        "are printed above"]
    assert applied(project) == ("a1", True, False, False)


def test_one_transaction_for_the_run_is_rolled_back_whole(project: Project) -> None:
    env = project.root / "migrations" / "env.py"
    text = env.read_text()
    assert "literal_binds=True," in text
    env.write_text(text.replace(
        "literal_binds=True,", "literal_binds=True, transaction_per_migration=False,", 1))
    project.migration("a1", SAFE)
    project.migration("a2", HALF_DONE.replace("    with op.get_context().autocommit_block():\n"
                                              "        op.create_index(\"ix_users_note\", "
                                              "\"users\", [\"note\"], "
                                              "postgresql_concurrently=True)\n", ""),
                      down="a1")
    result = project.alembic("upgrade", "head", "--sql")
    assert result.returncode != 0
    # the run's BEGIN was written before the migrations: the ROLLBACK ends it
    assert result.stdout.startswith("BEGIN;") and "ROLLBACK;" in result.stdout
    assert "CREATE TABLE invoices" not in result.stdout
    run = psql(project.url, result.stdout)
    assert run.returncode == 3
    assert applied(project) == (None, False, False, False)


def test_an_error_in_a_migration_ends_the_script_too(project: Project) -> None:
    project.migration("a1", SAFE)
    project.migration("a2", """
        op.add_column("users", sa.Column("note", sa.Text()))
        raise RuntimeError("forgot to handle the legacy rows")
    """, down="a1")
    result = project.alembic("upgrade", "head", "--sql")
    assert result.returncode != 0
    run = psql(project.url, result.stdout)
    assert run.returncode == 3
    assert errors(run.stderr) == [
        "alembic-safe: this script is incomplete, the run that wrote it failed: "
        "RuntimeError: forgot to handle the legacy rows"]
    assert applied(project) == ("a1", True, False, False)


@pytest.mark.parametrize("mode", [(), ("--sql",)], ids=["online", "sql"])
def test_backfill_outside_an_autocommit_block_is_one_line(
    project: Project, mode: tuple[str, ...]
) -> None:
    project.migration("a1", """
        alembic_safe.backfill(op.get_bind(), table="users", set="email = lower(email)")
    """)
    result = project.alembic("upgrade", "head", *mode)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stdout.splitlines()[-1] == (
        "FAILED: alembic-safe: backfill: the connection is inside a transaction, so batches "
        "could not commit one by one; in a migration call it inside "
        "`with op.get_context().autocommit_block():`")


MODULE_LEVEL = """
    if OFFLINE:
        op.execute("SELECT 'offline'")
    else:
        assert bind.execute(sa.text("SELECT 1")).scalar() == 1
    op.create_table("invoices", sa.Column("id", sa.BigInteger(), primary_key=True))
"""


def test_module_level_op_and_context_work_under_the_guard(project: Project) -> None:
    """Alembic lets a script use op and context when imported; so does the guard."""
    header = "from alembic import context\nbind = op.get_bind()\n" \
             "OFFLINE = context.is_offline_mode()\n"
    project.migration("a1", MODULE_LEVEL, header=header)
    offline = project.alembic("upgrade", "head", "--sql")
    assert offline.returncode == 0, offline.stderr
    assert "SELECT 'offline';" in offline.stdout
    online = project.alembic("upgrade", "head")
    assert online.returncode == 0, online.stderr
    assert project.version() == "a1"


@pytest.mark.parametrize(("call", "problem"), [
    ('"AS1O1", reason="small table"',
     "alembic_safe.allow(): unknown rule 'AS1O1'; codes and names are listed in the rules "
     "reference (docs/rules.md)"),
    ('"AS101", reason=""',
     "alembic_safe.allow('AS101') gives no reason: add reason=\"why this is safe here\""),
    ('reason="small table"',
     "alembic_safe.allow() names no rule: write allow(\"AS101\", reason=...)"),
])
@pytest.mark.parametrize("mode", [(), ("--sql",)], ids=["online", "sql"])
def test_a_wrong_allow_is_one_line(
    project: Project, call: str, problem: str, mode: tuple[str, ...]
) -> None:
    path = project.migration("a1", f"""
        with alembic_safe.allow({call}):
            op.create_index("ix_users_email", "users", ["email"])
    """)
    result = project.alembic("upgrade", "head", *mode)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    # Alembic prints FAILED: on stdout (after the script, with --sql); nothing else names it
    assert result.stdout.splitlines()[-1] == f"FAILED: alembic-safe: {path}:12: {problem}"
    assert problem not in result.stderr[len(result.stdout):]
    assert project.version() is None
