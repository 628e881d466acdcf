"""A session that holds a lock (or an open transaction) while a migration waits behind it."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import psycopg

APPLICATION = "billing-worker"


class Holder:
    """Runs ``statement`` in a transaction on its own psycopg 3 connection (application_name
    ``billing-worker``) and keeps it open: until ``release_after`` seconds after another session
    first waits behind it (so the migration's first attempt always times out, however slowly
    ``alembic`` starts), or, with ``release_after=None``, until the ``with`` block ends."""

    def __init__(self, conninfo: str, statement: str, release_after: float | None) -> None:
        self.connection = psycopg.connect(conninfo, application_name=APPLICATION)
        self.pid = self.connection.info.backend_pid
        self.connection.execute(statement)
        self._release_after = release_after
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._hold)
        self.waited_on = False

    def __enter__(self) -> Holder:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()
        self.connection.close()

    def _hold(self) -> None:
        with psycopg.connect(self.connection.info.dsn, autocommit=True) as watcher:
            deadline = time.monotonic() + 60
            while not self._done.is_set() and time.monotonic() < deadline:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE %s = ANY(pg_blocking_pids(pid))", (self.pid,)).fetchone()
                if waiting and waiting[0]:
                    self.waited_on = True
                    break
                time.sleep(0.02)
        self._done.wait(self._release_after)  # None: until the with block ends
        self.connection.rollback()
