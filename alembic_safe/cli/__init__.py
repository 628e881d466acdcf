"""The ``alembic-safe`` command line."""
