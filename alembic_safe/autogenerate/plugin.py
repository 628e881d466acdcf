"""Alembic plugin entry point (``alembic.plugins`` group, loaded by Alembic >= 1.18).

Installing alembic-safe is all it takes for Alembic to find this module: Alembic imports it at
start-up and calls :func:`setup` with a :class:`~alembic.runtime.plugins.Plugin` named
``alembic_safe``. Setting up registers alembic-safe's operations (``op.validate_constraint``,
``op.preflight_unique``... usable in any script), their renderers and implementations, and
the autogenerate comparators of :mod:`alembic_safe.autogenerate.compare`. Alembic runs a
plugin's comparators only when ``autogenerate_plugins`` names it, which
``alembic_safe.configure`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Alembic imports this module while it is itself being imported
    from alembic.runtime.plugins import Plugin

PLUGIN_NAME = "alembic_safe"


def setup(plugin: Plugin) -> None:
    """Alembic's hook for this plugin: register the operations and the comparators."""
    if plugin.name != PLUGIN_NAME:
        raise ValueError(f"alembic-safe's plugin was set up as {plugin.name!r}; "
                         f"its entry point must be named {PLUGIN_NAME!r}")
    # operations, renderers and implementations register as their modules load
    from alembic_safe.autogenerate import render, toimpl  # noqa: F401
    from alembic_safe.autogenerate.compare import COMPARATORS

    for module in COMPARATORS:
        module.setup(plugin)
