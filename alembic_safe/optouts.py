"""Opt-outs: reasoned exemptions from rules, written in SQL comments or migration scripts.

Three forms reach the checker as :class:`~alembic_safe.findings.OptOut` objects:

* a comment on the statement: ``-- alembic-safe: allow AS101, drop-table because <reason>``
  (:func:`parse_comment`);
* a module-level dict in a migration script: ``alembic_safe_allow = {"AS101": "<reason>"}``
  (:func:`migration_optouts`);
* the runtime ``alembic_safe.allow("AS101", reason=...)`` context manager (built by its owner).

Rules are named by code or name as the user wrote them; the checker resolves them and
reports an opt-out without a reason (AS002) or naming no known rule (AS003).
"""

from __future__ import annotations

import re

from alembic_safe.capture.errors import ScriptError
from alembic_safe.findings import OptOut

MARKER = "alembic-safe:"
#: the comment grammar (comment text, not SQL): ``allow <rules> [because <reason>]``
_DIRECTIVE = re.compile(
    r"^\s*allow\b(?P<rules>.*?)(?:\bbecause\b(?P<reason>.*))?$", re.IGNORECASE | re.DOTALL
)


def parse_comment(text: str) -> list[OptOut]:
    """The opt-outs a comment declares (none when it has no ``alembic-safe:`` marker).

    A marker that is not followed by ``allow <rules>`` yields one opt-out with an empty rule,
    which the checker reports as AS003, so a malformed directive never passes silently.
    """
    start = text.lower().find(MARKER)
    if start < 0:
        return []
    directive = text[start + len(MARKER):]
    match = _DIRECTIVE.match(directive)
    if match is None:
        return [OptOut(rule="", reason=directive.strip(), source="comment")]
    reason = " ".join((match.group("reason") or "").split())
    names = [name.strip() for name in match.group("rules").split(",") if name.strip()]
    if not names:
        return [OptOut(rule="", reason=reason, source="comment")]
    return [OptOut(rule=name, reason=reason, source="comment") for name in names]


def migration_optouts(value: object, path: str) -> list[OptOut]:
    """Opt-outs from a migration's ``alembic_safe_allow`` value (a dict of rule -> reason).

    Raises :class:`ScriptError` naming ``path`` when the value has the wrong shape.
    """
    if not isinstance(value, dict):
        raise ScriptError(
            path, None, "alembic_safe_allow must be a dict of rule code -> reason, e.g. "
            f'{{"AS101": "the table has 20 rows"}}, got {type(value).__name__}'
        )
    optouts = []
    for rule, reason in value.items():
        if not isinstance(rule, str) or not (reason is None or isinstance(reason, str)):
            raise ScriptError(
                path, None, f"alembic_safe_allow entry {rule!r}: {reason!r} must map a rule "
                "code (string) to a reason (string)"
            )
        optouts.append(OptOut(rule=rule, reason=(reason or "").strip(), source="migration"))
    return optouts
