"""``alembic-safe lint``'s engine: files in, findings and counts out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic_safe.config import Settings
from alembic_safe.lint.files import lint_migration, lint_sql
from alembic_safe.rules.base import Finding


@dataclass
class LintResult:
    """Every finding (allowed ones included) of a lint run, with what was read."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    statements: int = 0


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
    downgrade: bool = False,
) -> LintResult:
    """Lint each file (.sql or Alembic .py); broken input raises UsageError."""
    result = LintResult()
    for path in files:
        shown = display_path(path)
        if path.suffix == ".py":
            one = lint_migration(path, shown, settings, downgrade=downgrade)
        else:
            one = lint_sql(path, shown, settings, assume_in_transaction=assume_in_transaction)
        result.findings += one.findings
        result.statements += one.statements
        result.files += 1
    return result


def lint_paths(paths: Sequence[Path], settings: Settings) -> list[Finding]:
    """Findings for these files (what ``alembic check`` integration uses)."""
    return lint_files(paths, settings).findings
