"""Why a migration script cannot be imported or rendered offline, and what to do about it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import alembic.op
from sqlalchemy.exc import NoInspectionAvailable

from alembic_safe.capture.connection import NeedsDatabase
from alembic_safe.errors import AlembicSafeError

_OFFLINE = ("offline, as under `alembic upgrade --sql`, op.get_bind() renders SQL and returns "
            "no rows")


def describe(exc: BaseException) -> str:
    """``Type: first line of the message``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def import_problem(exc: BaseException) -> str:
    """The problem of a script whose import raised ``exc``."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return (f"importing the script raised {describe(exc)}: run alembic-safe where Alembic "
                "runs, with the project's dependencies installed and from the folder Alembic "
                "runs in (it is put first on sys.path, as Alembic's `prepend_sys_path = .` does)")
    return f"importing the script raised {describe(exc)}; fix the script"


def call_problem(direction: str, function: Callable[..., Any]) -> str | None:
    """Why ``function`` cannot be called without arguments, or None when it can."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin or C function: nothing to check
        return None
    try:
        signature.bind()
    except TypeError:
        return (f"{direction}{signature} takes arguments, which this project's env.py passes "
                "through context.run_migrations(...); lint calls it with none, as Alembic's "
                "standard env.py does, so it cannot render this script")
    return None


def run_problem(direction: str, exc: BaseException) -> str:
    """The problem of a ``direction()`` that raised ``exc`` when run offline."""
    if isinstance(exc, AlembicSafeError):  # allow(), backfill(): their own one-line message
        return str(getattr(exc, "problem", exc))
    if isinstance(exc, NeedsDatabase):
        return (f"{direction}() needs a live database: {exc.what} ({_OFFLINE}); run that code "
                "only under `if not context.is_offline_mode():`")
    if isinstance(exc, NoInspectionAvailable):
        return (f"{direction}() needs a live database: it reads the schema (sa.inspect, "
                f"Inspector, MetaData.reflect) ({_OFFLINE}); run that code only under "
                "`if not context.is_offline_mode():`")
    if isinstance(exc, AttributeError) and getattr(exc, "obj", None) is alembic.op:
        return (f"{direction}() calls op.{exc.name}, which is not an Alembic operation: a "
                "plugin registers it when imported, usually in env.py, which lint does not run; "
                "import the plugin in the script itself")
    return (f"{direction}() raised {describe(exc)} when run offline (without a database, as "
            "`alembic upgrade --sql` runs it); fix the script")
