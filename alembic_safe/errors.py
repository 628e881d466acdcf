"""Errors that reach the user as one clear message, never as a traceback."""

from __future__ import annotations


class AlembicSafeError(Exception):
    """Base class: a problem the user can fix; its text is printed as is."""


class ConfigError(AlembicSafeError):
    """Invalid ``[tool.alembic_safe]`` settings or configure() keywords."""


class UsageError(AlembicSafeError):
    """A command line or input problem (exit code 2)."""
