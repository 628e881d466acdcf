"""A throwaway cluster made with the system's ``initdb`` and ``pg_ctl``.

The cluster lives in a fresh temporary directory, listens on 127.0.0.1 (a free port) and a unix
socket in that directory, trusts local connections and skips fsync. As root, the binaries run as
the unprivileged ``postgres`` system user (initdb refuses root). Stopping removes the directory; a
directory left by a killed process is cleaned up by the next start.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
from pathlib import Path

from alembic_safe.testing import leftovers
from alembic_safe.testing.errors import ServerError
from alembic_safe.testing.started import Started

PREFIX = "alembic-safe-pg-"
SERVICE_USER = "postgres"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "log_min_messages": "warning",
}
MAX_SOCKET_PATH = 100
START_ATTEMPTS = 4
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def available() -> bool:
    """True when initdb and pg_ctl are on PATH and can run here (as ``postgres`` if root)."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        return False
    return not _is_root() or _service_account() is not None


def major() -> int | None:
    """The major version of the system's ``pg_ctl`` (``pg_ctl --version``), None if unknown."""
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        return None
    try:
        result = subprocess.run([pg_ctl, "--version"], capture_output=True, text=True,
                                timeout=30, check=False, stdin=subprocess.DEVNULL)
    except OSError:
        return None
    found = _VERSION.search(result.stdout)
    return int(found.group(1)) if found else None


def start() -> Started:
    """Create, configure and start a cluster in a new temporary directory."""
    if not available():
        raise ServerError(
            "cannot start a PostgreSQL cluster: initdb/pg_ctl are not on PATH"
            if shutil.which("initdb") is None or shutil.which("pg_ctl") is None
            else "cannot start a PostgreSQL cluster as root: there is no 'postgres' system user"
        )
    leftovers.sweep()
    base = leftovers.make_directory(PREFIX)
    try:
        account = _service_account() if _is_root() else None
        if account is not None:
            _check_traversable(base, account)
            os.chown(base, account.pw_uid, account.pw_gid)
        data = base / "data"
        _run(["initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], account, base)
        _configure(data, base)
        port = _launch(data, base, account)
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except BaseException:
        leftovers.kill_postmaster(base / "data")
        shutil.rmtree(base, ignore_errors=True)
        raise
    stopper = _Stopper(base, account)
    atexit.register(stopper)
    return Started(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        pid=pid, directory=base, shutdown=stopper, source="system",
    )


class _Stopper:
    """Stops one cluster once: fast shutdown, then the directory is removed."""

    def __init__(self, base: Path, account: pwd.struct_passwd | None) -> None:
        self.base = base
        self.account = account
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        atexit.unregister(self)
        data = self.base / "data"
        pid = leftovers.postmaster_pid(data)
        if pid is not None and leftovers.alive(pid):
            _run(["pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "30", "stop"],
                 self.account, self.base, check=False)
            if not leftovers.wait_dead(pid, timeout=5.0):
                leftovers.kill_postmaster(data)
        shutil.rmtree(self.base, ignore_errors=True)


def _configure(data: Path, base: Path) -> None:
    """Append the harness settings to postgresql.conf."""
    settings = dict(SETTINGS)
    socket_ok = len(str(base / ".s.PGSQL.65535")) <= MAX_SOCKET_PATH
    settings["unix_socket_directories"] = f"'{base}'" if socket_ok else "''"
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n# alembic-safe test harness\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


def _launch(data: Path, base: Path, account: pwd.struct_passwd | None) -> int:
    """Start the postmaster on a free loopback port; retry if the port was taken meanwhile."""
    log = base / "server.log"
    for _ in range(START_ATTEMPTS):
        log.unlink(missing_ok=True)
        port = _free_port()
        result = _run(["pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60",
                       "-o", f"-p {port}", "start"], account, base, check=False)
        if result.returncode == 0:
            return port
        text = log.read_text(errors="replace") if log.exists() else result.stderr
        if "could not bind" not in text and "already in use" not in text:
            raise ServerError(f"pg_ctl could not start PostgreSQL: {_last_line(text)} "
                              f"(log: {log})")
    raise ServerError(f"PostgreSQL found no free port after {START_ATTEMPTS} attempts")


def _run(
    command: list[str], account: pwd.struct_passwd | None, cwd: Path, *, check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary, as ``account`` when given; one-line error on failure."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if account is not None:
        environment.update(HOME=str(cwd), USER=account.pw_name, LOGNAME=account.pw_name)
    result = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, check=False,
        timeout=120, stdin=subprocess.DEVNULL,
        user=account.pw_uid if account else None,
        group=account.pw_gid if account else None,
        extra_groups=[] if account else None,
    )
    if check and result.returncode != 0:
        raise ServerError(
            f"{command[0]} failed (exit {result.returncode}): "
            f"{_last_line(result.stderr or result.stdout)}"
        )
    return result


def _check_traversable(base: Path, account: pwd.struct_passwd) -> None:
    """The service user must reach ``base``: every parent needs search permission for it."""
    for parent in base.parents:
        mode = parent.stat()
        if mode.st_uid == account.pw_uid or mode.st_mode & stat.S_IXOTH:
            continue
        raise ServerError(
            f"the '{account.pw_name}' user cannot reach {base} ({parent} is not world-"
            "searchable): set TMPDIR to a directory such as /tmp"
        )


def _service_account() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return None


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
