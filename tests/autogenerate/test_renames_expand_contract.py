"""The expand/contract alternative to a rename, as docs/renames.md shows it
(``examples/billing/unsafe_examples/rename_expand.py`` and ``rename_contract.py``), on the
example app through the real ``alembic`` command with the guard: while both application
versions run, a write through either column name shows in the other; the contract step drops
the old column; no row loses its name; ``alembic check`` is clean after each step."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from alembic_safe.demo_catalog import column_fingerprint, seed_untrimmed_payers

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "billing"
NAME = "    name: Mapped[str]\n    payer_code"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    copy = tmp_path / "billing"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _alembic(app: Path, url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=app, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _models(app: Path, columns: str) -> None:
    """The example app's models with payers.name replaced by ``columns``."""
    text = (EXAMPLE / "billing" / "models.py").read_text()
    assert NAME in text
    (app / "billing" / "models.py").write_text(text.replace(NAME, columns + "\n    payer_code"))


def _step(app: Path, example: str, revision: str) -> None:
    shutil.copy(app / "unsafe_examples" / example, app / "migrations" / "versions" / revision)


def test_expand_then_contract_keeps_every_name(app: Path, pg_url: str) -> None:
    _alembic(app, pg_url, "upgrade", "head")
    seed_untrimmed_payers(pg_url, 1500)
    before = column_fingerprint(pg_url, "payers", "name")
    engine = sa.create_engine(pg_url)
    try:
        _step(app, "rename_expand.py", "0003_rename_expand.py")
        _models(app, "    name: Mapped[str]\n    display_name: Mapped[str | None]")
        applied = _alembic(app, pg_url, "upgrade", "head")
        assert "AS5" not in applied  # nothing refused, nothing to opt out of
        assert column_fingerprint(pg_url, "payers", "display_name") == before
        with engine.begin() as conn:  # the two application versions, side by side
            conn.exec_driver_sql("INSERT INTO payers (name, payer_code) VALUES ('old', 'O1')")
            conn.exec_driver_sql(
                "INSERT INTO payers (display_name, payer_code) VALUES ('new', 'N1')")
            conn.exec_driver_sql("UPDATE payers SET name = 'old 2' WHERE payer_code = 'O1'")
            conn.exec_driver_sql(
                "UPDATE payers SET display_name = 'new 2' WHERE payer_code = 'N1'")
            assert conn.exec_driver_sql(
                "SELECT payer_code, name, display_name FROM payers WHERE payer_code IN "
                "('O1', 'N1') ORDER BY 1").all() == [("N1", "new 2", "new 2"),
                                                     ("O1", "old 2", "old 2")]
            conn.exec_driver_sql("DELETE FROM payers WHERE payer_code IN ('O1', 'N1')")
        assert "No new upgrade operations detected" in _alembic(app, pg_url, "check")
        _step(app, "rename_contract.py", "0004_rename_contract.py")
        _models(app, "    display_name: Mapped[str]")
        applied = _alembic(app, pg_url, "upgrade", "head")
        assert "AS502 (drop-column) allowed by allow(): no running version uses payers.name" \
            in applied
        assert column_fingerprint(pg_url, "payers", "display_name") == before
        with engine.connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'payers'::regclass "
                "AND attname = 'display_name'").scalar_one() is True
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'payers'::regclass "
                "AND NOT tgisinternal").scalar_one() == 0
        assert "No new upgrade operations detected" in _alembic(app, pg_url, "check")
    finally:
        engine.dispose()
