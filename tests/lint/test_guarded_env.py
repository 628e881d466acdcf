"""Offline lint of scripts whose env.py installs the runtime guard: lock_timeout is managed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run, migration

from alembic_safe.lint.guarded import runs_under_guard

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
ADD_COLUMN = 'op.add_column("users", sa.Column("note", sa.Text()))'

GUARDED_ENVS = {
    "module": "import alembic_safe\nalembic_safe.configure(context, connection=None)\n",
    "aliased module": "import alembic_safe as safe\nsafe.configure(context)\n",
    "imported function": "from alembic_safe import configure\nconfigure(context)\n",
    "aliased function": "from alembic_safe import configure as guard\n"
                        "def run():\n    guard(context)\n",
}
PLAIN_ENVS = {
    "plain configure": "from alembic import context\ncontext.configure(url='x')\n",
    "only mentioned": "# alembic_safe.configure(context) is not called here\n"
                      "import alembic_safe\nNOTE = 'alembic_safe.configure(context)'\n",
    "other configure": "import alembic_safe\nimport logging\nlogging.configure()\n",
    "not python": "def broken(:\n",
}


@pytest.mark.parametrize("env", GUARDED_ENVS.values(), ids=GUARDED_ENVS.keys())
def test_env_that_installs_the_guard(tmp_path: Path, env: str) -> None:
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(env)
    assert runs_under_guard(tmp_path / "migrations" / "versions" / "0001.py") is True


@pytest.mark.parametrize("env", PLAIN_ENVS.values(), ids=PLAIN_ENVS.keys())
def test_env_without_the_guard(tmp_path: Path, env: str) -> None:
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(env)
    assert runs_under_guard(tmp_path / "migrations" / "versions" / "0001.py") is False


def test_script_with_no_env_nearby(tmp_path: Path) -> None:
    assert runs_under_guard(tmp_path / "0001.py") is False


def test_guarded_project_gets_no_missing_lock_timeout(lint: Lint, write: Write) -> None:
    write("migrations/env.py", GUARDED_ENVS["module"])
    write("migrations/versions/0002.py", migration(ADD_COLUMN))
    run = lint("migrations/versions", "--format", "json")
    assert (run.code, run.codes()) == (0, [])


def test_plain_project_gets_missing_lock_timeout(lint: Lint, write: Write) -> None:
    write("migrations/env.py", PLAIN_ENVS["plain configure"])
    write("migrations/versions/0002.py", migration(ADD_COLUMN))
    run = lint("migrations/versions", "--format", "json")
    assert (run.code, run.codes()) == (0, ["AS801"])


def test_guarded_project_still_gets_its_errors(lint: Lint, write: Write) -> None:
    write("migrations/env.py", GUARDED_ENVS["imported function"])
    write("migrations/versions/0002.py",
          migration('op.create_index("ix_users_email", "users", ["email"])'))
    run = lint("migrations/versions", "--format", "json")
    assert (run.code, run.codes()) == (1, ["AS101"])
