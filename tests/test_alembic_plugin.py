"""The ``alembic.plugins`` entry point: Alembic finds and sets up alembic-safe's plugin."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from alembic_safe.autogenerate import plugin


def test_entry_point_names_the_plugin_module() -> None:
    (entry,) = [e for e in metadata.entry_points(group="alembic.plugins")
                if e.name == plugin.PLUGIN_NAME]
    assert entry.load() is plugin


def test_alembic_sets_the_plugin_up_at_import() -> None:
    # a fresh interpreter: Alembic runs its plugin set-up once, when it is imported
    code = ("import alembic.runtime.plugins as p, alembic.config; "
            "print(sorted(p._all_plugins))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert plugin.PLUGIN_NAME in out
