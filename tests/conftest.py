"""Test-suite setup: the alembic-safe fixtures (pg_server, pg_url, pg_engine) come from the
plugin registered through the ``pytest11`` entry point; pytester tests the plugin itself.

Every test that uses the session's server (directly or through another fixture) is marked
``postgres``, so one run can select the real-server tests alone (``-m postgres``): CI runs the
whole suite on PostgreSQL 18 and these again on 16 (see docs/testing.md).
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SERVER_FIXTURE = "pg_server"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
