"""Alembic plugin entry point (``alembic.plugins`` group, loaded by Alembic >= 1.18)."""

from __future__ import annotations

from alembic.runtime.plugins import Plugin


def setup(plugin: Plugin) -> None:
    """Register alembic-safe's autogenerate comparators with Alembic."""
