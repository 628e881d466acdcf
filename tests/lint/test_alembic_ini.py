"""Lint imports migration scripts the way Alembic does: with alembic.ini's prepend_sys_path."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lint_helpers import Run, migration

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
USES_APP = "from myapp.tables import CLAIMS\nop.drop_table(CLAIMS)"


@pytest.fixture(autouse=True)
def restore_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without the app importable, and leaves sys.path as it was."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [m for m in sys.modules if m == "myapp" or m.startswith("myapp.")]:
        del sys.modules[name]


def app(write: Write) -> None:
    write("src/myapp/__init__.py", "")
    write("src/myapp/tables.py", "CLAIMS = 'claims'\n")
    write("migrations/versions/0002.py", migration(USES_APP))


def test_prepend_sys_path_makes_the_app_importable(lint: Lint, write: Write) -> None:
    app(write)
    write("alembic.ini", "[alembic]\nscript_location = migrations\n"
                         "prepend_sys_path = . src\npath_separator = space\n")
    run = lint("migrations/versions", "--format", "json")
    assert (run.code, sorted(run.codes())) == (1, ["AS501", "AS801"])


def test_ini_named_with_config(lint: Lint, write: Write) -> None:
    app(write)
    write("deploy/alembic.ini", "[alembic]\nprepend_sys_path = %(here)s/../src\n"
                                "path_separator = os\n")
    run = lint("migrations/versions", "-c", "deploy/alembic.ini", "--format", "json")
    assert (run.code, sorted(run.codes())) == (1, ["AS501", "AS801"])


def test_without_it_the_import_fails_clearly(lint: Lint, write: Write) -> None:
    app(write)
    run = lint("migrations/versions", "--format", "json")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: migrations/versions/0002.py:8: ")
    assert "No module named 'myapp'" in run.err


def test_unreadable_ini_is_a_usage_error(lint: Lint, write: Write) -> None:
    app(write)
    write("alembic.ini", "[alembic\nprepend_sys_path = src\n")
    run = lint("migrations/versions")
    assert run.code == 2 and run.err.startswith("alembic-safe: alembic.ini: cannot read it:")
