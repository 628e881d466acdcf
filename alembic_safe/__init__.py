"""alembic-safe: safe-by-default Alembic migrations for PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic_safe.batched_backfill import backfill
    from alembic_safe.runtime.allow import allow

__version__ = "0.1.0"

__all__ = ["__version__", "allow", "backfill", "configure"]


def configure(context: Any, **kwargs: Any) -> None:
    """``context.configure(**kwargs)`` with the runtime guard (see docs/runtime-guard.md)."""
    from alembic_safe.runtime.configure import configure as _configure

    _configure(context, **kwargs)


def __getattr__(name: str) -> Any:
    # imported on first use, so that `import alembic_safe` (and the alembic-safe command's
    # start, which reports its own errors) loads nothing heavy
    if name == "allow":
        from alembic_safe.runtime.allow import allow

        return allow
    if name == "backfill":
        from alembic_safe.batched_backfill import backfill

        return backfill
    raise AttributeError(f"module 'alembic_safe' has no attribute {name!r}")
