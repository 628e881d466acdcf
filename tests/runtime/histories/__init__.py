"""Migration histories written the way Alembic users write them, for replay tests.

Each folder is a ``versions`` directory: plain ``op.*`` calls as autogenerate writes them, no
alembic-safe opt-out. :func:`install` copies one into a test project.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent


def install(name: str, versions: Path) -> list[str]:
    """Copy history ``name``'s scripts into ``versions``; their revision ids, oldest first."""
    scripts = sorted((HERE / name).glob("[0-9]*.py"))
    for script in scripts:
        shutil.copy(script, versions / script.name)
    return [script.name.split("_", 1)[0] for script in scripts]
