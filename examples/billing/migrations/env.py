"""Alembic environment of the billing example, guarded by alembic-safe."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from billing.models import Base
from sqlalchemy import engine_from_config, pool

import alembic_safe

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
target_metadata = Base.metadata


def database_url(required: bool = True) -> str:
    """The URL from DATABASE_URL, as a psycopg 3 SQLAlchemy URL."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url and not required:
        return "postgresql+psycopg://"  # offline SQL needs only the dialect
    if not url:
        raise SystemExit(
            "DATABASE_URL is not set: set it to the database to migrate, "
            "e.g. DATABASE_URL=postgresql://user@localhost/billing"
        )
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def run_migrations_offline() -> None:
    """Emit SQL (``alembic upgrade --sql``) without a database connection."""
    url = database_url(required=False)
    alembic_safe.configure(context, url=url, target_metadata=target_metadata,
                           literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the database named by DATABASE_URL."""
    section = config.get_section(config.config_ini_section, {})
    section["sqlalchemy.url"] = database_url()
    connectable = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        alembic_safe.configure(context, connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
