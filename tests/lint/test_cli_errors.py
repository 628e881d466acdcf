"""Paths that hold no migration, and unexpected errors of the CLI: exit 2, one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run

from alembic_safe.cli import lint_command

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
CLI = Path(sys.executable).with_name("alembic-safe")


def test_folder_without_migrations_is_a_usage_error(lint: Lint, write: Write) -> None:
    write("app/models.py", "class User: ...\n")
    write("app/__init__.py", "")
    write("migrations/env.py", "from alembic import context\n")
    write("migrations/versions/0001.sql", "SELECT 1;\n")
    (Path("empty")).mkdir()
    run = lint("migrations", "app", "empty")
    assert (run.code, run.out) == (2, "")
    assert run.err == ("alembic-safe: app, empty: no migration to lint (no .sql file, no "
                       "Alembic script defining revision and upgrade); check the path\n")
    assert lint("migrations").code == 0


def test_mistyped_path_is_a_usage_error(lint: Lint, write: Write) -> None:
    write("migrations/versions/0001.sql", "SELECT 1;\n")
    run = lint("migration/versions")
    assert (run.code, run.err) == (2, "alembic-safe: migration/versions: no such file or "
                                      "folder\n")


def test_unexpected_error_exits_2_with_one_line(
    lint: Lint, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker pool died\nsecond line")

    write("a.sql", "SELECT 1;\n")
    monkeypatch.setattr(lint_command, "lint_files", broken)
    monkeypatch.delenv("ALEMBIC_SAFE_DEBUG", raising=False)
    run = lint("a.sql")
    assert (run.code, run.out) == (2, "")
    assert run.err == ("alembic-safe: unexpected error (a bug or a broken installation): "
                       "RuntimeError: worker pool died; run again with ALEMBIC_SAFE_DEBUG=1 "
                       "for the traceback\n")
    monkeypatch.setenv("ALEMBIC_SAFE_DEBUG", "1")
    run = lint("a.sql")
    assert run.code == 2
    assert run.err.startswith("Traceback (most recent call last):")
    assert run.err.endswith("alembic-safe: unexpected error (a bug or a broken installation): "
                            "RuntimeError: worker pool died\n")


def test_broken_installation_through_the_real_command(tmp_path: Path) -> None:
    """A dependency that cannot load (here: pglast's native library) is exit 2, one line."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "pglast.py").write_text(
        'raise ImportError("libpg_query.so: cannot open shared object file")\n')
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    env = {**os.environ, "PYTHONPATH": str(shadow)}
    env.pop("ALEMBIC_SAFE_DEBUG", None)
    result = subprocess.run([str(CLI), "lint", "a.sql"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "alembic-safe: unexpected error (a bug or a broken installation): ImportError: "
        "libpg_query.so: cannot open shared object file; run again with ALEMBIC_SAFE_DEBUG=1 "
        "for the traceback\n")
    env["ALEMBIC_SAFE_DEBUG"] = "1"
    result = subprocess.run([str(CLI), "lint", "a.sql"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "Traceback (most recent call last)" in result.stderr
