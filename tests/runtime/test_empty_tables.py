"""Empty tables and tables created earlier in the run: no lock, scan or rewrite refusals.

The ``project`` fixture's database is not a fresh install: ``users`` holds 3 rows (never
analyzed: ``reltuples`` is -1).
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
import sqlalchemy as sa
from runtime_project import Project

AUDIT = "CREATE TABLE audit (id int PRIMARY KEY, user_id int, note text)"


@pytest.fixture
def audit(project: Project) -> Project:
    """``project`` with an empty table ``audit`` created before the run."""
    project.execute(AUDIT)
    return project


def test_lock_rewrite_and_fails_on_rows_findings_are_allowed_on_an_empty_table(
        audit: Project) -> None:
    audit.migration("a1", """
        op.create_index("ix_audit_note", "audit", ["note"])
        op.alter_column("audit", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
        op.add_column("audit", sa.Column("at", sa.DateTime(timezone=True), nullable=False))
        op.alter_column("audit", "note", nullable=False)
    """)
    result = audit.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    for rule in ("AS101 (create-index-not-concurrent)", "AS205 (alter-column-type)",
                 "AS201 (add-column-not-null-without-default)", "AS206 (set-not-null)"):
        assert f"{rule} allowed: audit has no rows" in result.stderr
    assert "fresh install" not in result.stderr
    assert audit.version() == "a1"


def test_the_same_revision_on_a_table_with_rows_is_refused(project: Project) -> None:
    project.migration("a1", 'op.create_index("ix_users_email", "users", ["email"])')
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "AS101" in result.stderr and "has no rows" not in result.stderr
    assert project.version() is None


def test_analyzed_empty_and_never_analyzed_populated_tables(audit: Project) -> None:
    """reltuples is neither trusted as "empty" (0 after ANALYZE of an emptied table) nor as
    "big" (-1 before any ANALYZE): the table is read."""
    audit.execute("INSERT INTO audit VALUES (1, 1, 'x')")
    audit.execute("ANALYZE audit")
    audit.execute("DELETE FROM audit")
    audit.execute("ANALYZE users")  # reltuples 3
    audit.execute("INSERT INTO users SELECT g, 'u' || g FROM generate_series(4, 9) g")
    audit.migration("a1", 'op.create_index("ix_audit_note", "audit", ["note"])')
    audit.migration("b2", 'op.create_index("ix_users_email", "users", ["email"])', down="a1")
    result = audit.alembic("upgrade", "head")
    assert "AS101 (create-index-not-concurrent) allowed: audit has no rows" in result.stderr
    assert result.returncode != 0 and "revision b2" in result.stderr
    assert audit.version() == "a1"


def test_foreign_key_needs_the_altered_table_empty_not_the_referenced_one(
        audit: Project) -> None:
    audit.migration("a1", 'op.create_foreign_key("fk_audit_user", "audit", "users", '
                          '["user_id"], ["id"])')
    result = audit.alembic("upgrade", "a1")
    assert result.returncode == 0, result.stderr
    assert "AS301 (add-foreign-key-without-not-valid) allowed: audit has no rows" \
        in result.stderr
    audit.execute("ALTER TABLE users ADD COLUMN audit_id int")
    audit.migration("b2", 'op.create_foreign_key("fk_users_audit", "users", "audit", '
                          '["audit_id"], ["id"])', down="a1")
    refused = audit.alembic("upgrade", "head")
    assert refused.returncode != 0 and "AS301" in refused.stderr
    assert audit.version() == "a1"


def test_rows_added_earlier_in_the_revision_count(audit: Project) -> None:
    audit.migration("a1", """
        op.bulk_insert(sa.table("audit", sa.column("id"), sa.column("note")),
                       [{"id": 1, "note": "a"}, {"id": 2, "note": "b"}])
        op.create_index("ix_audit_note", "audit", ["note"])
    """)
    result = audit.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "AS101" in result.stderr and "has no rows" not in result.stderr
    assert audit.scalar("SELECT count(*) FROM audit") == 0  # refused before anything ran


def test_what_fails_or_destroys_is_never_relaxed_on_an_empty_table(audit: Project) -> None:
    audit.migration("a1", 'op.create_index("ix_audit_note", "audit", ["note"], '
                          "postgresql_concurrently=True)")
    refused = audit.alembic("upgrade", "head")
    assert refused.returncode != 0 and "AS103" in refused.stderr
    assert "has no rows" not in refused.stderr
    audit.migration("a1", 'op.drop_table("audit")')
    dropped = audit.alembic("upgrade", "head")
    assert dropped.returncode != 0 and "AS501 drop-table" in dropped.stderr
    assert audit.version() is None


def test_quoted_names_other_schemas_and_partitioned_tables(project: Project) -> None:
    project.execute('CREATE SCHEMA "Ops"; CREATE TABLE "Ops"."Audit Log" (id int, note text)')
    project.execute("CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);"
                    "CREATE TABLE events_2024 PARTITION OF events "
                    "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    project.migration("a1", """
        op.create_index("ix_audit_log_note", "Audit Log", ["note"], schema="Ops")
        op.create_index("ix_events_id", "events", ["id"])
    """)
    result = project.alembic("upgrade", "a1")
    assert result.returncode == 0, result.stderr
    assert "allowed: Ops.Audit Log has no rows" in result.stderr
    assert "allowed: events has no rows" in result.stderr
    # a partitioned table is empty only when every partition is: its own storage is none
    project.execute("INSERT INTO events VALUES (1, '2024-05-01')")
    project.migration("b2", 'op.create_index("ix_events_at", "events", ["at"])', down="a1")
    refused = project.alembic("upgrade", "head")
    assert refused.returncode != 0 and "AS101" in refused.stderr
    assert project.version() == "a1"


def test_tables_created_earlier_in_the_run_are_new(project: Project) -> None:
    """Not a fresh install (users has rows): a table made by an earlier revision of the same
    run is new, as one made earlier in the same migration is, even once it has rows."""
    project.migration("a1", """
        op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("user_id", sa.Integer), sa.Column("total", sa.Integer))
    """)
    project.migration("b2", """
        op.bulk_insert(sa.table("orders", sa.column("id"), sa.column("total")),
                       [{"id": 1, "total": 5}])
    """, down="a1")
    later = """
        op.create_index("ix_orders_user_id", "orders", ["user_id"])
        op.alter_column("orders", "total", type_=sa.BigInteger(), existing_type=sa.Integer())
        op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"])
    """
    project.migration("c3", later, down="b2")
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "allowed" not in result.stderr
    assert not any(rule in result.stderr for rule in ("AS101", "AS205", "AS301"))
    assert project.version() == "c3"
    # the same statements on the table once it existed before the run: refused
    project.migration("d4", later.replace("ix_orders_user_id", "ix_orders_user_id_2")
                      .replace("BigInteger", "Numeric").replace("fk_orders_user", "fk_2"),
                      down="c3")
    refused = project.alembic("upgrade", "head")
    assert refused.returncode != 0
    assert all(rule in refused.stderr for rule in ("AS101", "AS205", "AS301"))
    assert project.version() == "c3"


def test_reading_a_locked_empty_table_waits_lock_timeout_then_retries(audit: Project) -> None:
    """Reading whether a table is empty waits behind an ACCESS EXCLUSIVE holder like the
    migration's own statements: at most lock_timeout, then the migration is retried."""
    audit.settings(lock_timeout='"300ms"', lock_retries="10", lock_retry_backoff='"200ms"')
    audit.migration("a1", 'op.create_index("ix_audit_note", "audit", ["note"])')
    holder = sa.create_engine(audit.url)
    watcher = sa.create_engine(audit.url)
    results: list[subprocess.CompletedProcess[str]] = []
    with holder.connect() as conn, watcher.connect() as watch:
        conn.exec_driver_sql("LOCK TABLE audit IN ACCESS EXCLUSIVE MODE")
        upgrade = threading.Thread(target=lambda: results.append(audit.alembic("upgrade",
                                                                               "head")))
        upgrade.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not watch.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE relation = 'audit'::regclass "
                "AND NOT granted").scalar():
            watch.rollback()
            time.sleep(0.02)
        time.sleep(0.5)  # longer than lock_timeout: the first attempt gives up
        conn.rollback()
        upgrade.join()
    holder.dispose()
    watcher.dispose()
    result = results[0]
    assert result.returncode == 0, result.stderr
    assert "retrying the migration's transaction" in result.stderr
    assert "AS101 (create-index-not-concurrent) allowed: audit has no rows" in result.stderr
    assert audit.version() == "a1"


def test_the_whole_revision_check_adds_no_log_lines(audit: Project) -> None:
    """Rendering a revision ahead makes an offline Alembic context, which logs at INFO."""
    ini = audit.root / "alembic.ini"
    ini.write_text(ini.read_text() + LOGGING)
    env = audit.root / "migrations" / "env.py"
    env.write_text("from logging.config import fileConfig\nfrom alembic import context\n"
                   "fileConfig(context.config.config_file_name)\n" + env.read_text())
    audit.migration("a1", 'op.create_index("ix_audit_note", "audit", ["note"])')
    result = audit.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> a1" in result.stderr  # Alembic's INFO lines are shown
    assert "Generating static SQL" not in result.stderr
    assert result.stderr.count("Context impl PostgresqlImpl.") == 1


LOGGING = """
[loggers]
keys = root,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""
