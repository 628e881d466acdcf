"""Which rules run, at which severity: the ``select``, ``extend_select``, ``ignore`` and
``severity`` settings, modelled on ruff.

The rules that run are the default selection (every rule whose category the policy turns on:
all but style) or, when ``select`` is set, exactly what it names; then what ``extend_select``
adds, and the rules ``severity`` sets to ``error`` or ``warning``; minus what ``ignore`` names
(``ignore`` always wins). The rules that report broken input (AS001, AS002, AS003) run whatever
``select`` says, unless ignored.

A selector is a rule code (``AS101``, any case), a rule name (``create-index-not-concurrent``),
a code prefix (``AS1``, ``AS10``: every rule whose code starts with it), a category (``style``,
``lock``, ...) or ``ALL``. In ``severity`` the most specific selector wins: a code or name over
a prefix (a longer prefix over a shorter one), a prefix over a category, a category over ``ALL``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alembic_safe.config import Settings
from alembic_safe.errors import ConfigError
from alembic_safe.findings import Severity
from alembic_safe.rules import all_rules, find_rule
from alembic_safe.rules.base import Rule
from alembic_safe.rules.policy import Category, on_by_default

ALL = "ALL"
#: rules that report problems with the input itself: they run whatever ``select`` names
ALWAYS_SELECTED = frozenset({"AS001", "AS002", "AS003"})
_PREFIX = re.compile(r"^AS\d{1,3}$")
#: how specific each kind of selector is (in ``severity``, the most specific wins)
_ALL_RANK, _CATEGORY_RANK, _PREFIX_RANK, _RULE_RANK = 0, 1, 2, 10


@dataclass(frozen=True)
class Selection:
    """The outcome of the settings: which rules run, and the severities they are given."""

    #: codes of the rules that run
    enabled: frozenset[str]
    #: code -> the severity the ``severity`` setting gives it (absent: the policy's)
    severity: Mapping[str, Severity]


def _category(selector: str) -> Category | None:
    try:
        return Category(selector.strip().lower().replace("_", "-"))
    except ValueError:
        return None


def _matches(selector: str) -> tuple[int, list[Rule]] | None:
    """(specificity, rules) of one selector; None when it names nothing."""
    text = selector.strip()
    if text.upper() == ALL:
        return _ALL_RANK, all_rules()
    found = find_rule(text)
    if found is not None:
        return _RULE_RANK, [found]
    category = _category(text)
    if category is not None:
        return _CATEGORY_RANK, [r for r in all_rules() if r.category is category]
    if _PREFIX.match(text.upper()):
        prefixed = [r for r in all_rules() if r.code.startswith(text.upper())]
        if prefixed:
            return _PREFIX_RANK + len(text), prefixed
    return None


def _unknown(selector: str, key: str) -> ConfigError:
    rules = all_rules()
    known = [r.code for r in rules] + [r.name for r in rules] + [c.value for c in Category]
    close = difflib.get_close_matches(selector, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(
        f"{key}: unknown rule {selector!r}{hint}; codes, names and categories are listed in the "
        "rules reference (docs/rules.md)"
    )


def resolve(selectors: Iterable[str], key: str) -> set[str]:
    """Codes of the rules ``selectors`` name; ConfigError naming ``key`` for an unknown one."""
    codes: set[str] = set()
    for selector in selectors:
        matched = _matches(selector)
        if matched is None:
            raise _unknown(selector, key)
        codes.update(r.code for r in matched[1])
    return codes


def default_selection() -> frozenset[str]:
    """Codes of the rules that run when ``select`` is unset (their category is on by default)."""
    return frozenset(r.code for r in all_rules() if on_by_default(r.category))


def _severities(levels: Mapping[str, str]) -> tuple[dict[str, Severity], set[str], set[str]]:
    """(code -> severity, codes turned off, codes given a severity) from ``severity``."""
    ranked: list[tuple[int, int, list[Rule], str]] = []
    for order, (selector, level) in enumerate(levels.items()):
        matched = _matches(selector)
        if matched is None:
            raise _unknown(selector, f"severity.{selector}")
        ranked.append((matched[0], order, matched[1], level))
    chosen: dict[str, str] = {}
    for _rank, _order, rules, level in sorted(ranked, key=lambda item: item[:2]):
        chosen.update((r.code, level) for r in rules)  # more specific entries come later
    severity = {code: Severity(level) for code, level in chosen.items() if level != "off"}
    off = {code for code, level in chosen.items() if level == "off"}
    return severity, off, set(severity)


def select(settings: Settings) -> Selection:
    """Which rules run under ``settings``, and the severity overrides."""
    ignored = resolve(settings.ignore, "ignore")
    extended = resolve(settings.extend_select, "extend_select")
    if settings.select:
        base = resolve(settings.select, "select") | ALWAYS_SELECTED
    else:
        base = set(default_selection())
    severity, off, levelled = _severities(settings.severity)
    enabled = (base | extended | levelled) - ignored - off
    return Selection(enabled=frozenset(enabled), severity=severity)
