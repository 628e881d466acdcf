"""``--changed-since REF`` in a temporary git repository."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from lint_helpers import Run

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
INDEX = "CREATE INDEX ix ON users (email);\n"


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=project, check=True, capture_output=True)


def test_only_changed_files_are_linted(lint: Lint, write: Write, project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    write("db/0001_old.sql", INDEX)
    write("db/0002_edited.sql", "SELECT 1;\n")
    write("db/0003_same.sql", INDEX)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "feature")
    write("db/0004_committed.sql", INDEX)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "feature")
    write("db/0002_edited.sql", INDEX)  # uncommitted change
    write("db/0005_untracked.sql", INDEX)
    (project / "db/0001_old.sql").unlink()  # deleted: nothing to lint
    run = lint("db", "--changed-since", "main", "--format", "json")
    paths = sorted({f["path"] for f in run.json()["findings"]})
    assert paths == ["db/0002_edited.sql", "db/0004_committed.sql", "db/0005_untracked.sql"]
    assert run.json()["files"] == 3 and run.code == 1


def test_nothing_changed_is_clean(lint: Lint, write: Write, project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    write("db/0001.sql", INDEX)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    run = lint("db", "--changed-since", "HEAD")
    assert (run.code, run.out) == (0, "0 errors, 0 warnings in 0 files (0 statements)\n")
    assert run.err == ("alembic-safe: note: no migration under db changed since HEAD: "
                       "nothing to lint\n")


def test_bad_ref_is_usage_error(lint: Lint, write: Write, project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    write("db/0001.sql", INDEX)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    run = lint("db", "--changed-since", "no-such-branch")
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("alembic-safe: --changed-since no-such-branch: unknown git ref")
    assert run.err.count("\n") == 1


def test_outside_a_repository_is_usage_error(lint: Lint, write: Write) -> None:
    write("db/0001.sql", INDEX)
    run = lint("db", "--changed-since", "main")
    assert run.code == 2 and "is not inside a git repository" in run.err
