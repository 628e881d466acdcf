"""The README and the docs site: documented settings, the two set-up commands, a strict build."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from alembic_safe.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETUP_COMMANDS = [
    "python3 dev.py demo    # creates .venv, starts an embedded PostgreSQL, runs the example app",
    "python3 dev.py test    # creates .venv, installs, runs lint, types, docs build and the test "
    "suite",
]
GUARDED_CONFIGURE = (
    "alembic_safe.configure(context, connection=connection, target_metadata=target_metadata)"
)


def code_blocks(markdown: str) -> list[list[str]]:
    """The lines of each fenced code block."""
    return [block.strip("\n").splitlines()
            for block in re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.S | re.M)]


def section(markdown: str, title: str) -> str:
    start = markdown.index(f"\n## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


@pytest.mark.parametrize("name", [f.name for f in fields(Settings)])
def test_every_setting_is_documented(name: str) -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{name}` \| ([^|]+) \| ([^|]+) \|$", configuration, re.M)
    assert row is not None, f"docs/configuration.md has no table row for {name}"
    default, meaning = (cell.strip() for cell in row.groups())
    assert default and len(meaning) > 20


def test_documented_defaults_match_settings() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    defaults = Settings()
    for name in ("render", "lock_timeout", "statement_timeout", "long_statement_timeout",
                 "transaction_timeout", "lock_retry_backoff"):
        assert f'| `{name}` | `"{getattr(defaults, name)}"` |' in configuration
    for name in ("lock_retries", "pg_version", "small_table_rows", "slow_statement_ms"):
        assert f"| `{name}` | `{getattr(defaults, name)}` |" in configuration
    assert "| `drift_gate` | `true` |" in configuration
    assert "| `protected` | `true` |" in configuration


def test_readme_setup_is_exactly_the_two_dev_commands() -> None:
    blocks = code_blocks(section(README, "Set up"))
    assert blocks == [SETUP_COMMANDS]
    every_command = [line for block in code_blocks(README) for line in block]
    assert [line for line in every_command if "dev.py" in line] == SETUP_COMMANDS
    assert not any(line.lstrip().startswith(("pip ", "python -m venv")) for line in every_command)


def test_readme_shows_the_env_py_integration_of_the_example_app() -> None:
    env_py = (ROOT / "examples" / "billing" / "migrations" / "env.py").read_text(encoding="utf-8")
    for text in (GUARDED_CONFIGURE, "import alembic_safe"):
        assert text in README
        assert text in env_py
    assert GUARDED_CONFIGURE in (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")


def test_readme_links_resolve() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert local, "the README links to the docs pages"
    for link in local:
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_readme_marks_future_commands_as_planned() -> None:
    later = section(README, "Now and later")
    planned = later[later.index("Planned") :]
    for command in ("plan", "verify", "drift", "fleet upgrade"):
        assert f"alembic-safe {command}" in planned


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for page in ("index.html", "getting-started/index.html", "configuration/index.html"):
        assert (tmp_path / "site" / page).is_file()
