"""The checker: runs the rule catalog over analyzed statements and applies settings and opt-outs.

The linter and the runtime guard share it, so a migration gets the same verdict offline and
online. A finding silenced by a valid opt-out stays in the result with ``allowed_by`` set (reports
list it) and never fails a run; an invalid opt-out silences nothing and adds an AS002/AS003 error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from alembic_safe.analysis.facts import (
    Action,
    AnalysisContext,
    Position,
    StatementFacts,
    TransactionControl,
)
from alembic_safe.config import NEWEST_PG, Settings
from alembic_safe.findings import Finding, OptOut
from alembic_safe.optouts import parse_comment
from alembic_safe.rules import all_rules, find_rule
from alembic_safe.rules.base import Hit, Rule, RuleContext
from alembic_safe.rules.selection import select

PARSE_ERROR, NO_REASON, UNKNOWN_RULE = "AS001", "AS002", "AS003"
UNCOMMITTED = "AS809"
_OPENS = ("BEGIN", "START TRANSACTION")
_CLOSES = ("COMMIT", "ROLLBACK", "END", "ABORT", "PREPARE TRANSACTION")


class Checker:
    """Findings for a sequence of statements from one file or migration."""

    def __init__(
        self,
        settings: Settings,
        context: AnalysisContext,
        *,
        path: str | None = None,
        optouts: Sequence[OptOut] = (),
    ) -> None:
        self.settings = settings
        self.context = context
        self.path = path
        #: the statement whose BEGIN opened the transaction still open (for AS809)
        self._opened: StatementFacts | None = None
        self._declared = list(optouts)
        self._declared_reported = False
        self._finished = False
        selection = select(settings)
        self._severity = selection.severity
        self._rules = [r for r in all_rules()  # a server newer than the catalog: as the newest
                       if r.code in selection.enabled
                       and r.applies_to(min(context.pg_version, NEWEST_PG))]
        self._enabled = {r.code for r in self._rules}
        self._on_parse_error = [r for r in self._rules if r.code == PARSE_ERROR]
        self._on_statement = [r for r in self._rules if r.code != PARSE_ERROR]
        #: the rules to run on a statement, by the set of its action types (filled as met)
        self._dispatch: dict[frozenset[type[Action]], list[Rule]] = {}
        self._declared_valid = [self._normalized(o) for o in self._declared if self._is_valid(o)]
        memos = {kind: kind() for r in self._rules for kind in r.memos}
        self._memos = list(memos.values())
        self._ctx = RuleContext(analysis=context, memos=memos)

    def check(self, stmt: StatementFacts, extra_optouts: Sequence[OptOut] = ()) -> list[Finding]:
        """Findings for ``stmt``; ``extra_optouts`` are runtime ``allow()`` exemptions."""
        findings: list[Finding] = []
        if not self._declared_reported:
            findings += self.declared_optout_problems()
        comment_optouts = [o for text in stmt.comments for o in parse_comment(text)]
        valid: list[OptOut] = []
        for optout in (*comment_optouts, *extra_optouts):
            if self._is_valid(optout):
                valid.append(self._normalized(optout))
                continue
            problem = self._problem(optout, stmt.position, stmt.sql)
            if problem is not None:
                findings.append(problem)
        valid += self._declared_valid
        for rule in self._on_parse_error if stmt.parse_error else self._rules_for(stmt):
            for hit in rule.detect(stmt, self._ctx):
                findings.append(self._finding(rule, hit, stmt, valid))
        for memo in self._memos:
            memo.observe(stmt)
        self._track_transaction(stmt)
        return findings

    def check_all(self, stmts: Iterable[StatementFacts]) -> list[Finding]:
        """Findings for every statement in order, then :meth:`finish`."""
        findings = [f for stmt in stmts for f in self.check(stmt)]
        return findings + self.finish()

    def finish(self) -> list[Finding]:
        """End-of-input findings: declared opt-out problems not yet reported, and a
        transaction the input opened but never closed (AS809; not when the runner itself
        wraps the input in a transaction)."""
        findings = [] if self._declared_reported else self.declared_optout_problems()
        if self._finished or self.context.in_transaction or UNCOMMITTED not in self._enabled:
            return findings
        self._finished = True
        opened = self._opened
        if opened is not None:
            rule = find_rule(UNCOMMITTED)
            assert rule is not None
            hit = Hit(
                message=f"the transaction opened at line {opened.position.line} is never "
                "committed: it is rolled back when the session ends",
                help="End the input with COMMIT; (or drop the BEGIN if the runner manages "
                "transactions)",
            )
            optouts = [self._normalized(o) for text in opened.comments
                       for o in parse_comment(text) if self._is_valid(o)]
            optouts += self._declared_valid
            findings.append(self._finding(rule, hit, opened, optouts))
        return findings

    def declared_optout_problems(self) -> list[Finding]:
        """AS002/AS003 findings for the per-migration opt-outs (reported once)."""
        self._declared_reported = True
        problems = []
        for optout in self._declared:
            statement = f"alembic_safe_allow[{optout.rule!r}]"
            problem = self._problem(optout, Position(), statement)
            if problem is not None:
                problems.append(problem)
        return problems

    # ------------------------------------------------------------------ helpers

    def _rules_for(self, stmt: StatementFacts) -> list[Rule]:
        """The enabled rules that can fire on ``stmt``, in catalog order: those that declare
        no action types, and those with an action of a declared type in ``stmt``."""
        kinds = frozenset(type(action) for action in stmt.actions)
        rules = self._dispatch.get(kinds)
        if rules is None:
            rules = [r for r in self._on_statement
                     if not r.on or any(issubclass(kind, r.on) for kind in kinds)]
            self._dispatch[kinds] = rules
        return rules

    def _track_transaction(self, stmt: StatementFacts) -> None:
        """Remember the BEGIN of a transaction the input opened and has not closed yet."""
        for action in stmt.actions:
            if isinstance(action, TransactionControl):
                command = action.command.upper()
                if command in _OPENS and self._opened is None:
                    self._opened = stmt
                elif command in _CLOSES:
                    self._opened = None

    def _is_valid(self, optout: OptOut) -> bool:
        return find_rule(optout.rule) is not None and bool(optout.reason.strip())

    def _normalized(self, optout: OptOut) -> OptOut:
        found = find_rule(optout.rule)
        return replace(optout, rule=found.code) if found is not None else optout

    def _problem(self, optout: OptOut, position: Position, statement: str) -> Finding | None:
        found = find_rule(optout.rule) if optout.rule else None
        if found is None:
            code = UNKNOWN_RULE
            named = f"names unknown rule {optout.rule!r}" if optout.rule else "names no rule"
            message = f"{optout.source} opt-out {named}: it silences nothing"
            help_ = ("Write `alembic-safe: allow <code or name>[, ...] because <reason>` with a "
                     "rule from the rules reference, e.g. AS101 or create-index-not-concurrent")
        elif not optout.reason.strip():
            code = NO_REASON
            message = (f"{optout.source} opt-out of {found.code} ({found.name}) gives no reason:"
                       " it silences nothing")
            help_ = (f"Say why it is safe: `alembic-safe: allow {found.code} because <reason>` "
                     f'or alembic_safe_allow = {{"{found.code}": "<reason>"}}')
        else:
            return None
        if code not in self._enabled:
            return None
        rule = find_rule(code)
        assert rule is not None
        return Finding(
            rule=code, name=rule.name, severity=self._severity.get(code) or rule.severity,
            message=message, help=help_, statement=statement, path=self.path,
            line=position.line, column=position.column,
        )

    def _finding(
        self, rule: Rule, hit: Hit, stmt: StatementFacts, optouts: Sequence[OptOut]
    ) -> Finding:
        allowed = next((o for o in optouts if o.rule == rule.code), None)
        message, help_, fix = hit.message, hit.help, hit.fix
        if stmt.within is not None:
            # the fix replaces the statement, not the code whose body runs it: words only
            message = f"{hit.message} (in the {stmt.within})"
            help_, fix = help_ or (fix.summary if fix is not None else ""), None
        return Finding(
            rule=rule.code, name=rule.name,
            severity=self._severity.get(rule.code) or rule.severity,
            message=message, help=help_, statement=stmt.sql, path=self.path,
            line=stmt.position.line, column=stmt.position.column, allowed_by=allowed,
            fix=fix,
        )


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error that no opt-out allowed."""
    return any(f.blocking for f in findings)
