"""Fixtures of the runtime guard tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from runtime_project import Project, make_project


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Project:
    """An Alembic project on a fresh database, with a 'users' table of 3 rows."""
    made = make_project(tmp_path, pg_url)
    made.execute("CREATE TABLE users (id int PRIMARY KEY, email text);"
                 "INSERT INTO users VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    return made


@pytest.fixture
def empty(tmp_path: Path, pg_url: str) -> Project:
    """An Alembic project on a fresh database without any table."""
    return make_project(tmp_path, pg_url)
