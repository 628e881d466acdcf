"""What autogenerate needs from the project: alembic-safe's settings and the PostgreSQL
version the migration is written for.

``alembic_safe.configure`` hands its settings to Alembic's migration context under
:data:`SETTINGS_KEY` (Alembic keeps unknown ``context.configure`` keywords in
``MigrationContext.opts``); without it (the plugin named in ``autogenerate_plugins`` by hand)
they are read from the ``pyproject.toml`` next to or above alembic.ini.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext

from alembic_safe.config import (
    SUPPORTED_PG_VERSIONS,
    Settings,
    find_pyproject,
    load_pyproject,
    load_settings,
)

SETTINGS_KEY = "alembic_safe_settings"
PLUGIN = "alembic_safe"
ALEMBIC_DEFAULT_PLUGINS = ("alembic.autogenerate.*",)


@dataclass(frozen=True)
class ProjectSettings:
    """Settings, and the keys the project set itself (in pyproject.toml or in env.py)."""

    settings: Settings
    explicit: frozenset[str] = frozenset()

    @classmethod
    def load(cls, start: Path, overrides: dict[str, Any]) -> ProjectSettings:
        """The settings of the project at ``start``; ``overrides`` (env.py keywords) win."""
        pyproject = find_pyproject(start)
        written = set(load_pyproject(pyproject)) if pyproject is not None else set()
        keys = {key.replace("-", "_") for key in (*written, *overrides)}
        return cls(load_settings(start, **overrides), frozenset(keys))


@dataclass(frozen=True)
class Options:
    """What one autogenerate run writes for."""

    settings: Settings
    #: the PostgreSQL major the migration is written for
    pg_version: int
    #: where unqualified names live (the first schema of search_path)
    default_schema: str


def with_plugin(plugins: Sequence[str] | None) -> list[str]:
    """``autogenerate_plugins`` with alembic-safe's plugin added: the user's list (Alembic's
    default when none) plus ``alembic_safe``, unless the list names or excludes it."""
    chosen = list(ALEMBIC_DEFAULT_PLUGINS if plugins is None else plugins)
    if not any(name.lstrip("~") == PLUGIN for name in chosen):
        chosen.append(PLUGIN)
    return chosen


def _project(context: MigrationContext) -> ProjectSettings:
    given = context.opts.get(SETTINGS_KEY)
    if isinstance(given, ProjectSettings):
        return given
    config = context.config
    name = config.config_file_name if config is not None else None
    start = Path(name).resolve().parent if name else Path.cwd()
    return ProjectSettings.load(start, {})


def settings(context: MigrationContext) -> Settings:
    """The project's settings for an autogenerate run on ``context`` (no version check)."""
    return _project(context).settings


def options(context: MigrationContext, *, warn: bool = True) -> Options:
    """The options of an autogenerate run on ``context`` (connected to the compared database).

    The migration is written for the older of the compared server's major and ``pg_version``
    (its default, 15, is what lint checks against, so what autogenerate writes passes lint and
    runs on both); a ``pg_version`` the project sets itself wins, with a warning (unless
    ``warn`` is false: another comparator of the same run gives it) when the compared server
    is older (the written forms may not run there)."""
    project = _project(context)
    settings = project.settings
    connection = context.bind
    info = connection.dialect.server_version_info if connection is not None else None
    server = int(info[0]) if info else None
    version = settings.pg_version
    if server is not None and "pg_version" in project.explicit:
        if server < version and warn:
            print(f"alembic-safe: autogenerate writes for PostgreSQL {version} (pg_version) "
                  f"but the database it compared against runs PostgreSQL {server}",
                  file=sys.stderr, flush=True)
    elif server is not None:
        version = min(server, version)
    # the rules know the supported majors; an older or newer server gets the nearest
    supported = max(SUPPORTED_PG_VERSIONS[0], min(version, SUPPORTED_PG_VERSIONS[-1]))
    schema = connection.dialect.default_schema_name if connection is not None else None
    return Options(settings, supported, schema or "public")
