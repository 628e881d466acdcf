"""The rule model: a code, a name, docs beside the detection, and the findings it yields.

A rule module defines rules with :func:`rule`::

    @rule(
        code="AS101",
        name="create-index-not-concurrent",
        category=Category.LOCK,          # the severity follows (alembic_safe.rules.policy)
        summary="CREATE INDEX without CONCURRENTLY on an existing table",
        what="...", why="...", instead="...",        # markdown, rendered on the docs site
        sql_example=("CREATE INDEX ...", ""),    # flagged; the safe side is rendered from
        op_example=("op.create_index(...)", ""),  # the fix of the flagged SQL's finding
        pg_versions=(12, 18),
        seen_in=("squawk require-concurrent-index-creation", ...),
    )
    def create_index_not_concurrent(stmt: StatementFacts, ctx: RuleContext) -> Iterator[Hit]:
        for action in stmt.actions:
            ...
            yield Hit(message="...", fix=fixes.index_build(action))

A rule declares no severity: the policy (:mod:`alembic_safe.rules.policy`) gives every rule of a
category the same one, so one rule always reports one severity. Where the harm differs by case,
the cases are two rules (AS503 drop-type and AS510 drop-cascade; AS808 and AS810).

Rules read facts only. The checker (``alembic_safe.checking``) turns hits into
:class:`~alembic_safe.findings.Finding` objects and applies configuration and opt-outs.

A rule that looks back at earlier statements (of the file, or of the transaction) declares a
:class:`Memo` beside it, ``@rule(..., memos=(LockTimeoutSet,))``: the checker feeds every
statement to it once, after the rules saw that statement, and the rule reads it with
``ctx.memo(LockTimeoutSet)``. Checking stays linear in the length of a file.

A rule that can only fire on statements carrying certain action types declares them,
``@rule(..., on=(AddColumn, CreateTable))``: the checker then runs it only on statements with
an action of one of those types. A rule that reads anything else (locks, kind, transaction
state) declares nothing and runs on every statement.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from alembic_safe.analysis.facts import Action, AnalysisContext, StatementFacts
from alembic_safe.config import NEWEST_PG, OLDEST_PG
from alembic_safe.findings import Severity
from alembic_safe.fix.model import Fix
from alembic_safe.rules.policy import Category as Category
from alembic_safe.rules.policy import default_severity


@dataclass(frozen=True)
class Hit:
    """What a rule's detection yields for one statement."""

    message: str  # what is wrong here, naming the table/column/index
    #: the safe way in words (no SQL or op code: that is ``fix``, rendered by every front
    #: end); may be left out when the fix's summary says it all
    help: str = ""
    #: the safe way as data, when it is statements (lint, the guard, ``alembic check``, the
    #: docs and autogenerate all render it)
    fix: Fix | None = None


class Memo(ABC):
    """Running state a look-back rule keeps about the statements checked before (per file)."""

    @abstractmethod
    def observe(self, stmt: StatementFacts) -> None:
        """Take ``stmt`` into account; called once per statement, after the rules ran on it."""


M = TypeVar("M", bound=Memo)


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the statement itself."""

    analysis: AnalysisContext
    #: the memos the enabled rules declared, by class, holding the earlier statements' state
    memos: Mapping[type[Memo], Memo] = field(default_factory=dict)

    @property
    def pg_version(self) -> int:
        return self.analysis.pg_version

    def memo(self, kind: type[M]) -> M:
        """The running ``kind`` memo (the rule must declare it in ``@rule(memos=...)``)."""
        return cast(M, self.memos[kind])


Detector = Callable[[StatementFacts, RuleContext], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    """One rule of the catalog: identity, docs and detection in one place."""

    code: str
    name: str
    summary: str
    what: str
    why: str
    instead: str
    detect: Detector
    #: the kind of harm (read by policy: severity, runtime relaxations)
    category: Category
    #: the module that defines the rule: groups the rules reference, never read by policy
    family: str
    #: (flagged, safe) SQL; the safe side is empty when the flagged SQL's finding has a fix,
    #: which the docs render instead (:mod:`alembic_safe.rules.examples`)
    sql_example: tuple[str, str] = ("", "")
    #: (flagged, safe) Alembic op code, likewise
    op_example: tuple[str, str] = ("", "")
    pg_versions: tuple[int, int] = (OLDEST_PG, NEWEST_PG)  # inclusive range where it applies
    seen_in: tuple[str, ...] = ()  # the same check in squawk / strong_migrations / ...
    memos: tuple[type[Memo], ...] = ()  # running state the detection reads (see Memo)
    #: action types without which the rule cannot fire; empty: it runs on every statement
    on: tuple[type[Action], ...] = ()

    @property
    def severity(self) -> Severity:
        """The severity the policy gives the rule's category."""
        return default_severity(self.category)

    def applies_to(self, pg_version: int) -> bool:
        low, high = self.pg_versions
        return low <= pg_version <= high


_REGISTRY: dict[str, Rule] = {}


def rule(
    *,
    code: str,
    name: str,
    category: Category,
    summary: str,
    what: str,
    why: str,
    instead: str,
    sql_example: tuple[str, str] = ("", ""),
    op_example: tuple[str, str] = ("", ""),
    pg_versions: tuple[int, int] = (OLDEST_PG, NEWEST_PG),
    seen_in: tuple[str, ...] = (),
    memos: tuple[type[Memo], ...] = (),
    on: tuple[type[Action], ...] = (),
) -> Callable[[Detector], Detector]:
    """Register the decorated detector as a rule of the catalog."""

    def register(detect: Detector) -> Detector:
        if code in _REGISTRY or any(r.name == name for r in _REGISTRY.values()):
            raise ValueError(f"rule {code} {name} is registered twice")
        family = detect.__module__.rsplit(".", 1)[-1]
        _REGISTRY[code] = Rule(
            code=code, name=name, category=category, summary=summary,
            what=what, why=why, instead=instead, detect=detect, family=family,
            sql_example=sql_example, op_example=op_example, pg_versions=pg_versions,
            seen_in=seen_in, memos=memos, on=on,
        )
        return detect

    return register


def registered_rules() -> dict[str, Rule]:
    """The rules registered so far, by code (import ``alembic_safe.rules`` to load all)."""
    return _REGISTRY
