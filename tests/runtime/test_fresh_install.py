"""A run that starts on an empty database is a fresh install: only what fails is refused."""

from __future__ import annotations

import re

from runtime_project import Project

from alembic_safe.batched_backfill import PROGRESS_TABLE

FRESH = "alembic-safe: fresh install: the database has no applied revision and no tables"
USERS = """
    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(100)))
"""
#: on a table that exists before the revision: AS101, AS205, AS201, AS502 and AS803
UNSAFE = """
    op.create_index("ix_users_email", "users", ["email"])
    op.alter_column("users", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
    op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))
    op.drop_column("users", "email")
"""


def test_fresh_install_allows_all_but_what_fails_and_says_so_once(empty: Project) -> None:
    empty.migration("a1", USERS)
    empty.migration("b2", UNSAFE, down="a1")
    result = empty.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(FRESH) == 1
    assert result.stderr.index(FRESH) < result.stderr.index("revision a1 (upgrade) applied")
    # no line per finding: no warning (AS803 varchar), no "allowed"
    assert not re.search(r"\bAS\d{3}\b", result.stderr)
    assert empty.version() == "b2"
    assert empty.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                        "WHERE attrelid = 'users'::regclass AND attname = 'id'") == "bigint"


def test_fresh_install_still_refuses_what_postgresql_refuses(empty: Project) -> None:
    """Listing every such error of the revision (it is checked whole once one is refused)."""
    empty.migration("a1", USERS)
    empty.migration("b2", """
        op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
        op.execute("ALTER TABLE users ADD COLUM age int")
        op.create_index("ix_users_id", "users", ["id"])
    """, down="a1")
    result = empty.alembic("upgrade", "head")
    assert result.returncode != 0
    assert FRESH in result.stderr
    assert re.findall(r"^\S+:\d+: (AS\d{3}) ", result.stderr, flags=re.MULTILINE) == [
        "AS103", "AS001"]
    assert "Traceback" not in result.stderr
    assert empty.version() == "a1"


def test_bookkeeping_and_extension_tables_do_not_count(empty: Project) -> None:
    empty.execute(f"CREATE TABLE {PROGRESS_TABLE} (name text PRIMARY KEY)")
    empty.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
    empty.execute("CREATE TABLE extension_owned (id int)")
    # a table owned by an extension (what CREATE EXTENSION postgis makes of spatial_ref_sys);
    # plpgsql is installed everywhere, the embedded servers ship no contrib extensions
    empty.execute("ALTER EXTENSION plpgsql ADD TABLE extension_owned")
    empty.migration("a1", USERS)
    empty.migration("b2", UNSAFE, down="a1")
    result = empty.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert FRESH in result.stderr


def test_a_user_table_anywhere_means_not_fresh(empty: Project) -> None:
    empty.execute("CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int)")
    empty.migration("a1", USERS)
    empty.migration("b2", "op.drop_table('users')", down="a1")
    result = empty.alembic("upgrade", "head")
    assert FRESH not in result.stderr
    assert result.returncode != 0
    assert "AS501 drop-table" in result.stderr  # data loss is never relaxed on empty tables
    assert empty.version() == "a1"


def test_an_applied_revision_means_not_fresh(empty: Project) -> None:
    empty.migration("a1", "pass")
    assert empty.alembic("upgrade", "a1").returncode == 0
    empty.migration("b2", USERS, down="a1")
    empty.migration("c3", "op.drop_table('users')", down="b2")
    result = empty.alembic("upgrade", "head")
    assert FRESH not in result.stderr
    assert result.returncode != 0 and "AS501 drop-table" in result.stderr
    assert empty.version() == "b2"


def test_stamping_an_empty_database_is_no_install(empty: Project) -> None:
    empty.migration("a1", USERS)
    result = empty.alembic("stamp", "head")
    assert result.returncode == 0, result.stderr
    assert FRESH not in result.stderr
    assert empty.version() == "a1"


def test_an_error_only_the_online_run_meets_is_listed_too(empty: Project) -> None:
    empty.migration("a1", USERS)
    empty.migration("b2", """
        if not context.is_offline_mode():
            op.create_index("ix_users_email", "users", ["email"],
                            postgresql_concurrently=True)
    """, down="a1", header="from alembic import context")
    result = empty.alembic("upgrade", "head")
    assert result.returncode != 0
    assert re.findall(r"^\S+:\d+: (AS\d{3}) ", result.stderr, flags=re.MULTILINE) == ["AS103"]
    assert empty.version() == "a1"
