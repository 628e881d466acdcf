"""Throwaway Alembic projects for the `alembic check` tests (real alembic CLI and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ALEMBIC_INI = """\
[alembic]
script_location = migrations
prepend_sys_path = .

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

#: env.py wiring the wrapper by hand (what alembic_safe.configure does for users)
ENV_WRAPPER = """\
import os
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

from alembic_safe.config import load_settings
from alembic_safe.runtime.check_command import wrap_process_revision_directives
from models import Base


def user_hook(context, revision, directives):
    print("user hook called", flush=True)


settings = load_settings(Path(context.config.config_file_name).parent)
engine = create_engine(os.environ["DATABASE_URL"])
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        process_revision_directives=wrap_process_revision_directives(
            user_hook, settings, context
        ),
    )
    with context.begin_transaction():
        context.run_migrations()
"""

#: env.py as users write it: alembic_safe.configure instead of context.configure
ENV_CONFIGURE = """\
import os

from alembic import context
from sqlalchemy import create_engine

import alembic_safe
from models import Base


def user_hook(context, revision, directives):
    print("user hook called", flush=True)


engine = create_engine(os.environ["DATABASE_URL"])
with engine.connect() as connection:
    alembic_safe.configure(
        context, connection=connection, target_metadata=Base.metadata,
        process_revision_directives=user_hook,
    )
    with context.begin_transaction():
        context.run_migrations()
"""

MODELS = """\
from sqlalchemy import BigInteger, Identity, MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={{"ix": "ix_%(table_name)s_%(column_0_name)s"}})


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    status: Mapped[str] = mapped_column(Text, index={index})
{extra}
"""

INITIAL = '''\
"""claims"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "claims",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("status", sa.Text(), nullable=False),
    )


def downgrade():
    op.drop_table("claims")
'''

UNSAFE_INDEX = '''\
"""index claims.status"""
from alembic import op

revision = "{revision}"
down_revision = "{down}"


def upgrade():
    op.create_index("ix_claims_status", "claims", ["status"])


def downgrade():
    op.drop_index("ix_claims_status", table_name="claims")
'''

SAFE_INDEX = '''\
"""index claims.status"""
from alembic import op

revision = "{revision}"
down_revision = "{down}"


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_claims_status", "claims", ["status"], postgresql_concurrently=True
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_claims_status", table_name="claims", postgresql_concurrently=True
        )
'''


@dataclass
class Project:
    root: Path
    url: str

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def models(self, *, index: bool = False, extra: str = "") -> None:
        self.write("models.py", MODELS.format(index=index, extra=extra))

    def settings(self, **values: str) -> None:
        lines = "".join(f'{key} = "{value}"\n' for key, value in values.items())
        self.write("pyproject.toml", f"[tool.alembic_safe]\n{lines}")

    def migration(self, name: str, text: str, **fields: str) -> Path:
        return self.write(f"migrations/versions/{name}.py", text.format(**fields))

    def alembic(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real ``alembic`` command line, in the project."""
        return self.python("-m", "alembic", *args)

    def python(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` in the project (a lone argument with newlines is a script)."""
        if len(args) == 1 and "\n" in args[0]:
            args = ("-c", args[0])
        env = {key: value for key, value in os.environ.items() if key != "ALEMBIC_CONFIG"}
        env.update(DATABASE_URL=self.url, PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run(
            [sys.executable, *args], cwd=self.root, env=env,
            capture_output=True, text=True, timeout=300, check=False,
        )


def make_project(root: Path, url: str, env_py: str) -> Project:
    project = Project(root, url)
    project.write("alembic.ini", ALEMBIC_INI)
    project.write("migrations/env.py", env_py)
    project.write("migrations/script.py.mako", _MAKO)
    project.settings()
    project.models()
    project.migration("0001_claims", INITIAL)
    return project


_MAKO = '''\
"""${message}"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''
