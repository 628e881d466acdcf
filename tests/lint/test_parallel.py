"""``alembic-safe lint --jobs``: .sql files linted in worker processes print what a serial run
prints, in the same order, with the same exit code and the same first error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run, migration

from alembic_safe.lint.parallel import MIN_FILES, workers

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]

#: statements that give each file different findings, look-back rules included
BODIES = [
    "CREATE INDEX ix_users_email ON users (email);\n",
    "SET lock_timeout = '3s';\nSELECT 1;\n",
    "BEGIN;\nALTER TABLE claims ADD CONSTRAINT claims_fk FOREIGN KEY (user_id) REFERENCES users "
    "(id) NOT VALID;\nALTER TABLE claims VALIDATE CONSTRAINT claims_fk;\nCOMMIT;\n",
    "BEGIN;\nALTER TABLE claims ADD COLUMN note text;\nUPDATE claims SET note = 'x';\nCOMMIT;\n",
    "-- alembic-safe: allow AS101 because users is tiny\n"
    "CREATE INDEX ix_users_name ON users (name);\n",
    "ALTER TABLE claims ADD COLUMN status varchar(20);\nBEGIN;\n",
    "SELECT 1;\n",
]


@pytest.fixture
def folder(write: Write) -> Path:
    """Twelve .sql files in two folders and an Alembic script between them."""
    for number in range(12):
        write(f"db/{'a' if number < 6 else 'b'}/{number:02}.sql",
              BODIES[number % len(BODIES)])
    write("db/a/zz_0002_claims.py",
          migration('op.create_index("ix_claims_user", "claims", ["user_id"])'))
    return Path("db")


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_parallel_output_is_the_serial_output(lint: Lint, folder: Path, fmt: str) -> None:
    serial = lint(str(folder), "--format", fmt, "--jobs", "1")
    assert serial.code == 1 and serial.out
    for jobs in (["--jobs", "2"], ["--jobs", "3"], []):
        run = lint(str(folder), "--format", fmt, *jobs)
        assert (run.code, run.out, run.err) == (serial.code, serial.out, serial.err)


def test_files_in_order(lint: Lint, folder: Path) -> None:
    data = lint(str(folder), "--format", "json", "--jobs", "2").json()
    assert data["files"] == 13
    order = [*(f"db/a/{n:02}.sql" for n in range(6)), "db/a/zz_0002_claims.py",
             *(f"db/b/{n:02}.sql" for n in range(6, 12))]
    paths = [f["path"] for f in data["findings"]]
    assert "db/a/zz_0002_claims.py" in paths and "db/b/07.sql" in paths
    assert paths == sorted(paths, key=order.index)


def test_broken_files_are_reported_in_both_modes(lint: Lint, folder: Path) -> None:
    (folder / "b" / "07.sql").write_bytes(b"SELECT '\xff';\n")
    (folder / "b" / "09.sql").write_bytes(b"SELECT '\xfe';\n")
    serial = lint(str(folder), "--jobs", "1", "--format", "json")
    parallel = lint(str(folder), "--jobs", "2", "--format", "json")
    assert serial.code == parallel.code == 2
    assert (serial.out, serial.err) == (parallel.out, parallel.err)
    # both broken files are named, in file order, and the other files are still linted
    assert serial.err.splitlines() == [
        f"alembic-safe: {folder / 'b' / name}: not UTF-8 text (byte 8); save it as UTF-8"
        for name in ("07.sql", "09.sql")]
    report = serial.json()
    assert [(e["path"], e["line"]) for e in report["errors"]] == [
        (str(folder / "b" / "07.sql"), None), (str(folder / "b" / "09.sql"), None)]
    assert report["findings"] and report["statements"] > 0


def test_runs_with_stdin_closed_in_a_subprocess(folder: Path) -> None:
    """As under CI: no terminal, stdin closed; the console entry point with worker processes."""
    command = [sys.executable, "-m", "alembic_safe.cli.main", "lint", str(folder),
               "--format", "json"]
    serial = subprocess.run([*command, "--jobs", "1"], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, check=False, timeout=120)
    parallel = subprocess.run([*command, "--jobs", "2"], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False, timeout=120)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout and '"files": 13' in parallel.stdout
    assert parallel.stderr == serial.stderr == ""


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_jobs_must_be_a_positive_number(lint: Lint, folder: Path, value: str) -> None:
    run = lint(str(folder), "--jobs", value)
    assert run.code == 2 and "--jobs" in run.err and "Traceback" not in run.err


def test_workers_only_when_it_pays() -> None:
    assert workers(None, MIN_FILES - 1) == 1
    assert workers(None, MIN_FILES) >= 1
    assert workers(1, 100) == 1
    assert workers(4, 100) == 4
    assert workers(4, 2) == 2
    assert workers(None, 0) == 1
