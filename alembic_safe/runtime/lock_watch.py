"""Who holds the lock a migration statement waits for, sampled while it waits.

``pg_blocking_pids()`` answers only during the wait (it is empty once the statement has
given up), so a background thread samples it while a statement runs. A statement that
finishes quickly costs one attribute store under an uncontended lock: the thread looks only
at statements that have been running for a fifth of ``lock_timeout``, and only then opens
(once, lazily) its own psycopg 3 connection to the same database, in autocommit, so it never
holds a transaction that a concurrent index build would wait for. It closes the connection
and stops after a while without statements, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.pq import Conninfo
from sqlalchemy.engine import URL

#: the lock the watched backend waits for, and each session pg_blocking_pids() names
_SAMPLE = """
SELECT w.locktype, w.relation::regclass::text, w.mode,
       a.pid, a.application_name, a.usename::text, a.state,
       extract(epoch FROM now() - a.xact_start)::float8,
       extract(epoch FROM now() - a.state_change)::float8, a.query
FROM pg_locks w
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS b(pid)
JOIN pg_stat_activity a ON a.pid = b.pid
WHERE w.pid = %s AND NOT w.granted
"""
_HIDDEN = "<insufficient privilege>"
_MODES = {f"{name.title().replace(' ', '')}Lock": name for name in (
    "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE",
    "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE")}
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
IDLE_EXIT_S = 30.0  # the thread (and its connection) ends after this long without statements


@dataclass(frozen=True)
class Blocker:
    """A session that ``pg_blocking_pids()`` named; ``state``, ages and ``query`` are None
    when the role may not read that session's activity."""

    pid: int
    application_name: str
    user: str | None
    state: str | None
    transaction_s: float | None
    state_s: float | None
    query: str | None

    def describe(self) -> str:
        """``pid 42 (application_name 'app', user u, idle in transaction for 5.0 s, ...)``."""
        parts = [f"application_name {self.application_name!r}", f"user {self.user}"]
        if self.query is None:
            parts.append("its state, age and query are hidden from this role (grant it "
                         "pg_read_all_stats to see them)")
        else:
            if self.state is not None:
                parts.append(self.state + (f" for {self.state_s:.1f} s"
                                           if self.state_s is not None else ""))
            if self.transaction_s is not None:
                parts.append(f"transaction open {self.transaction_s:.1f} s")
            lines = [line.strip() for line in self.query.splitlines() if line.strip()]
            first = lines[0] if lines else ""
            parts.append(f"query: {first[:160] + '...' if len(first) > 160 else first}")
        return f"pid {self.pid} ({', '.join(parts)})"


@dataclass(frozen=True)
class Wait:
    """What a statement waited for and who blocked it (the last sample taken)."""

    locktype: str
    relation: str | None
    mode: str
    blockers: tuple[Blocker, ...]

    def describe(self) -> str:
        """What was waited for, in parentheses, and each blocking session."""
        mode = _MODES.get(self.mode, self.mode)
        if self.locktype == "relation":
            what = f"{mode} lock requested"
        elif self.locktype in ("virtualxid", "transactionid"):
            what = "waiting for other transactions to end"
        else:
            what = f"{mode} lock on a {self.locktype} requested"
        return f"({what}), blocked by " + "; ".join(
            blocker.describe() for blocker in self.blockers)


def side_connection_args(url: URL) -> dict[str, Any]:
    """psycopg 3 keyword arguments for a connection to ``url``'s database (any driver's
    URL, its password included), in autocommit, named ``alembic-safe lock watch``."""
    options: dict[str, Any] = {
        key: value if isinstance(value, str) else ",".join(value)  # repeated: host lists
        for key, value in url.query.items()}
    options.update(url.translate_connect_args(username="user", database="dbname"))
    known = {default.keyword.decode() for default in Conninfo.get_defaults()}
    args = {key: value for key, value in options.items() if key in known}
    if "sslmode" not in args and options.get("ssl") in _SSL_MODES:  # asyncpg's spelling
        args["sslmode"] = options["ssl"]
    args.update(application_name="alembic-safe lock watch", connect_timeout=5,
                autocommit=True)
    return args


@dataclass
class _Watched:
    """One statement: its backend, when it started, the last wait a sample caught."""

    pid: int
    since: float
    wait: Wait | None = None


class LockWatcher:
    """One per migration connection: ``watch`` before a statement, ``seen`` after it."""

    def __init__(self, url: URL, lock_timeout_ms: int) -> None:
        self._url = url
        self._delay = max(lock_timeout_ms / 5000, 0.02)
        self._poll = min(max(lock_timeout_ms / 10000, 0.02), 0.25)
        self._idle_tick = min(self._delay, 0.5)
        self._lock = threading.Lock()
        self._watched: _Watched | None = None
        # the running thread and the event that ends it
        self._running: tuple[threading.Thread, threading.Event] | None = None
        self.problem: str | None = None  # why the side connection could not be used

    def watch(self, pid: int) -> None:
        """A statement starts on backend ``pid``."""
        with self._lock:
            self._watched = _Watched(pid, time.monotonic())
            if self._running is None:
                stop = threading.Event()
                thread = threading.Thread(target=self._run, args=(stop,), daemon=True,
                                          name="alembic-safe lock watch")
                self._running = (thread, stop)
                thread.start()
                atexit.register(self.close)

    def seen(self) -> Wait | None:
        """The statement has ended: what it waited for, if a sample caught the wait."""
        with self._lock:
            watched, self._watched = self._watched, None
        return watched.wait if watched is not None else None

    def close(self) -> None:
        """Stop the thread and let it close its connection."""
        with self._lock:
            running, self._running, self._watched = self._running, None, None
        if running is not None:
            atexit.unregister(self.close)
            thread, stop = running
            stop.set()
            thread.join(timeout=2)

    def _run(self, stop: threading.Event) -> None:
        """Sample the statement being watched once it has run for a while; end after
        ``IDLE_EXIT_S`` without statements, or when ``stop`` is set."""
        connection: psycopg.Connection[Any] | None = None
        idle_since = time.monotonic()
        try:
            while not stop.is_set():
                with self._lock:
                    watched = self._watched
                    if watched is None and time.monotonic() - idle_since > IDLE_EXIT_S:
                        self._running = None
                        atexit.unregister(self.close)
                        return
                if watched is None:
                    stop.wait(self._idle_tick)
                    continue
                idle_since = time.monotonic()
                wait_left = watched.since + self._delay - time.monotonic()
                if wait_left > 0:
                    stop.wait(min(wait_left, self._idle_tick))
                    continue
                connection, wait = self._sample(connection, watched.pid)
                if wait is not None:  # an empty sample never hides an earlier one
                    watched.wait = wait
                stop.wait(self._poll)
        finally:
            if connection is not None:
                connection.close()

    def _sample(self, connection: psycopg.Connection[Any] | None,
                pid: int) -> tuple[psycopg.Connection[Any] | None, Wait | None]:
        """The side connection (opened on first use) and the lock backend ``pid`` waits
        for with its blockers (None: it does not wait, or the connection failed)."""
        if self.problem is not None:
            return connection, None
        try:
            if connection is None:
                connection = psycopg.connect(**side_connection_args(self._url))
            rows = connection.execute(_SAMPLE, (pid,)).fetchall()
        except psycopg.Error as exc:
            self.problem = " ".join(str(exc).split()) or type(exc).__name__
            return connection, None
        if not rows:
            return connection, None
        locktype, relation, mode = rows[0][:3]
        return connection, Wait(locktype, relation, mode, tuple(
            Blocker(pid=row[3], application_name=row[4], user=row[5],
                    state=None if row[9] == _HIDDEN else row[6],
                    transaction_s=row[7], state_s=row[8],
                    query=None if row[9] is None or row[9] == _HIDDEN else row[9])
            for row in rows))
