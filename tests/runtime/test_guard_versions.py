"""The guard on the live server's major, through the real ``alembic`` command: PostgreSQL 18's
NOT NULL constraints and virtual generated columns, 17's transaction_timeout, and what an older
server gets instead (CI runs these on 18 and on 16)."""

from __future__ import annotations

import pytest
from runtime_project import Project


def major(project: Project) -> int:
    return int(str(project.scalar("SHOW server_version_num"))) // 10000


def test_two_step_not_null_of_18(project: Project) -> None:
    project.migration("a1", 'op.execute("ALTER TABLE users ADD CONSTRAINT email_nn '
                            'NOT NULL email NOT VALID")')
    added = project.alembic("upgrade", "head")
    if major(project) < 18:
        assert added.returncode != 0
        assert "AS004 needs-newer-postgres" in added.stderr
        assert f"PostgreSQL {major(project)} rejects the statement" in added.stderr
        assert project.version() is None
        return
    assert added.returncode == 0, added.stderr
    project.migration("a2", """
        with op.get_context().autocommit_block():
            op.execute("ALTER TABLE users VALIDATE CONSTRAINT email_nn")
    """, down="a1")
    validated = project.alembic("upgrade", "head")
    assert validated.returncode == 0, validated.stderr
    assert project.scalar("SELECT attnotnull FROM pg_attribute "
                          "WHERE attrelid = 'users'::regclass AND attname = 'email'") is True
    # the live catalog knows the validated NOT NULL constraint: SET NOT NULL scans nothing
    project.migration("a3", 'op.alter_column("users", "email", nullable=False)', down="a2")
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert project.version() == "a3"


def test_not_null_constraint_without_not_valid_is_refused_on_18(project: Project) -> None:
    if major(project) < 18:
        pytest.skip("PostgreSQL 18 syntax (refused by AS004 on older majors: test above)")
    project.migration("a1", 'op.execute("ALTER TABLE users ADD CONSTRAINT email_nn '
                            'NOT NULL email")')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "AS206 set-not-null" in result.stderr
    assert "NOT NULL email NOT VALID" in result.stderr  # the two-step way, for this column
    assert project.version() is None


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_computed_column_is_virtual_on_18_and_stored_before(project: Project) -> None:
    # SQLAlchemy renders Computed() without persisted= as VIRTUAL on 18, as STORED before
    project.migration("a1", 'op.add_column("users", sa.Column("twice", sa.Integer(), '
                            'sa.Computed("id * 2")))')
    before = project.scalar("SELECT relfilenode FROM pg_class WHERE relname = 'users'")
    result = project.alembic("upgrade", "head")
    if major(project) >= 18:
        assert result.returncode == 0, result.stderr
        assert project.scalar("SELECT attgenerated FROM pg_attribute WHERE attrelid = "
                              "'users'::regclass AND attname = 'twice'") == "v"
        assert project.scalar("SELECT relfilenode FROM pg_class "
                              "WHERE relname = 'users'") == before  # nothing rewritten
    else:
        assert result.returncode != 0
        assert "AS203 add-column-stored-generated" in result.stderr
        assert project.version() is None


def test_transaction_timeout_is_set_where_it_exists(project: Project) -> None:
    project.settings(transaction_timeout='"10min"')
    project.migration("a1", 'print("transaction_timeout:", op.get_bind().exec_driver_sql('
                            '"SELECT current_setting(\'transaction_timeout\', true)").scalar())')
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    expected = "10min" if major(project) >= 17 else "None"
    assert f"transaction_timeout: {expected}" in result.stderr
    assert project.version() == "a1"
