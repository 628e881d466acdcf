"""The severity policy: what kind of harm is an error, what a warning, and what runs by default.

Rules declare only their :class:`Category`; this module is the one place that turns a category
into a severity and decides whether its rules run when the configuration selects nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from alembic_safe.findings import Severity


class Category(Enum):
    """The kind of harm a rule's findings describe. Policy (the severity, the default
    selection, and what the runtime guard relaxes on empty tables) reads this, never a
    module name."""

    WILL_FAIL = "will-fail"
    INPUT = "input"
    FAILS_ON_ROWS = "fails-on-rows"
    LOCK = "lock"
    REWRITE = "rewrite"
    DATA_LOSS = "data-loss"
    COMPATIBILITY = "compatibility"
    BRIEF_LOCK = "brief-lock"
    CONDITIONAL = "conditional"
    STYLE = "style"

    @property
    def fails_regardless(self) -> bool:
        """No table size or fresh database makes the statement safe: never relaxed."""
        return self in (Category.WILL_FAIL, Category.INPUT)

    @property
    def harmless_on_empty_tables(self) -> bool:
        """The harm grows with the rows of the tables involved: none when they are empty."""
        return self in (Category.LOCK, Category.REWRITE, Category.FAILS_ON_ROWS,
                        Category.BRIEF_LOCK)


@dataclass(frozen=True)
class Verdict:
    """What the policy says about one category."""

    #: the harm, in one sentence (the rules page shows it)
    meaning: str
    severity: Severity
    #: its rules run when the configuration selects nothing (``select`` unset)
    on_by_default: bool


_E, _W = Severity.ERROR, Severity.WARNING

POLICY: Mapping[Category, Verdict] = MappingProxyType({
    Category.WILL_FAIL: Verdict(
        "PostgreSQL refuses the statement whatever the data, or its work is lost (a "
        "transaction never committed).", _E, True),
    Category.INPUT: Verdict(
        "The migration's own text is broken: an opt-out without a reason, or naming a rule "
        "that does not exist.", _E, True),
    Category.FAILS_ON_ROWS: Verdict(
        "PostgreSQL refuses the statement on a table that has rows. Lint and `alembic check` "
        "treat every existing table as populated, so it is certain to fail there.", _E, True),
    Category.LOCK: Verdict(
        "Blocks reads or writes of an existing table (a table lock, or row locks on every "
        "row) for a time that grows with the size of the data: a scan, an index build, a "
        "refresh, a data change.", _E, True),
    Category.REWRITE: Verdict(
        "Rewrites every row of an existing table (and rebuilds its indexes) under ACCESS "
        "EXCLUSIVE: no reads or writes until the copy ends.", _E, True),
    Category.DATA_LOSS: Verdict(
        "Destroys data or objects that cannot be restored, including everything a CASCADE "
        "reaches.", _E, True),
    Category.COMPATIBILITY: Verdict(
        "Breaks the application version still running during the deploy: a rename, or a "
        "change of what its queries name.", _E, True),
    Category.BRIEF_LOCK: Verdict(
        "A strong lock that is held briefly, or waited for in the lock queue: `lock_timeout` "
        "bounds the harm (the runtime guard sets it).", _W, True),
    Category.CONDITIONAL: Verdict(
        "Harmful only in a case the analyzer cannot see from the statements: a later "
        "statement uses what it added, something still depends on what it drops, a later "
        "failure after an early COMMIT. When it happens the migration fails; nothing is "
        "lost.", _W, True),
    Category.STYLE: Verdict(
        "A matter of style: a type or form that makes later changes harder. Not run unless "
        "selected.", _W, False),
})


def default_severity(category: Category) -> Severity:
    """The severity of every finding of a rule of ``category`` (``severity`` settings aside)."""
    return POLICY[category].severity


def on_by_default(category: Category) -> bool:
    """Whether the rules of ``category`` run when ``select`` is unset."""
    return POLICY[category].on_by_default


#: the policy in words, as the rules page states it
SUMMARY = (
    "A finding is an **error** when the statement blocks reads or writes of an existing table "
    "for a time that grows with its size, destroys data or objects that cannot be restored "
    "(including everything a CASCADE reaches), breaks the application version still running "
    "(a rename, a drop of what it still uses), or is certain to fail. It is a **warning** when "
    "`lock_timeout` bounds the harm, when the harm depends on what the analyzer cannot see "
    "(a later statement, a dependent object), or when it is a matter of style. Each rule "
    "declares the kind of harm it reports (its category); the severity follows from the "
    "category, so one rule always reports one severity. Style rules do not run unless "
    "selected: a safety tool's default output is about safety."
)
