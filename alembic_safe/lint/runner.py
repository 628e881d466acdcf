"""``alembic-safe lint``'s engine: files in, findings and counts out."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alembic_safe.analysis.schema import SchemaState
from alembic_safe.config import Settings
from alembic_safe.errors import UsageError
from alembic_safe.findings import Finding
from alembic_safe.lint.files import FileProblem, FileResult, lint_migration, lint_sql
from alembic_safe.lint.history import Lineage, sql_histories
from alembic_safe.lint.parallel import Speculative, speculative_results


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
    downgrade: bool = False, jobs: int | None = None, report: Collection[Path] | None = None,
) -> LintResult:
    """Lint each file (.sql or Alembic .py); a file that cannot be linted is listed in
    ``problems`` and the others are still linted.

    Files are read in the order of their history (:mod:`alembic_safe.lint.history`), each
    starting from what the earlier ones established. ``report`` (default: all) names the files
    whose findings are wanted; the earlier files of their histories are read for their facts
    only. ``.sql`` files go to ``jobs`` worker processes (None: one per CPU from 8 files on; 1:
    this process); Alembic scripts run in this process. Results are in file order either way."""
    wanted = set(files) if report is None else set(report) & set(files)
    shown = {path: display_path(path) for path in files}
    results: dict[Path, FileResult] = {}
    histories = sql_histories([p for p in files if p.suffix != ".py"], wanted)
    order = [path for history in histories for path in history]
    lineage = Lineage([p for p in files if p.suffix == ".py"], wanted)
    with speculative_results(order, [shown[p] for p in order], [p in wanted for p in order],
                             settings, assume_in_transaction=assume_in_transaction,
                             jobs=jobs) as ahead:
        for path in lineage.order:  # the workers lint .sql files meanwhile
            state = lineage.start(path)
            one = lint_migration(path, shown[path], settings, downgrade=downgrade,
                                 schema=state, report=path in wanted)
            lineage.finish(path, state if one.problem is None else None)
            results[path] = one
        for history in histories:
            state = SchemaState()
            for path in history:
                results[path] = _sql(path, shown[path], settings, next(ahead), state,
                                     assume_in_transaction=assume_in_transaction,
                                     report=path in wanted)
    result = LintResult()
    for path in files:
        done = results.get(path)
        if done is None:
            continue
        if path in wanted:
            result.findings += done.findings
            result.statements += done.statements
            result.files += 1
            if done.problem is not None:
                result.problems.append(done.problem)
            result.notes += done.notes
        elif done.problem is not None:
            problem = done.problem
            result.notes.append(FileProblem(problem.path, problem.line, "read only for the "
                                            f"facts later files rely on, but: {problem.problem}"))
    return result


def _sql(path: Path, shown: str, settings: Settings, ahead: Speculative | None,
         state: SchemaState, *, assume_in_transaction: bool, report: bool) -> FileResult:
    """A .sql file's result with ``state``: the worker's when it holds, else linted here."""
    if ahead is not None and ahead.holds_with(state):
        state.replay(ahead.log)
        return ahead.result
    return lint_sql(path, shown, settings, assume_in_transaction=assume_in_transaction,
                    schema=state, report=report)


def lint_paths(paths: Sequence[Path], settings: Settings, *,
               context: Sequence[Path] = ()) -> list[Finding]:
    """Findings for these files (what ``alembic check`` integration uses), the files of
    ``context`` (earlier revisions) read for their facts only; UsageError listing every file
    that could not be linted. Serial: it runs inside a live Alembic environment, whose
    connection worker processes must not inherit."""
    result = lint_files([*context, *paths], settings, jobs=1, report=paths)
    if result.problems:
        raise UsageError("\n".join(str(problem) for problem in result.problems))
    return result.findings
