"""Temporary server directories: who owns them, and cleaning up after a killed owner.

Each server directory holds the owning process id. A process killed before its atexit cleanup
leaves a running postmaster and a directory behind; the next start stops and removes them.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

OWNER_FILE = "owner.pid"
PREFIXES = ("alembic-safe-pg-", "alembic-safe-pgserver-")


def make_directory(prefix: str) -> Path:
    """A new temporary directory marked as owned by this process."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    (base / OWNER_FILE).write_text(str(os.getpid()))
    return base


def sweep() -> None:
    """Stop and remove server directories whose owning process is gone."""
    root = Path(tempfile.gettempdir())
    for prefix in PREFIXES:
        for base in root.glob(f"{prefix}*"):
            try:
                owner = int((base / OWNER_FILE).read_text().strip())
            except (OSError, ValueError):
                continue
            if not alive(owner):
                kill_postmaster(base / "data")
                shutil.rmtree(base, ignore_errors=True)


def postmaster_pid(data: Path) -> int | None:
    """The postmaster pid recorded in ``data``, or None."""
    try:
        return int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def kill_postmaster(data: Path) -> None:
    """Immediate shutdown (SIGQUIT, then SIGKILL) of the postmaster running on ``data``."""
    pid = postmaster_pid(data)
    if pid is None or not alive(pid) or not _runs_on(pid, data):
        return
    os.kill(pid, signal.SIGQUIT)
    if not wait_dead(pid, timeout=10.0):
        os.kill(pid, signal.SIGKILL)
        wait_dead(pid, timeout=10.0)


def alive(pid: int) -> bool:
    """True while process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_dead(pid: int, timeout: float = 30.0) -> bool:
    """Wait until ``pid`` is gone; True if it is."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _runs_on(pid: int, data: Path) -> bool:
    """Whether ``pid`` is a postmaster on ``data`` (a reused pid is left alone, where checkable)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.parent.is_dir():
        return True
    try:
        return str(data) in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
