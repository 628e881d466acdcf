"""Test-suite setup: the alembic-safe fixtures (pg_server, pg_url, pg_engine) come from the
plugin registered through the ``pytest11`` entry point; pytester tests the plugin itself."""

pytest_plugins = ["pytester"]
