"""pytest fixtures on a real PostgreSQL server (loaded through the ``pytest11`` entry point).

Nothing starts at import or collection: the server starts the first time a test asks for
``pg_server``, ``pg_url`` or ``pg_engine``, once per session (per worker under xdist). A session
that used it ends its summary with the server's version and source, so a log shows which
PostgreSQL the tests really ran on (under xdist each worker hands it to the controller).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from alembic_safe.testing.databases import fresh_database
from alembic_safe.testing.errors import ServerError
from alembic_safe.testing.server import PostgresServer, start_server

_USED = pytest.StashKey[str]()
_WORKER_OUTPUT_KEY = "alembic_safe_server"


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (see ``start_server`` for where it comes from)."""
    try:
        server = start_server()
    except ServerError as exc:
        pytest.fail(f"alembic-safe pg_server: {exc}", pytrace=False)
    with server:
        request.config.stash[_USED] = f"PostgreSQL {server.full_version} ({server.source})"
        yield server


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker passes the server it used to the controller."""
    output = getattr(session.config, "workeroutput", None)
    used = session.config.stash.get(_USED, None)
    if output is not None and used is not None:
        output[_WORKER_OUTPUT_KEY] = used


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """The xdist controller keeps what a finished worker used (every worker starts the same
    kind of server)."""
    used = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT_KEY)
    config = getattr(node, "config", None)
    if used is not None and config is not None:
        config.stash[_USED] = used


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Name the server the session's tests ran on (nothing when none was started)."""
    used = config.stash.get(_USED, None)
    if used is not None:
        terminalreporter.write_line(f"alembic-safe: the tests ran on {used}")


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database, dropped after the test."""
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A SQLAlchemy Engine on ``pg_url``, disposed after the test."""
    engine = create_engine(pg_url)
    try:
        yield engine
    finally:
        engine.dispose()
