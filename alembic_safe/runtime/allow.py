"""``alembic_safe.allow()``: a reasoned runtime exemption around ``op.*`` calls."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from alembic_safe.findings import OptOut
from alembic_safe.rules import find_rule

_ACTIVE: ContextVar[tuple[OptOut, ...]] = ContextVar("alembic_safe_allow", default=())


def _problem(rules: tuple[Any, ...], reason: Any) -> str | None:
    """What is wrong with ``allow(*rules, reason=reason)``, or None."""
    if not rules:
        return "alembic_safe.allow() names no rule: write allow(\"AS101\", reason=...)"
    named = ", ".join(map(repr, rules))
    if not isinstance(reason, str) or not reason.strip():
        return (f"alembic_safe.allow({named}) gives no reason: add "
                "reason=\"why this is safe here\"")
    for name in rules:
        if not isinstance(name, str) or find_rule(name) is None:
            return (f"alembic_safe.allow(): unknown rule {name!r}; codes and names are listed "
                    "in the rules reference (docs/rules.md)")
    return None


def allow(*rules: str, reason: str = "") -> AbstractContextManager[None]:
    """Let the statements run inside the block break ``rules`` (codes or names), for ``reason``.

    The reason is required and every use is printed with it. A wrong call raises
    :class:`~alembic_safe.runtime.allow_error.AllowError` naming the caller's file and line.
    """
    problem = _problem(rules, reason)
    if problem is not None:
        from alembic_safe.runtime.allow_error import AllowError  # imports Alembic

        caller = sys._getframe(1)
        raise AllowError(problem, caller.f_code.co_filename, caller.f_lineno)
    return _allowed(tuple(OptOut(rule=r, reason=reason.strip(), source="allow()")
                          for r in rules))


@contextmanager
def _allowed(optouts: tuple[OptOut, ...]) -> Iterator[None]:
    token = _ACTIVE.set(_ACTIVE.get() + optouts)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_optouts() -> tuple[OptOut, ...]:
    """The opt-outs of the ``allow()`` blocks open right now."""
    return _ACTIVE.get()
