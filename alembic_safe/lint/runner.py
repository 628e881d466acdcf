"""``alembic-safe lint``'s engine: files in, findings and counts out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic_safe.config import Settings
from alembic_safe.errors import UsageError
from alembic_safe.findings import Finding
from alembic_safe.lint.files import FileProblem, lint_migration
from alembic_safe.lint.parallel import sql_results


@dataclass
class LintResult:
    """Every finding (allowed ones included) of a lint run, with what was read and the files
    that could not be linted."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    statements: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    #: what was deliberately not linted, and why
    notes: list[FileProblem] = field(default_factory=list)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else as given."""
    if not path.is_absolute():
        return str(path)
    try:
        return os.path.relpath(path, Path.cwd()) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def lint_files(
    files: Sequence[Path], settings: Settings, *, assume_in_transaction: bool = False,
    downgrade: bool = False, jobs: int | None = None,
) -> LintResult:
    """Lint each file (.sql or Alembic .py); a file that cannot be linted is listed in
    ``problems`` and the others are still linted.

    ``.sql`` files go to ``jobs`` worker processes (None: one per CPU from 8 files on; 1: this
    process); Alembic scripts run in this process. Results are in file order either way."""
    result = LintResult()
    shown = {path: display_path(path) for path in files}
    sql = [path for path in files if path.suffix != ".py"]
    with sql_results(sql, [shown[path] for path in sql], settings,
                     assume_in_transaction=assume_in_transaction, jobs=jobs) as linted:
        for path in files:
            if path.suffix == ".py":
                one = lint_migration(path, shown[path], settings, downgrade=downgrade)
            else:
                one = next(linted)
            result.findings += one.findings
            result.statements += one.statements
            result.files += 1
            if one.problem is not None:
                result.problems.append(one.problem)
            result.notes += one.notes
    return result


def lint_paths(paths: Sequence[Path], settings: Settings) -> list[Finding]:
    """Findings for these files (what ``alembic check`` integration uses); UsageError listing
    every file that could not be linted. Serial: it runs inside a live Alembic environment,
    whose connection worker processes must not inherit."""
    result = lint_files(paths, settings, jobs=1)
    if result.problems:
        raise UsageError("\n".join(str(problem) for problem in result.problems))
    return result.findings
