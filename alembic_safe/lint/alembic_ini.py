"""What ``alembic.ini`` tells lint about importing migration scripts."""

from __future__ import annotations

import configparser
import sys
import warnings
from pathlib import Path

from alembic_safe.errors import UsageError


def prepend_sys_path(ini: Path) -> list[str]:
    """Put the ini's ``prepend_sys_path`` entries first on ``sys.path``, as Alembic does before
    it imports env.py and the migration scripts; the entries added (none without the file)."""
    if not ini.is_file():
        return []
    from alembic.config import Config  # Alembic is imported only when scripts are linted

    try:
        with warnings.catch_warnings():  # Alembic's notice about path_separator: not ours
            warnings.simplefilter("ignore")
            paths = Config(str(ini)).get_prepend_sys_paths_list() or []
    except configparser.Error as exc:
        raise UsageError(f"{ini}: cannot read it: {' '.join(str(exc).split())}") from None
    sys.path[:0] = paths
    return paths
