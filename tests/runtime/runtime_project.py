"""A throwaway Alembic project whose env.py uses alembic_safe.configure (as documented).

``make_project(root, url, driver=...)`` writes the env.py a user of that driver has:
``psycopg`` (psycopg 3), ``psycopg2``, ``plain`` (a ``postgresql://`` URL: psycopg2 under
SQLAlchemy 2.0, psycopg from 2.1 on) with Alembic's generic template; ``asyncpg`` and
``psycopg-async`` (a ``postgresql+psycopg://`` URL given to an async engine) with Alembic's
async template (``async_engine_from_config``, ``connection.run_sync``, ``asyncio.run``). The
test's own queries (``scalar``, ``execute``) always go through psycopg 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

DRIVERS = ("psycopg", "psycopg2", "asyncpg")
#: the SQLAlchemy URL scheme each driver's users write
SCHEMES = {"psycopg": "postgresql+psycopg", "psycopg2": "postgresql+psycopg2",
           "plain": "postgresql", "asyncpg": "postgresql+asyncpg",
           "psycopg-async": "postgresql+psycopg"}
ASYNC = ("asyncpg", "psycopg-async")

HEAD = '''
import os
from alembic import context
import alembic_safe

url = os.environ["DATABASE_URL"]

def run_migrations_offline():
    alembic_safe.configure(context, url=url, target_metadata=None,
                           literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()
'''
SYNC_ONLINE = '''
from sqlalchemy import create_engine

def run_migrations_online():
    connectable = create_engine(url)
    with connectable.connect() as connection:
        alembic_safe.configure(context, connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
'''
# Alembic's `alembic init -t async` env.py, with the two alembic-safe lines
ASYNC_ONLINE = '''
import asyncio
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import async_engine_from_config

config = context.config

def do_run_migrations(connection):
    alembic_safe.configure(context, connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()

async def run_async_migrations():
    connectable = async_engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()

def run_migrations_online():
    asyncio.run(run_async_migrations())
'''
TAIL = '''
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''
INI = """[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .
"""


#: the env.py of a psycopg 3 project
ENV_PY = HEAD + SYNC_ONLINE + TAIL


def driver_url(url: str, driver: str) -> str:
    """``url`` (any PostgreSQL SQLAlchemy URL) with the scheme ``driver``'s users write."""
    parsed = sa.make_url(url)
    return parsed.set(drivername=SCHEMES[driver]).render_as_string(hide_password=False)


def pg8000_url(url: str) -> str:
    """``url`` for pg8000 (a driver the guard refuses), which takes a Unix socket as
    ``unix_sock`` (the socket file), not libpq's ``host`` directory (the embedded servers)."""
    parsed = sa.make_url(url).set(drivername="postgresql+pg8000")
    host = parsed.query.get("host")
    if isinstance(host, str) and host.startswith("/"):
        port = parsed.query.get("port") or parsed.port or 5432
        parsed = parsed.set(query={"unix_sock": f"{host}/.s.PGSQL.{port}"})
    return parsed.render_as_string(hide_password=False)


@dataclass
class Project:
    root: Path
    url: str  # the URL env.py connects with (its scheme picks the driver)
    driver: str = "psycopg"

    @property
    def env_py(self) -> Path:
        return self.root / "migrations" / "env.py"

    def models(self, source: str) -> None:
        """Write ``models.py`` (defining ``metadata``) and make it env.py's target metadata,
        as ``alembic check`` needs."""
        (self.root / "models.py").write_text(textwrap.dedent(source))
        env = self.env_py.read_text().replace("target_metadata=None",
                                              "target_metadata=models.metadata")
        self.env_py.write_text("import models\n" + env)

    def settings(self, **values: str) -> None:
        lines = "".join(f"{k} = {v}\n" for k, v in values.items())
        (self.root / "pyproject.toml").write_text(f"[tool.alembic_safe]\n{lines}")

    def migration(self, revision: str, body: str, down: str | None = None,
                  header: str = "", downgrade: str = "pass") -> Path:
        path = self.root / "migrations" / "versions" / f"{revision}.py"
        path.write_text(
            "from alembic import op\nimport sqlalchemy as sa\nimport alembic_safe\n"
            f"{header}\nrevision = {revision!r}\ndown_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
            + textwrap.indent(textwrap.dedent(body).strip(), "    ")
            + "\n\n\ndef downgrade():\n"
            + textwrap.indent(textwrap.dedent(downgrade).strip(), "    ") + "\n"
        )
        return path

    def alembic(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": self.url}
        result = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=self.root,
                                env=env, capture_output=True, text=True, timeout=timeout)
        # Alembic prints FAILED: to stdout, the guard's reports go to stderr
        result.stderr = result.stdout + result.stderr
        return result

    def engine(self, **kw: object) -> sa.Engine:
        """A psycopg 3 engine on the project's database (for the test's own queries)."""
        return sa.create_engine(driver_url(self.url, "psycopg"), **kw)  # type: ignore[arg-type]

    def scalar(self, query: str) -> object:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return conn.exec_driver_sql(query).scalar()
        finally:
            engine.dispose()

    def execute(self, statement: str) -> None:
        engine = self.engine()
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def version(self) -> object:
        """The applied revision (None when none is, or the version table was rolled back)."""
        if self.scalar("SELECT to_regclass('alembic_version')") is None:
            return None
        return self.scalar("SELECT max(version_num) FROM alembic_version")


def make_project(root: Path, url: str, driver: str = "psycopg") -> Project:
    """An Alembic project on ``url`` whose env.py is written for ``driver``."""
    (root / "migrations" / "versions").mkdir(parents=True)
    online = ASYNC_ONLINE if driver in ASYNC else SYNC_ONLINE
    (root / "migrations" / "env.py").write_text(HEAD + online + TAIL)
    (root / "migrations" / "script.py.mako").write_text("")
    (root / "alembic.ini").write_text(INI)
    return Project(root, driver_url(url, driver), driver)
