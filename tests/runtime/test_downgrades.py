"""Downgrades on protected (default) and unprotected databases."""

from __future__ import annotations

from runtime_project import Project

UPGRADE = """
    op.create_table("audit", sa.Column("id", sa.BigInteger, primary_key=True))
    op.add_column("users", sa.Column("age", sa.Integer()))
    with alembic_safe.allow("AS506", reason="the code reads mail since release 2.0"):
        op.alter_column("users", "email", new_column_name="mail")
"""
DOWNGRADE = """
    op.alter_column("users", "mail", new_column_name="email")
    op.drop_column("users", "age")
    op.drop_table("audit")
"""
UNPROTECTED = "-x", "alembic-safe-protected=false"


def test_protected_database_checks_downgrades_like_upgrades(project: Project) -> None:
    project.migration("a1", UPGRADE, downgrade=DOWNGRADE)
    assert project.alembic("upgrade", "head").returncode == 0
    result = project.alembic("downgrade", "base")
    assert result.returncode != 0
    for rule in ("AS506 rename-column", "AS502 drop-column", "AS501 drop-table"):
        assert rule in result.stderr
    assert "was created by this revision's upgrade" not in result.stderr
    assert project.version() == "a1"


def test_unprotected_database_may_undo_what_the_upgrade_created(project: Project) -> None:
    project.migration("a1", UPGRADE, downgrade=DOWNGRADE)
    assert project.alembic("upgrade", "head").returncode == 0
    result = project.alembic(*UNPROTECTED, "downgrade", "base")
    assert result.returncode == 0, result.stderr
    for rule, name in (("AS506 (rename-column)", "users.mail"),
                       ("AS502 (drop-column)", "users.age"), ("AS501 (drop-table)", "audit")):
        assert (f"{rule} allowed: {name} was created by this revision's upgrade (the database "
                "is not protected)") in result.stderr
    assert project.version() is None
    assert project.scalar("SELECT to_regclass('audit')") is None


def test_unprotected_downgrade_still_refuses_dropping_what_was_there_before(
        project: Project) -> None:
    project.migration("a1", 'op.add_column("users", sa.Column("age", sa.Integer()))',
                      downgrade='op.drop_column("users", "age")\nop.drop_column("users", "email")')
    assert project.alembic("upgrade", "head").returncode == 0
    project.settings(protected="false")
    result = project.alembic("downgrade", "base")
    assert result.returncode != 0
    # checked whole first: the refusal names the pre-existing column, before anything ran
    assert "statement: ALTER TABLE users DROP COLUMN email" in result.stderr
    assert result.stderr.count("\n  help: ") == 1  # users.age was the upgrade's: allowed
    assert project.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass"
                          " AND attname = 'age'") == 1
    assert project.version() == "a1"


def test_protected_setting_sources_and_errors(project: Project) -> None:
    project.migration("a1", 'op.create_table("audit", sa.Column("id", sa.BigInteger))',
                      downgrade='op.drop_table("audit")')
    assert project.alembic("upgrade", "head").returncode == 0
    project.settings(protected="false")
    # the command line wins over the file
    refused = project.alembic("-x", "alembic-safe-protected=true", "downgrade", "base")
    assert refused.returncode != 0 and "AS501" in refused.stderr
    bad = project.alembic("-x", "alembic-safe-protected=maybe", "downgrade", "base")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "alembic-safe: -x alembic-safe-protected=maybe: write true or false" in bad.stderr
    project.settings(protected='"no"')
    wrong = project.alembic("downgrade", "base")
    assert wrong.returncode != 0 and "protected must be true or false" in wrong.stderr
    project.settings(protected="false")
    assert project.alembic("downgrade", "base").returncode == 0
    assert project.version() is None


def test_protected_keyword_of_configure(project: Project) -> None:
    env = project.root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "alembic_safe.configure(context, connection=connection, target_metadata=None)",
        "alembic_safe.configure(context, connection=connection, target_metadata=None, "
        "protected=False)"))
    project.migration("a1", 'op.create_table("audit", sa.Column("id", sa.BigInteger))',
                      downgrade='op.drop_table("audit")')
    assert project.alembic("upgrade", "head").returncode == 0
    result = project.alembic("downgrade", "base")
    assert result.returncode == 0, result.stderr
    assert "allowed: audit was created by this revision's upgrade" in result.stderr


def test_an_upgrade_that_reads_rows_is_known_up_to_the_read(project: Project) -> None:
    project.migration("a1", """
        op.add_column("users", sa.Column("age", sa.Integer()))
        if op.get_bind().execute(sa.text("SELECT count(*) FROM users")).scalar():
            op.add_column("users", sa.Column("note", sa.Text()))
    """, downgrade='op.drop_column("users", "note")\nop.drop_column("users", "age")')
    assert project.alembic("upgrade", "head").returncode == 0
    result = project.alembic(*UNPROTECTED, "downgrade", "base")
    assert result.returncode != 0
    assert ("alembic-safe: revision a1: what its upgrade() creates after line 13 is not known "
            "(it needs the database there), so dropping it is checked as on a protected "
            "database") in result.stderr
    assert "statement: ALTER TABLE users DROP COLUMN note" in result.stderr
    assert result.stderr.count("\n  help: ") == 1  # users.age is known: allowed
    assert project.version() == "a1"
