"""Alembic plugin entry point (``alembic.plugins`` group, loaded by Alembic >= 1.18).

Installing alembic-safe is all it takes for Alembic to find this module: Alembic imports it at
start-up and calls :func:`setup` with a :class:`~alembic.runtime.plugins.Plugin` named
``alembic_safe``. The autogenerate comparators (enums, renames, concurrent indexes) register
here as they are built; today the plugin carries none, so it changes nothing in autogenerate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Alembic imports this module while it is itself being imported
    from alembic.runtime.plugins import Plugin

PLUGIN_NAME = "alembic_safe"


def setup(plugin: Plugin) -> None:
    """Alembic's hook for this plugin: no comparator is registered yet (see module docs)."""
    if plugin.name != PLUGIN_NAME:
        raise ValueError(f"alembic-safe's plugin was set up as {plugin.name!r}; "
                         f"its entry point must be named {PLUGIN_NAME!r}")
