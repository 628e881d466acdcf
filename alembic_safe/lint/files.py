"""Lint one file: a .sql file, or an Alembic migration script run offline."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_safe.analysis import Analyzer, analyze, names
from alembic_safe.analysis.facts import (
    AddColumn,
    AnalysisContext,
    CatalogFacts,
    ColumnInfo,
    Relation,
)
from alembic_safe.capture.errors import IrreversibleDowngrade, ScriptError
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding
from alembic_safe.lint.guarded import runs_under_guard
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


def lint_sql(path: Path, shown: str, settings: Settings, *, assume_in_transaction: bool
             ) -> FileResult:
    """A .sql file: outside a transaction unless it opens one (BEGIN ... COMMIT), or one
    transaction throughout with ``assume_in_transaction``."""
    try:
        text = _read(path, shown)
    except ScriptError as exc:
        return FileResult(problem=FileProblem.of(exc))
    context = AnalysisContext(pg_version=settings.pg_version,
                              in_transaction=assume_in_transaction)
    statements = analyze(text, context)
    findings = Checker(settings, context, path=shown).check_all(statements)
    return FileResult(findings, len(statements))


class ExistingColumns:
    """Column types that ``alter_column(existing_type=...)`` declares, as catalog facts: the
    script's author states the type the column has, as the live catalog would."""

    def __init__(self) -> None:
        self.columns: dict[tuple[str, str], ColumnInfo] = {}

    def declare(self, types: Sequence[ExistingType], default_schema: str) -> None:
        for declared in types:
            type_name = _normalized_type(declared.type_sql)
            if type_name is not None:
                table = Relation(declared.table, declared.schema)
                key = (names.qualified_key(table, default_schema), declared.column)
                self.columns[key] = ColumnInfo(type_name=type_name)


@functools.lru_cache(maxsize=256)
def _normalized_type(type_sql: str) -> str | None:
    """``VARCHAR(20)`` as the analyzer names types (``character varying(20)``)."""
    for stmt in analyze(f"ALTER TABLE t ADD COLUMN c {type_sql}"):
        for action in stmt.actions:
            if isinstance(action, AddColumn):
                return action.column.type_name
    return None


def lint_migration(path: Path, shown: str, settings: Settings, *, downgrade: bool) -> FileResult:
    """An Alembic script (see :func:`_lint_migration`), or the problem that stopped it."""
    try:
        return _lint_migration(path, shown, settings, downgrade=downgrade)
    except ScriptError as exc:
        return FileResult(problem=FileProblem.of(exc))


def _lint_migration(path: Path, shown: str, settings: Settings, *, downgrade: bool
                    ) -> FileResult:
    """An Alembic script: ``upgrade()`` (and ``downgrade()``) rendered offline, each statement
    in Alembic's transaction unless inside ``autocommit_block()``; findings at the op line.
    When the project's env.py installs the guard, lock_timeout counts as set."""
    # imported here: Alembic and SQLAlchemy take half a second to import, .sql runs skip it
    from alembic_safe.capture.offline import OfflineScript

    path = path.resolve()
    script = OfflineScript(path, shown, settings.pg_version)
    declared = getattr(script.module, OPTOUTS_NAME, None)
    optouts = migration_optouts(declared, shown) if declared is not None else []
    result = FileResult()
    guarded = runs_under_guard(path)
    for direction in ("upgrade", "downgrade") if downgrade else ("upgrade",):
        try:
            captured = script.render(direction)
        except IrreversibleDowngrade as exc:
            result.notes.append(FileProblem.of(exc))
            continue
        known = ExistingColumns()
        context = AnalysisContext(pg_version=settings.pg_version, in_transaction=True,
                                  lock_timeout_managed=guarded,
                                  catalog=CatalogFacts(columns=known.columns))
        analyzer = Analyzer(context)
        checker = Checker(settings, context, path=shown, optouts=optouts)
        if direction == "downgrade":
            checker.declared_optout_problems()  # already reported with upgrade()
        for item in captured:
            known.declare(item.existing_types, context.default_schema)
            for stmt in analyzer.feed(item.sql, in_transaction=item.in_transaction,
                                      line=item.line):
                result.findings += checker.check(stmt, item.optouts)
                result.statements += 1
        result.findings += checker.finish()
    return result
