"""Helpers for the lint tests: run the real CLI in-process and write files in a tmp project."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run

from alembic_safe.cli.main import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory (its own pyproject.toml)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write(project: Path) -> Callable[[str, str], Path]:
    def _write(name: str, text: str) -> Path:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return _write


@pytest.fixture
def lint(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def _lint(*args: str) -> Run:
        try:
            code = main(["lint", *args])
        except SystemExit as exc:  # argparse errors and --help
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return _lint
