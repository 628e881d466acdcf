"""The offline capture yields exactly what PostgreSQL runs: replay it on a real server."""

from __future__ import annotations

import textwrap
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from alembic_safe.capture.location import script_line
from alembic_safe.capture.offline import OfflineScript

SCRIPT = '''
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table("invoices", sa.Column("id", sa.BigInteger(), primary_key=True),
                    sa.Column("status", sa.Enum("open", "paid", name="invoice_status")))
    op.add_column("users", sa.Column("note", sa.Text(), server_default="n/a"))
    with op.get_context().autocommit_block():
        op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    op.execute("UPDATE users SET note = 'x:y' WHERE id < 10")


def downgrade():
    op.drop_index("ix_users_email", "users")
    op.drop_column("users", "note")
    op.drop_table("invoices")
    op.execute("DROP TYPE invoice_status")
'''


def _replay(dsn: str, statements: list[tuple[str, bool]]) -> None:
    """Run each statement as Alembic would: in one transaction, except the autocommit ones."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        open_ = False
        for sql, in_transaction in statements:
            if in_transaction and not open_:
                conn.execute("BEGIN")
                open_ = True
            elif not in_transaction and open_:
                conn.execute("COMMIT")
                open_ = False
            conn.execute(sql.encode())
            if sql == "COMMIT":  # what the script's op.get_bind().commit() captured
                open_ = False
        if open_:
            conn.execute("COMMIT")


def test_captured_sql_runs_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "0002_invoices.py"
    path.write_text(textwrap.dedent(SCRIPT).lstrip())
    script = OfflineScript(path)
    up = script.render("upgrade")
    assert [(c.in_transaction, c.line) for c in up] == [
        (True, 9), (True, 9), (True, 11), (False, 13), (True, 14)]
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    _replay(dsn, [(c.sql, c.in_transaction) for c in up])
    with psycopg.connect(dsn) as conn:
        indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'users' "
                               "ORDER BY 1").fetchall()
        assert indexes == [("ix_users_email",), ("users_pkey",)]
        assert conn.execute("SELECT to_regclass('invoices')::text").fetchone() == ("invoices",)
    down = script.render("downgrade")
    _replay(dsn, [(c.sql, c.in_transaction) for c in down])
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('invoices')").fetchone() == (None,)


def test_script_line_outside_the_script_is_none(tmp_path: Path) -> None:
    assert script_line(tmp_path / "elsewhere.py") is None
    assert script_line(__file__) is not None


COMMITTING = '''
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.add_column("users", sa.Column("note", sa.Text()))
    op.get_bind().commit()
    with op.get_context().autocommit_block():
        op.create_index("ix_users_note", "users", ["note"], postgresql_concurrently=True)
    op.execute("UPDATE users SET note = 'n/a' WHERE id < 10")
'''


def test_commit_captured_runs_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """op.get_bind().commit() ends the transaction: the concurrent build after it runs."""
    path = tmp_path / "0003_note.py"
    path.write_text(textwrap.dedent(COMMITTING).lstrip())
    up = OfflineScript(path).render()
    assert [(c.sql.split()[0], c.in_transaction, c.line) for c in up] == [
        ("ALTER", True, 9), ("COMMIT", True, 10), ("CREATE", False, 12), ("UPDATE", True, 13)]
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    _replay(dsn, [(c.sql, c.in_transaction) for c in up])
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                            "'ix_users_note'::regclass").fetchone() == (True,)
