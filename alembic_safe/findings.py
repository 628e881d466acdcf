"""Findings: the verdicts every front end reports, with their severity, their opt-out and their
fix.

The rules produce them (through :mod:`alembic_safe.checking`); lint's reports, the runtime
guard, ``alembic check`` and autogenerate read them, and :mod:`alembic_safe.report.finding`
renders one the same way for all of them. This module depends on nothing but the fix model,
so the front ends do not reach into the rules layer for the types they print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from alembic_safe.fix.model import Fix as Fix


class Severity(Enum):
    """How a finding counts: an error fails lint, the guard and ``alembic check``; a warning
    is reported only. The policy (:mod:`alembic_safe.rules.policy`) gives each rule's."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class OptOut:
    """A reasoned exemption that silenced a finding, listed in every report."""

    rule: str  # code
    reason: str
    source: str  # "comment", "migration", "config", "allow()"


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one statement, ready for a report."""

    rule: str  # code, e.g. "AS101"
    name: str  # slug, e.g. "create-index-not-concurrent"
    severity: Severity
    message: str  # what is wrong here, naming the table/column/index
    #: the safe way in words; the statements themselves are ``fix`` (rendered beside it)
    help: str
    statement: str
    path: str | None = None
    line: int = 1
    column: int = 1
    #: set when an opt-out silenced the finding (then it never fails a run)
    allowed_by: OptOut | None = field(default=None)
    #: the safe way as data, when the rule has one
    fix: Fix | None = None

    @property
    def advice(self) -> str:
        """The safe way in words: the rule's, else the fix's summary."""
        if self.help or self.fix is None:
            return self.help
        return self.fix.summary

    @property
    def blocking(self) -> bool:
        """An error that no opt-out or relaxation allowed: it fails the run."""
        return self.allowed_by is None and self.severity is Severity.ERROR
