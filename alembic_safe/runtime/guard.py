"""The runtime guard: every statement a migration is about to run is analyzed and checked.

It is shared by online runs (SQLAlchemy ``before_cursor_execute`` on the migration
connection) and offline ``--sql`` runs (Alembic's ``static_output``). Only statements whose
call stack passes through a migration script are checked, so Alembic's version-table
bookkeeping and the guard's own catalog queries are left alone; the script frame also gives
the ``op.*`` call's line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from alembic.script import Script
from alembic.util import CommandError

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext, Relation, StatementFacts
from alembic_safe.analysis.names import qualified_key
from alembic_safe.capture.location import find_caller
from alembic_safe.checking import Checker, has_errors
from alembic_safe.config import Settings
from alembic_safe.errors import AlembicSafeError
from alembic_safe.optouts import migration_optouts
from alembic_safe.rules import find_rule
from alembic_safe.rules.base import Finding, OptOut, Severity
from alembic_safe.runtime.allow import active_optouts
from alembic_safe.runtime.catalog import LiveCatalog


class Refused(CommandError):
    """A migration statement alembic-safe refuses to run (the CLI prints it as FAILED: ...)."""


def say(text: str) -> None:
    """Print one guard message on stderr."""
    print(f"alembic-safe: {text}", file=sys.stderr, flush=True)


@dataclass
class Migration:
    """Analyzer and checker state for the revision being run."""

    script: Script
    analyzer: Analyzer
    checker: Checker
    catalog: LiveCatalog | None
    statements: list[tuple[StatementFacts, bool]] = field(default_factory=list)


class Guard:
    """Checks statements before they run and refuses the ones with error findings."""

    def __init__(self, settings: Settings, scripts: list[Script], *, offline: bool,
                 dry_run: bool = False) -> None:
        self.settings = settings
        self.offline = offline
        self.dry_run = dry_run
        self.scripts = {os.path.realpath(s.path): s for s in scripts}
        self.current: Migration | None = None

    def locate(self) -> tuple[Script, int] | None:
        """The migration script running now and the line of its ``op.*`` call: the innermost
        stack frame of a script."""
        found = find_caller(self.scripts.__contains__, sys._getframe(1))
        return (self.scripts[found[0]], found[1]) if found is not None else None

    def migration(
        self, script: Script, version: int, catalog: Callable[[], LiveCatalog] | None,
        schema: str = "public",
    ) -> Migration:
        """The state of ``script``'s run (a new one when another revision starts).

        ``catalog`` makes the migration's live catalog (looked up lazily by the analyzer);
        ``schema`` is the first schema of search_path, for unqualified names.
        """
        if self.current is not None and self.current.script is script:
            return self.current
        live = catalog() if catalog is not None else None
        context = AnalysisContext(pg_version=version, in_transaction=True,
                                  lock_timeout_managed=True,
                                  catalog=live.facts() if live is not None else None,
                                  default_schema=schema)
        declared = getattr(script.module, "alembic_safe_allow", None)
        try:
            optouts = [] if declared is None else migration_optouts(declared, script.path)
        except AlembicSafeError as exc:
            raise Refused(str(exc)) from None
        self.current = Migration(script, Analyzer(context),
                                 Checker(self.settings, context, path=script.path,
                                         optouts=optouts), live)
        return self.current

    def check(
        self, sql: str | Callable[[], str], *, in_transaction: bool, version: int,
        catalog: Callable[[], LiveCatalog] | None = None, schema: str = "public",
    ) -> list[StatementFacts] | None:
        """Facts of ``sql`` once checked; None when no migration script emitted it.

        ``sql`` may be a function making the text, called only for a migration's statement.
        Prints warnings and used opt-outs; raises :class:`Refused` on an error finding.
        """
        located = self.locate()
        if located is None:
            return None
        script, line = located
        state = self.migration(script, version, catalog, schema)
        text = sql if isinstance(sql, str) else sql()
        statements = state.analyzer.feed(text, in_transaction=in_transaction, line=line)
        findings: list[Finding] = []
        for stmt in statements:
            findings += [self._relaxed(f, stmt, state)
                         for f in state.checker.check(stmt, active_optouts())]
            state.statements.append((stmt, in_transaction))
        self._report(script, findings)
        return statements

    def _relaxed(self, finding: Finding, stmt: StatementFacts, state: Migration) -> Finding:
        """Findings whose harm grows with the table's rows (by the rule's category) become
        allowed on tables below ``small_table_rows`` ("small table")."""
        limit = self.settings.small_table_rows
        rule = find_rule(finding.rule)
        catalog = state.catalog
        if (finding.allowed_by is not None or limit <= 0 or catalog is None or rule is None
                or not rule.category.harmless_on_empty_tables):
            return finding
        schema = state.analyzer.context.default_schema
        counts = [_row_count(catalog, lock.relation, schema)
                  for lock in stmt.locks if not lock.is_new]
        if not counts or any(c is None or c >= limit for c in counts):
            return finding
        reason = f"small table ({max(c for c in counts if c is not None)} rows < {limit})"
        return replace(finding, allowed_by=OptOut(finding.rule, reason, "small_table_rows"))

    def _report(self, script: Script, findings: list[Finding]) -> None:
        for finding in findings:
            if finding.allowed_by is not None:
                say(f"{_where(script, finding)}: {finding.rule} ({finding.name}) allowed by "
                    f"{finding.allowed_by.source}: {finding.allowed_by.reason}")
            elif finding.severity is not Severity.ERROR:
                say(f"warning: {_where(script, finding)}: {finding.rule} ({finding.name}) "
                    f"{finding.message}. {finding.help}")
        if has_errors(findings):
            errors = [f for f in findings
                      if f.allowed_by is None and f.severity is Severity.ERROR]
            # the full report once, on stderr; the exception (which Alembic prints twice: as
            # an ERROR log line and as FAILED:) carries the one-line summary
            print("\n".join(_refusal(script, f) for f in errors), file=sys.stderr, flush=True)
            raise Refused(_summary(script, errors))


def _row_count(catalog: LiveCatalog, relation: Relation, schema: str) -> int | None:
    """Approximate rows of ``relation`` (unqualified: in ``schema``, else on search_path)."""
    for key in (qualified_key(relation, schema), relation.qualified):
        count = catalog.row_count(key)
        if count is not None:
            return count
    return None


def _where(script: Script, finding: Finding) -> str:
    return f"revision {script.revision} ({finding.path}:{finding.line})"


def _summary(script: Script, errors: list[Finding]) -> str:
    """One line: the revision, and each refused rule with its place."""
    rules = ", ".join(f"{f.rule} {f.name} ({f.path}:{f.line})" for f in errors)
    return (f"alembic-safe refused revision {script.revision}: {rules}; the statement, why and "
            "the safe way are printed above")


def _refusal(script: Script, finding: Finding) -> str:
    """The message of a refused statement: where, rule, why, and the safe way."""
    safe_way = finding.help.replace("\n", "\n    ")
    return (
        f"alembic-safe refused to run a statement of {_where(script, finding)}\n"
        f"  {finding.rule} ({finding.name}): {finding.message}\n"
        f"  statement: {finding.statement}\n"
        f"  safe way: {safe_way}\n"
        f"  (or opt out with alembic_safe.allow(\"{finding.rule}\", reason=...) around the op)"
    )
