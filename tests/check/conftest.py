"""Fixtures of the ``alembic check`` tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from check_project import ENV_WRAPPER, Project, make_project


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Project:
    """An Alembic project whose env.py wires the check wrapper by hand."""
    return make_project(tmp_path / "app", pg_url, ENV_WRAPPER)
