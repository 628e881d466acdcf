"""Real-PostgreSQL test support: servers, fresh databases and pytest fixtures."""

from alembic_safe.testing.databases import fresh_database, unique_name
from alembic_safe.testing.errors import ServerError
from alembic_safe.testing.server import PostgresServer, embedded_server, start_server

__all__ = [
    "PostgresServer",
    "ServerError",
    "embedded_server",
    "fresh_database",
    "start_server",
    "unique_name",
]
