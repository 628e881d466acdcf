"""``alembic_safe.allow()``: a reasoned runtime exemption around ``op.*`` calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from alembic_safe.errors import UsageError
from alembic_safe.rules import find_rule
from alembic_safe.rules.base import OptOut

_ACTIVE: ContextVar[tuple[OptOut, ...]] = ContextVar("alembic_safe_allow", default=())


@contextmanager
def allow(*rules: str, reason: str = "") -> Iterator[None]:
    """Let the statements run inside the block break ``rules`` (codes or names), for ``reason``.

    The reason is required and every use is printed with it.
    """
    if not rules:
        raise UsageError("alembic_safe.allow() names no rule: write allow(\"AS101\", reason=...)")
    if not reason.strip():
        raise UsageError(
            f"alembic_safe.allow({', '.join(map(repr, rules))}) gives no reason: add "
            "reason=\"why this is safe here\""
        )
    for name in rules:
        if find_rule(name) is None:
            raise UsageError(f"alembic_safe.allow(): unknown rule {name!r}; codes and names are "
                             "listed in the rules reference (docs/rules.md)")
    token = _ACTIVE.set(
        _ACTIVE.get() + tuple(OptOut(rule=r, reason=reason.strip(), source="allow()")
                              for r in rules)
    )
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_optouts() -> tuple[OptOut, ...]:
    """The opt-outs of the ``allow()`` blocks open right now."""
    return _ACTIVE.get()
