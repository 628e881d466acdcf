"""pytest fixtures on a real PostgreSQL server (loaded through the ``pytest11`` entry point).

Nothing starts at import or collection: the server starts the first time a test asks for
``pg_server``, ``pg_url`` or ``pg_engine``, once per session (per worker under xdist). A session
that used it ends its summary with the server's version and source, so a log shows which
PostgreSQL the tests really ran on.
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
