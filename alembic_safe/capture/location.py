"""Find the line of a migration script that is running right now (the ``op.*`` call).

Alembic emits SQL several calls below the script's ``op.create_index(...)`` line; walking the
stack to the innermost frame of the script gives the line a finding should point at. The
offline linter and the runtime guard (online) both use it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from types import FrameType


@lru_cache(maxsize=4096)
def _real_absolute(filename: str) -> str:
    return os.path.realpath(filename)


def _real(filename: str) -> str:
    """Symlink-resolved path (cached for absolute paths, which do not depend on the cwd)."""
    return _real_absolute(filename) if os.path.isabs(filename) else os.path.realpath(filename)


def find_caller(
    is_script: Callable[[str], bool], frame: FrameType | None = None
) -> tuple[str, int] | None:
    """(real path, line) of the innermost stack frame whose file ``is_script`` accepts.

    ``is_script`` receives real (symlink-resolved) paths. The walk starts at ``frame``, by
    default the caller's frame; None when no frame of the stack belongs to a script.
    """
    current: FrameType | None = frame if frame is not None else sys._getframe(1)
    while current is not None:
        filename = _real(current.f_code.co_filename)
        if is_script(filename):
            return filename, current.f_lineno
        current = current.f_back
    return None


def script_line(path: str | Path, frame: FrameType | None = None) -> int | None:
    """The line of ``path`` being executed on the current stack (innermost), or None."""
    target = _real(str(path))
    found = find_caller(lambda filename: filename == target,
                        frame if frame is not None else sys._getframe(1))
    return found[1] if found is not None else None
