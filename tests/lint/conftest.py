"""Helpers for the lint tests: run the real CLI in-process and write files in a tmp project."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alembic_safe.cli.main import main


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data

    def codes(self) -> list[str]:
        return [f["rule"] for f in self.json()["findings"]]


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


def migration(body: str, *, header: str = "", downgrade: str = "pass") -> str:
    """An Alembic revision script whose upgrade() is ``body`` (lines count from line 8)."""
    return (
        "import sqlalchemy as sa\n"              # 1
        "from alembic import op\n"               # 2
        f"{header or '# no header'}\n"           # 3
        'revision = "0002"\n'                    # 4
        'down_revision = "0001"\n'               # 5
        "\n"                                     # 6
        "def upgrade():\n"                       # 7
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"  # 8...
        + "\n\ndef downgrade():\n"
        + textwrap.indent(textwrap.dedent(downgrade).strip("\n"), "    ") + "\n"
    )
