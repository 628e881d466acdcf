"""Lint one file: a .sql file, or an Alembic migration script run offline."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_safe.analysis import Analyzer, analyze
from alembic_safe.analysis.facts import AddColumn, AnalysisContext, Relation
from alembic_safe.analysis.schema import SchemaState
from alembic_safe.capture.errors import IrreversibleDowngrade, ScriptError
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding
from alembic_safe.lint.guarded import runs_under_guard
from alembic_safe.lint.timeout import ScriptTimeout, frame_line, time_limit
from alembic_safe.optouts import migration_optouts

if TYPE_CHECKING:  # the module imports Alembic, which .sql runs do not need
    from alembic_safe.capture.offline import ExistingType

OPTOUTS_NAME = "alembic_safe_allow"


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be linted: where, and the problem with what to do about it."""

    path: str
    line: int | None
    problem: str

    @classmethod
    def of(cls, error: ScriptError) -> FileProblem:
        return cls(error.path, error.line, error.problem)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.problem}"


@dataclass
class FileResult:
    """The findings of one file and how many statements were analyzed, or why it could not
    be linted."""

    findings: list[Finding] = field(default_factory=list)
    statements: int = 0
    problem: FileProblem | None = None
    #: what was deliberately not linted, and why (e.g. an irreversible downgrade)
    notes: list[FileProblem] = field(default_factory=list)


def _read(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScriptError(shown, None, f"not UTF-8 text (byte {exc.start}); save it as UTF-8"
                          ) from None
    except OSError as exc:
        raise ScriptError(shown, None, f"cannot read it: {exc.strerror}") from None


def lint_sql(path: Path, shown: str, settings: Settings, *, assume_in_transaction: bool,
             schema: SchemaState, report: bool = True) -> FileResult:
    """A .sql file: outside a transaction unless it opens one (BEGIN ... COMMIT), or one
    transaction throughout with ``assume_in_transaction``. ``schema`` holds what the earlier
    files of its history established and receives this file's changes; without ``report`` the
    file is only read for them (no findings)."""
    try:
        text = _read(path, shown)
    except ScriptError as exc:
        return FileResult(problem=FileProblem.of(exc))
    context = AnalysisContext(pg_version=settings.pg_version,
                              in_transaction=assume_in_transaction)
    statements = Analyzer(context, schema).feed(text)
    if not report:
        return FileResult()
    findings = Checker(settings, context, path=shown).check_all(statements)
    return FileResult(findings, sum(1 for stmt in statements if stmt.within is None))


@functools.lru_cache(maxsize=256)
def _normalized_type(type_sql: str) -> str | None:
    """``VARCHAR(20)`` as the analyzer names types (``character varying(20)``)."""
    for stmt in analyze(f"ALTER TABLE t ADD COLUMN c {type_sql}"):
        for action in stmt.actions:
            if isinstance(action, AddColumn):
                return action.column.type_name
    return None


def declare_existing_types(analyzer: Analyzer, types: Sequence[ExistingType]) -> None:
    """``alter_column(existing_type=...)``: the script's author states the type the column has,
    as the live catalog would."""
    for declared in types:
        type_name = _normalized_type(declared.type_sql)
        if type_name is not None:
            analyzer.declare_column_type(Relation(declared.table, declared.schema),
                                         declared.column, type_name)


def lint_migration(path: Path, shown: str, settings: Settings, *, downgrade: bool,
                   schema: SchemaState, report: bool = True) -> FileResult:
    """An Alembic script (see :func:`_lint_migration`) within ``settings.lint_timeout``, or the
    problem that stopped it."""
    try:
        with time_limit(settings.lint_timeout_ms / 1000):
            return _lint_migration(path, shown, settings, downgrade=downgrade, schema=schema,
                                   report=report)
    except ScriptError as exc:
        return FileResult(problem=FileProblem.of(exc))
    except ScriptTimeout as exc:
        line = frame_line(exc, path)
        return FileResult(problem=FileProblem(
            shown, line, f"did not finish within lint_timeout = {settings.lint_timeout}: it "
            "waits or loops (offline, nothing answers a query); fix the script, or raise "
            "lint_timeout (--timeout)"))


def _lint_migration(path: Path, shown: str, settings: Settings, *, downgrade: bool,
                    schema: SchemaState, report: bool) -> FileResult:
    """An Alembic script: ``upgrade()`` (and ``downgrade()``) rendered offline, each statement
    in Alembic's transaction unless inside ``autocommit_block()``; findings at the op line.
    When the project's env.py installs the guard, lock_timeout counts as set. ``upgrade()``
    starts from ``schema`` (the facts of the revisions before it) and leaves its changes in
    it; ``downgrade()`` starts from a copy of that."""
    # imported here: Alembic and SQLAlchemy take half a second to import, .sql runs skip it
    from alembic_safe.capture.offline import OfflineScript

    path = path.resolve()
    script = OfflineScript(path, shown, settings.pg_version)
    declared = getattr(script.module, OPTOUTS_NAME, None)
    optouts = migration_optouts(declared, shown) if declared is not None and report else []
    result = FileResult()
    guarded = runs_under_guard(path)
    for direction in ("upgrade", "downgrade") if downgrade and report else ("upgrade",):
        try:
            captured = script.render(direction)
        except IrreversibleDowngrade as exc:
            result.notes.append(FileProblem.of(exc))
            continue
        context = AnalysisContext(pg_version=settings.pg_version, in_transaction=True,
                                  lock_timeout_managed=guarded)
        analyzer = Analyzer(context, schema if direction == "upgrade" else schema.copy())
        checker = Checker(settings, context, path=shown, optouts=optouts) if report else None
        if checker is not None and direction == "downgrade":
            checker.declared_optout_problems()  # already reported with upgrade()
        for item in captured:
            declare_existing_types(analyzer, item.existing_types)
            for stmt in analyzer.feed(item.sql, in_transaction=item.in_transaction,
                                      line=item.line):
                if checker is not None:
                    result.findings += checker.check(stmt, item.optouts)
                    if stmt.within is None:  # a DO block's statements are not the input's
                        result.statements += 1
        if checker is not None:
            result.findings += checker.finish()
    return result
