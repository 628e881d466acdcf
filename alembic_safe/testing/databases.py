"""Fresh, uniquely named databases that are dropped after use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from alembic_safe.testing.server import PostgresServer

DEFAULT_TEMPLATE = "template0"


def unique_name(prefix: str = "alembic_safe_test") -> str:
    """A database name no other test, worker or process will pick (uuid4 based)."""
    return f"{prefix}_{uuid.uuid4().hex}"


@contextmanager
def fresh_database(
    server: PostgresServer, *, template: str = DEFAULT_TEMPLATE, prefix: str = "alembic_safe_test",
) -> Iterator[str]:
    """Create a database cloned from ``template``, yield its SQLAlchemy URL, then drop it."""
    name = unique_name(prefix)
    url = server.create_database(name, template=template)
    try:
        yield url
    finally:
        server.drop_database(name)
