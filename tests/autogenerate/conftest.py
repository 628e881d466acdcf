"""Fixtures of the autogenerate tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from autogen_project import Project, make_project


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Project:
    """An empty autogenerate project on a fresh database."""
    return make_project(tmp_path / "app", pg_url)
