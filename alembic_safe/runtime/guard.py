"""The runtime guard: every statement a migration is about to run is analyzed and checked.

It is shared by online runs (SQLAlchemy ``before_cursor_execute`` on the migration
connection) and offline ``--sql`` runs (Alembic's ``static_output``). Only statements whose
call stack passes through a migration script are checked, so Alembic's version-table
bookkeeping and the guard's own catalog queries are left alone; the script frame also gives
the ``op.*`` call's line. Before a revision runs, :mod:`alembic_safe.runtime.revisions`
checks it whole (:meth:`Guard.preview`), so one refusal lists all of its problems.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NoReturn, Protocol

from alembic.script import Script
from alembic.util import CommandError

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext, StatementFacts
from alembic_safe.capture.location import find_caller
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.errors import AlembicSafeError
from alembic_safe.findings import Finding, OptOut, Severity
from alembic_safe.optouts import migration_optouts
from alembic_safe.report.finding import render
from alembic_safe.runtime.allow import active_optouts
from alembic_safe.runtime.catalog import LiveCatalog
from alembic_safe.runtime.created import CreatedObjects
from alembic_safe.runtime.relaxations import FRESH_INSTALL, SELF_EXPLAINED, Relaxer


class Refused(CommandError):
    """A migration statement alembic-safe refuses to run (the CLI prints it as FAILED: ...)."""


def say(text: str) -> None:
    """Print one guard message on stderr."""
    print(f"alembic-safe: {text}", file=sys.stderr, flush=True)


class Rendered(Protocol):
    """One piece of a revision's SQL rendered before it runs (a captured statement)."""

    @property
    def sql(self) -> str: ...

    @property
    def in_transaction(self) -> bool: ...

    @property
    def line(self) -> int | None: ...

    @property
    def optouts(self) -> tuple[OptOut, ...]: ...


@dataclass(frozen=True)
class Step:
    """The revision step about to run: its script, its direction and, for a downgrade on a
    database that is not protected, what the same revision's upgrade created."""

    script: Script
    upgrade: bool
    undone: CreatedObjects | None = None


@dataclass
class Migration:
    """Analyzer and checker state for the revision being run."""

    script: Script
    analyzer: Analyzer
    checker: Checker
    catalog: LiveCatalog | None
    relaxer: Relaxer
    optouts: list[OptOut] = field(default_factory=list)
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
        #: the run started on an empty database (see :mod:`alembic_safe.runtime.fresh`)
        self.fresh_install = False
        #: relations created by the revisions this run has finished (qualified keys)
        self.created: frozenset[str] = frozenset()
        #: the revision step running now, when the step hooks know it
        self.step: Step | None = None
        #: every error finding of a revision, checked whole (set by the step hooks): what a
        #: refusal lists when the revision was not checked before it ran
        self.errors_ahead: Callable[[Script], list[Finding]] | None = None

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
        ``schema`` is the first schema of search_path, for unqualified names. Relations
        created by the run's earlier revisions are new to the analyzer.
        """
        if self.current is not None and self.current.script is script:
            return self.current
        live = catalog() if catalog is not None else None
        context = AnalysisContext(pg_version=version, in_transaction=True,
                                  lock_timeout_managed=True,
                                  catalog=live.facts() if live is not None else None,
                                  new_relations=self.created, default_schema=schema)
        declared = getattr(script.module, "alembic_safe_allow", None)
        try:
            optouts = [] if declared is None else migration_optouts(declared, script.path)
        except AlembicSafeError as exc:
            raise Refused(str(exc)) from None
        self.current = Migration(script, Analyzer(context),
                                 self._checker(script, context, optouts), live,
                                 self._relaxer(script, live, schema), optouts)
        return self.current

    def check(
        self, sql: str | Callable[[], str], *, in_transaction: bool, version: int,
        catalog: Callable[[], LiveCatalog] | None = None, schema: str = "public",
    ) -> list[StatementFacts] | None:
        """Facts of ``sql`` once checked; None when no migration script emitted it.

        ``sql`` may be a function making the text, called only for a migration's statement.
        Prints warnings and what was allowed; raises :class:`Refused` on an error finding.
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
            findings += [state.relaxer.relax(f, stmt)
                         for f in state.checker.check(stmt, active_optouts())]
            state.relaxer.observe(stmt)
            state.statements.append((stmt, in_transaction))
        self._report(script, findings)
        return statements

    def preview(self, state: Migration, statements: Iterable[Rendered]) -> list[Finding]:
        """The findings of a whole revision rendered before it runs, with the live catalog
        and the relaxations of ``state``, by an analyzer and checker of their own (the
        running revision's stay untouched). Prints nothing."""
        script = state.script
        context = state.analyzer.context
        analyzer = Analyzer(context)
        checker = self._checker(script, context, state.optouts)
        relaxer = self._relaxer(script, state.catalog, context.default_schema)
        findings: list[Finding] = []
        for item in statements:
            for stmt in analyzer.feed(item.sql, in_transaction=item.in_transaction,
                                      line=item.line):
                findings += [relaxer.relax(f, stmt) for f in checker.check(stmt, item.optouts)]
                relaxer.observe(stmt)
        return findings

    def finish(self, script: Script) -> None:
        """``script``'s step is done: what it created is new to the run's later revisions."""
        if self.current is not None and self.current.script is script:
            self.created = self.current.analyzer.new_relations
        self.step = None

    def refuse(self, script: Script, errors: list[Finding]) -> NoReturn:
        """Print every refused finding once, on stderr, and stop the migration."""
        # the full report once, on stderr; the exception (which Alembic prints twice: as an
        # ERROR log line and as FAILED:) carries the one-line summary
        report = [f"alembic-safe refused to run revision {script.revision}:"]
        report += [render(f, _place(f)) for f in errors]
        print("\n".join(report), file=sys.stderr, flush=True)
        raise Refused(_summary(script, errors))

    def _checker(self, script: Script, context: AnalysisContext,
                 optouts: list[OptOut]) -> Checker:
        return Checker(self.settings, context, path=script.path, optouts=optouts)

    def _relaxer(self, script: Script, catalog: LiveCatalog | None, schema: str) -> Relaxer:
        step = self.step
        undone = step.undone if step is not None and step.script is script else None
        return Relaxer(self.settings, catalog, schema, fresh_install=self.fresh_install,
                       undone=undone)

    def _report(self, script: Script, findings: list[Finding]) -> None:
        for finding in findings:
            allowed = finding.allowed_by
            if allowed is not None and allowed.source == FRESH_INSTALL:
                continue  # said once, when the run started
            if allowed is not None:
                by = "" if allowed.source in SELF_EXPLAINED else f" by {allowed.source}"
                say(f"{_where(script, finding)}: {finding.rule} ({finding.name}) "
                    f"allowed{by}: {allowed.reason}")
            elif finding.severity is not Severity.ERROR:
                say(f"warning: revision {script.revision}: {render(finding, _place(finding))}")
        errors = errors_of(findings)
        if errors and self.fresh_install and self.errors_ahead is not None:
            errors = _merged(self.errors_ahead(script), errors)
        if errors:
            self.refuse(script, errors)


def _merged(ahead: list[Finding], errors: list[Finding]) -> list[Finding]:
    """The revision's errors checked whole, then those of the statement refused as it runs
    that the whole check did not see (the SQL sent online differed)."""
    seen = {(f.rule, f.line) for f in ahead}
    return ahead + [f for f in errors if (f.rule, f.line) not in seen]


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    """The error findings that no opt-out or relaxation allowed."""
    return [f for f in findings if f.blocking]


def _where(script: Script, finding: Finding) -> str:
    return f"revision {script.revision} ({_place(finding)})"


def _place(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}"


def _summary(script: Script, errors: list[Finding]) -> str:
    """One line: the revision, and each refused rule with its place."""
    rules = ", ".join(f"{f.rule} {f.name} ({f.path}:{f.line})" for f in errors)
    what = "the statement" if len(errors) == 1 else "the statements"
    return (f"alembic-safe refused revision {script.revision}: {rules}; {what}, why and the "
            "safe way are printed above")
