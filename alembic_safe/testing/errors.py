"""The error raised when a test server cannot be started or reached."""

from __future__ import annotations

from alembic_safe.errors import AlembicSafeError


class ServerError(AlembicSafeError):
    """No usable PostgreSQL server: the message says which source failed and what to do."""
