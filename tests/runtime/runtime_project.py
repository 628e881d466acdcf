"""A throwaway Alembic project whose env.py uses alembic_safe.configure (as documented)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ENV_PY = '''
import os
from alembic import context
from sqlalchemy import create_engine
import alembic_safe

url = os.environ["DATABASE_URL"]

def run_migrations_offline():
    alembic_safe.configure(context, url=url, target_metadata=None,
                           literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()

def run_migrations_online():
    connectable = create_engine(url)
    with connectable.connect() as connection:
        alembic_safe.configure(context, connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''
INI = """[alembic]
script_location = %(here)s/migrations
"""


@dataclass
class Project:
    root: Path
    url: str

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

    def alembic(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": self.url}
        result = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=self.root,
                                env=env, capture_output=True, text=True, timeout=120)
        # Alembic prints FAILED: to stdout, the guard's reports go to stderr
        result.stderr = result.stdout + result.stderr
        return result

    def scalar(self, query: str) -> object:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.exec_driver_sql(query).scalar()
        finally:
            engine.dispose()

    def execute(self, statement: str) -> None:
        engine = sa.create_engine(self.url)
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


def make_project(root: Path, url: str) -> Project:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "migrations" / "script.py.mako").write_text("")
    (root / "alembic.ini").write_text(INI)
    return Project(root, url)
