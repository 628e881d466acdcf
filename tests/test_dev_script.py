"""``dev.py``: the venv/install step and the order and exit codes of the checks.

The tools inside the virtual environment are stand-in scripts that record how they were called
and exit with a chosen code, so these tests see exactly what dev.py runs, in which order.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("python", "ruff", "mypy", "mkdocs")
RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$DEV_TEST_LOG"
name=$(basename "$0" | tr a-z A-Z)
code=$(eval echo "\\${EXIT_$name:-0}")
if [ "$name" = PYTHON ] && [ "$1" = -m ] && [ "$2" = pytest ]; then code=${EXIT_PYTEST:-0}; fi
exit "$code"
"""


def make_venv(path: Path, *, installed: bool) -> Path:
    """A venv whose tools only record their calls; with a current install stamp if asked."""
    bin_dir = path / "bin"
    bin_dir.mkdir(parents=True)
    for tool in TOOLS:
        script = bin_dir / tool
        script.write_text(RECORDER)
        script.chmod(0o755)
    if installed:
        digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + b"test").hexdigest()
        (path / ".alembic-safe-installed").write_text(digest + "\n")
    return path


def dev(venv: Path, log: Path, *args: str, **exits: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEV_VENV": str(venv), "DEV_TEST_LOG": str(log)}
    env.update({f"EXIT_{name.upper()}": str(code) for name, code in exits.items()})
    return subprocess.run([sys.executable, str(ROOT / "dev.py"), *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "calls.log"


def test_checks_run_in_order_and_pass_pytest_arguments(tmp_path: Path, log: Path) -> None:
    venv = make_venv(tmp_path / "venv", installed=True)
    result = dev(venv, log, "test", "-k", "harness")
    assert result.returncode == 0, result.stderr
    made = calls(log)
    assert [line.split()[0] for line in made] == ["ruff", "mypy", "mkdocs", "python"]
    assert made[0] == "ruff check alembic_safe tests"
    assert made[1] == "mypy alembic_safe"
    assert made[2].startswith("mkdocs build --strict")
    assert made[3] == "python -m pytest -k harness"


def test_no_tests_collected_is_a_failure(tmp_path: Path, log: Path) -> None:
    venv = make_venv(tmp_path / "venv", installed=True)
    result = dev(venv, log, "test", pytest=5)
    assert result.returncode == 1
    assert "collected no tests" in result.stderr


def test_a_failing_step_stops_the_run_with_its_code(tmp_path: Path, log: Path) -> None:
    venv = make_venv(tmp_path / "venv", installed=True)
    result = dev(venv, log, "test", mypy=3)
    assert result.returncode == 3
    assert "mypy failed" in result.stderr
    assert [line.split()[0] for line in calls(log)] == ["ruff", "mypy"]


def test_changed_pyproject_reinstalls_then_stamps(tmp_path: Path, log: Path) -> None:
    venv = make_venv(tmp_path / "venv", installed=False)
    assert dev(venv, log, "demo").returncode == 0
    assert calls(log) == ["python -m pip install -qq --editable .[test]",
                          "python -m alembic_safe.demo"]
    log.unlink()
    assert dev(venv, log, "demo").returncode == 0
    assert calls(log) == ["python -m alembic_safe.demo"]  # stamp current: no reinstall


def test_failed_install_is_reported(tmp_path: Path, log: Path) -> None:
    venv = make_venv(tmp_path / "venv", installed=False)
    result = dev(venv, log, "test", python=1)
    assert result.returncode != 0
    assert "pip install failed" in result.stderr
    assert not (venv / ".alembic-safe-installed").exists()


def test_usage_error_touches_nothing(tmp_path: Path, log: Path) -> None:
    venv = tmp_path / "new-venv"
    result = dev(venv, log, "nonsense")
    assert result.returncode == 2 and "usage:" in result.stderr
    assert not venv.exists()
