"""Throwaway Alembic projects driven the way users drive autogenerate: a models module, an
env.py with the two alembic-safe lines, Alembic's own script template, the real ``alembic``
command on a real PostgreSQL database."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import alembic
import sqlalchemy as sa

ENV_PY = '''\
import os

from alembic import context
from sqlalchemy import create_engine

import alembic_safe
import models

url = os.environ["DATABASE_URL"]
target_metadata = models.Base.metadata


def run_migrations_offline():
    alembic_safe.configure(context, url=url, target_metadata=target_metadata,
                           literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(url)
    with engine.connect() as connection:
        alembic_safe.configure(context, connection=connection,
                               target_metadata=target_metadata, include_schemas=True,
                               include_name=lambda name, type_, parents: type_ != "schema"
                               or name in (None, "public", *models.SCHEMAS),
                               **models.CONFIGURE)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

INI = """\
[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .
"""

HEADER = '''\
import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMAS = {schemas!r}
CONFIGURE = {configure!r}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={convention!r})

'''


@dataclass
class Project:
    root: Path
    url: str

    def models(self, body: str, *, schemas: tuple[str, ...] = (),
               convention: dict[str, str] | None = None,
               configure: dict[str, Any] | None = None) -> None:
        """Write models.py: the declarative Base (with a naming convention) and ``body``;
        ``configure``: more keywords for env.py's ``alembic_safe.configure``."""
        header = HEADER.format(schemas=schemas, convention=convention or {},
                               configure=configure or {})
        (self.root / "models.py").write_text(header + textwrap.dedent(body))
        shutil.rmtree(self.root / "__pycache__", ignore_errors=True)

    def settings(self, **values: Any) -> None:
        lines = "".join(f"{key} = {value!r}\n".replace("'", '"') for key, value in
                        values.items())
        (self.root / "pyproject.toml").write_text(f"[tool.alembic_safe]\n{lines}")

    def alembic(self, *args: str, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
        """The real ``alembic`` command line in the project; stdout and stderr together."""
        environ = {k: v for k, v in os.environ.items() if k != "ALEMBIC_CONFIG"}
        environ.update(DATABASE_URL=self.url, PYTHONDONTWRITEBYTECODE="1", **(env or {}))
        result = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=self.root,
                                env=environ, capture_output=True, text=True, timeout=300,
                                check=False)
        result.stdout = result.stdout + result.stderr
        return result

    def ok(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = self.alembic(*args, env=env)
        assert result.returncode == 0, result.stdout
        return result.stdout

    def autogenerate(self, message: str) -> str:
        """``alembic revision --autogenerate -m message``: the new script's text."""
        before = set(self.versions.glob("*.py"))
        self.ok("revision", "--autogenerate", "-m", message)
        (path,) = set(self.versions.glob("*.py")) - before
        return path.read_text()

    @property
    def versions(self) -> Path:
        return self.root / "migrations" / "versions"

    def lint(self) -> subprocess.CompletedProcess[str]:
        """``alembic-safe lint`` of the project's migrations (errors fail it)."""
        command = Path(sys.executable).with_name("alembic-safe")
        result = subprocess.run([str(command), "lint", "migrations/versions"], cwd=self.root,
                                capture_output=True, text=True, timeout=300, check=False)
        result.stdout = result.stdout + result.stderr
        return result

    def upgrade(self) -> str:
        return self.ok("upgrade", "head")

    def check(self) -> str:
        return self.ok("check")

    def execute(self, *statements: str) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.exec_driver_sql(query)]
        finally:
            engine.dispose()

    def scalar(self, query: str) -> Any:
        return self.rows(query)[0][0]


def make_project(root: Path, url: str, *, env_imports: tuple[str, ...] = ()) -> Project:
    """``env_imports``: modules env.py imports first (another autogenerate plugin)."""
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(
        "".join(f"import {name}\n" for name in env_imports) + ENV_PY)
    template = Path(alembic.__file__).parent / "templates" / "generic" / "script.py.mako"
    shutil.copy(template, root / "migrations" / "script.py.mako")
    (root / "alembic.ini").write_text(INI)
    project = Project(root, url)
    project.settings()
    return project


def body(script: str, function: str = "upgrade") -> str:
    """The body of ``upgrade()`` (or ``downgrade()``) of a script, dedented, without
    Alembic's two marker comments and the docstring."""
    match = re.search(rf"def {function}\(\) -> None:\n(.*?)(?=\n\ndef |\Z)", script, re.S)
    assert match is not None, script
    lines = [line for line in textwrap.dedent(match.group(1)).strip().splitlines()
             if not line.startswith("# ###") and not line.startswith('"""')]
    return "\n".join(lines).strip()
