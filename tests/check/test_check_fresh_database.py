"""CI usually runs ``alembic check`` and lint on an empty database: they still treat every
table that exists before a migration as populated, while the runtime guard lets the same
history install on that empty database (a fresh install)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from check_project import ENV_CONFIGURE, UNSAFE_INDEX, make_project


def test_check_and_lint_flag_what_a_fresh_install_allows(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path / "app", pg_url, ENV_CONFIGURE)
    project.models(index=True)
    project.migration("0002_index", UNSAFE_INDEX, revision="0002", down="0001")

    check = project.alembic("check")
    assert check.returncode != 0
    assert "0002_index.py:" in check.stderr
    assert "AS101 create-index-not-concurrent" in check.stderr

    command = shutil.which("alembic-safe", path=str(Path(sys.executable).parent))
    assert command is not None
    lint = subprocess.run([command, "lint", "migrations/versions"], cwd=project.root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert "AS101 create-index-not-concurrent" in lint.stdout

    upgrade = project.alembic("upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "alembic-safe: fresh install" in upgrade.stderr
