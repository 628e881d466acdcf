"""A refusal lists every error finding of the revision, before any of it runs."""

from __future__ import annotations

import re

from runtime_project import Project

FOUR_UNSAFE = """
    with op.get_context().autocommit_block():
        op.create_index("ix_users_id_email", "users", ["id", "email"],
                        postgresql_concurrently=True)
    op.add_column("users", sa.Column("note", sa.String(20)))
    op.create_index("ix_users_email", "users", ["email"])
    op.alter_column("users", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
    op.alter_column("users", "email", nullable=False)
    op.create_unique_constraint("uq_users_email", "users", ["email"])
"""


def test_every_error_is_listed_once_and_nothing_runs(project: Project) -> None:
    path = project.migration("a1", FOUR_UNSAFE)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = path.read_text().splitlines()
    expected = {
        "AS101 create-index-not-concurrent": 'op.create_index("ix_users_email"',
        "AS205 alter-column-type": 'op.alter_column("users", "id"',
        "AS206 set-not-null": 'op.alter_column("users", "email"',
        "AS303 add-unique-without-index": "op.create_unique_constraint(",
    }
    for rule, call in expected.items():
        line = next(i for i, text in enumerate(lines, start=1) if call in text)
        assert f"\n{path.resolve()}:{line}: {rule} " in result.stderr
        assert f"{rule} ({path.resolve()}:{line})" in result.stderr  # in the summary
    assert result.stderr.count("\n  help: ") == 4  # each once: no second report as they run
    assert result.stderr.count("FAILED: alembic-safe refused revision a1: ") == 1
    assert "the statements, why and the safe way are printed above" in result.stderr
    # refused before any of it ran: the autocommit block's index would be committed already
    assert project.scalar("SELECT to_regclass('ix_users_id_email')") is None
    assert project.version() is None
    # warnings are printed when statements run, so not for a refused revision
    assert "warning" not in result.stderr


def test_warnings_and_allowed_findings_are_printed_once(project: Project) -> None:
    project.execute("CREATE INDEX ix_users_id ON users (id)")
    project.migration("a1", """
        with alembic_safe.allow("AS101", reason="users has 3 rows"):
            op.create_index("ix_users_email", "users", ["email"])
        op.drop_index("ix_users_id", table_name="users")
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning: revision a1") == 1
    assert result.stderr.count("AS102 drop-index-not-concurrent") == 1
    assert result.stderr.count("allowed by allow(): users has 3 rows") == 1
    assert project.version() == "a1"


READ_ROWS = 'count = op.get_bind().execute(sa.text("SELECT count(*) FROM users")).scalar()'


def test_a_script_that_reads_rows_is_checked_ahead_up_to_the_read(project: Project) -> None:
    project.migration("a1", f"""
        op.create_index("ix_users_email", "users", ["email"])
        op.alter_column("users", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
        {READ_ROWS}
        op.alter_column("users", "email", nullable=False)
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert refused_rules(result.stderr) == ["AS101", "AS205"]  # all those before the read
    assert "checked ahead" not in result.stderr
    assert project.version() is None


def test_after_the_read_statements_are_checked_as_they_run(project: Project) -> None:
    path = project.migration("a1", f"""
        op.add_column("users", sa.Column("age", sa.Integer()))
        {READ_ROWS}
        op.create_index("ix_users_email", "users", ["email"])
        op.alter_column("users", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
    """)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert (f"alembic-safe: revision a1: checked ahead up to {path}:13, the rest statement by "
            "statement as it runs: upgrade() needs a live database") in result.stderr
    assert refused_rules(result.stderr) == ["AS101"]  # the first one met as they run
    assert project.version() is None
    project.migration("a1", f"""
        {READ_ROWS}
        op.add_column("users", sa.Column("age", sa.Integer()))
    """)
    applied = project.alembic("upgrade", "head")
    assert applied.returncode == 0, applied.stderr
    assert project.version() == "a1"


def refused_rules(stderr: str) -> list[str]:
    return re.findall(r"^\S+:\d+: (AS\d{3}) ", stderr, flags=re.MULTILINE)


def test_offline_sql_lists_every_error_too(project: Project) -> None:
    project.migration("a1", FOUR_UNSAFE)
    result = project.alembic("upgrade", "head", "--sql")
    assert result.returncode != 0
    for rule in ("AS101", "AS205", "AS206", "AS303"):
        assert f": {rule} " in result.stderr
    assert "CREATE INDEX ix_users_email" not in result.stdout
