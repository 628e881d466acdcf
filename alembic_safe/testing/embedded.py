"""The embedded server: PostgreSQL binaries shipped by the ``pgserver`` package.

pgserver listens on a unix socket only (no TCP port at all), runs as its own system user when
started as root, and here works in a temporary directory that stopping removes.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import signal
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from alembic_safe.testing import leftovers
from alembic_safe.testing.errors import ServerError
from alembic_safe.testing.started import Started

PREFIX = "alembic-safe-pgserver-"


def available() -> bool:
    """True when the pgserver package is installed."""
    return importlib.util.find_spec("pgserver") is not None


def start() -> Started:
    """Start a pgserver cluster in a new temporary directory."""
    try:
        with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" noise
            warnings.simplefilter("ignore")
            from pgserver.postgres_server import get_server
    except ImportError as exc:
        raise ServerError(
            "the embedded server needs pgserver: pip install 'alembic-safe[embedded]'"
        ) from exc
    leftovers.sweep()
    base = leftovers.make_directory(PREFIX)
    try:
        handle = get_server(base / "data", cleanup_mode="delete")
        info = handle.get_postmaster_info()
        url = URL.create(
            "postgresql+psycopg", username="postgres", database="postgres",
            query={"host": str(info.socket_dir), "port": str(info.port or 5432)},
        )
        pid = handle.get_pid()
        if pid is None:
            raise ServerError("pgserver reports no running postmaster")
    except Exception as exc:
        leftovers.kill_postmaster(base / "data")
        shutil.rmtree(base, ignore_errors=True)
        raise ServerError(f"the embedded PostgreSQL (pgserver) did not start: {exc}") from exc
    stopper = _Stopper(handle, base)
    atexit.register(stopper)
    return Started(url=url.render_as_string(), pid=pid, directory=base, shutdown=stopper,
                   source="pgserver")


class _Stopper:
    """Stops the pgserver cluster once and removes its directory."""

    def __init__(self, handle: Any, base: Path) -> None:
        self.handle = handle
        self.base = base
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        atexit.unregister(self)
        pid = leftovers.postmaster_pid(self.base / "data")
        self.handle.cleanup()
        if pid is not None and not leftovers.wait_dead(pid, timeout=10.0):
            os.kill(pid, signal.SIGKILL)
            leftovers.wait_dead(pid, timeout=10.0)
        shutil.rmtree(self.base, ignore_errors=True)
