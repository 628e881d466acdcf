"""Lint renders what `alembic upgrade --sql` writes: the documented backfill, module-level
``op``/``context`` use, and one-line errors for scripts that misuse them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from lint_helpers import Run, migration

from alembic_safe.batched_backfill import BackfillError, backfill
from alembic_safe.capture.offline import OfflineScript

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "billing" / "unsafe_examples"
           / "trim_payer_names_fixed.py")
BACKFILL = """
    op.add_column("users", sa.Column("note", sa.Text()))
    with op.get_context().autocommit_block():
        alembic_safe.backfill(op.get_bind(), table="users", set="note = 'n/a'",
                              where="note IS NULL", batch_size=500)
"""


def test_the_example_backfill_lints_clean(lint: Lint) -> None:
    run = lint(str(EXAMPLE), "--format", "json")
    assert (run.code, run.json()["findings"], run.json()["statements"]) == (0, [], 2)
    assert lint(str(EXAMPLE)).out == "0 errors, 0 warnings in 1 files (2 statements)\n"


def test_backfill_is_rendered_outside_the_transaction_at_its_line(write: Write) -> None:
    path = write("m.py", migration(BACKFILL, header="import alembic_safe"))
    captured = OfflineScript(path).render()
    assert [(c.sql.split()[0], c.in_transaction, c.line) for c in captured] == [
        ("ALTER", True, 8), ("--", False, 10), ("DO", False, 10)]
    checks, batches = captured[1].sql, captured[2].sql
    assert "DO $alembic_safe$" in checks and "batches of 500 keys by \"id\"" in checks
    assert ('UPDATE users SET note = \'n/a\'\n        WHERE "id" >= alembic_safe_backfill.'
            'lower_bound AND "id" <= alembic_safe_backfill.upper_bound AND (note IS NULL);'
            ) in batches


def test_backfill_in_the_migration_transaction_is_one_line(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        op.add_column("users", sa.Column("note", sa.Text()))
        alembic_safe.backfill(op.get_bind(), table="users", set="note = 'n/a'")
    """, header="import alembic_safe"))
    run = lint("m.py")
    assert run.code == 2
    assert run.err == ("alembic-safe: m.py:9: backfill: the connection is inside a "
                       "transaction, so batches could not commit one by one; in a migration "
                       "call it inside `with op.get_context().autocommit_block():`\n")


def test_bad_backfill_sql_is_one_line(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        with op.get_context().autocommit_block():
            alembic_safe.backfill(op.get_bind(), table="users", set="note = 1; DROP TABLE x")
    """, header="import alembic_safe"))
    run = lint("m.py")
    assert run.code == 2
    assert run.err == ("alembic-safe: m.py:9: backfill: set='note = 1; DROP TABLE x' must be "
                       "only the assignments of SET (column = expression, ...): put conditions "
                       "in where=, nothing else is allowed\n")


def test_module_level_op_and_context(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        if not OFFLINE:
            op.drop_table("never")
        bind.execute(sa.text("UPDATE users SET email = lower(email)"))
    """, header="from alembic import context\nbind = op.get_bind()\n"
                "OFFLINE = context.is_offline_mode()"))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.codes()) == (1, ["AS602"])  # the UPDATE, through the module's bind
    assert run.json()["findings"][0]["line"] == 12


def test_sql_run_at_import_is_one_line(lint: Lint, write: Write) -> None:
    write("m.py", migration("pass", header='op.execute("DROP TABLE legacy")'))
    run = lint("m.py")
    assert run.code == 2
    assert run.err == ("alembic-safe: m.py:3: executes SQL when it is imported (DROP TABLE "
                       "legacy;); Alembic runs that whenever it loads the scripts, for every "
                       "revision: move it into upgrade()\n")


def test_wrong_allow_is_one_line_at_its_line(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        op.execute("SET lock_timeout = '3s'")
        with alembic_safe.allow("AS1O1", reason="tiny table"):
            op.create_index("ix", "users", ["email"])
    """, header="import alembic_safe"))
    run = lint("m.py")
    assert run.code == 2
    assert run.err == ("alembic-safe: m.py:9: alembic_safe.allow(): unknown rule 'AS1O1'; "
                       "codes and names are listed in the rules reference (docs/rules.md)\n")


def test_a_mock_connection_outside_a_migration_is_refused() -> None:
    mock = sa.create_mock_engine("postgresql://", lambda *args, **kwargs: None)
    with pytest.raises(BackfillError) as failure:
        backfill(mock, table="users", set="note = 'n/a'")
    assert str(failure.value) == (
        "backfill: got a SQLAlchemy mock connection outside an offline Alembic migration; "
        "offline, pass op.get_bind() from the running migration")
