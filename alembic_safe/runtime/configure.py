"""``alembic_safe.configure(context, ...)``: ``context.configure`` with the guard installed."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.util import CommandError

from alembic_safe.autogenerate.options import SETTINGS_KEY, ProjectSettings, with_plugin
from alembic_safe.batched_backfill import PROGRESS_TABLE
from alembic_safe.config import Settings, find_pyproject, load_pyproject, load_settings
from alembic_safe.errors import AlembicSafeError
from alembic_safe.runtime import dry_run, offline, online, retry, revisions, user_errors
from alembic_safe.runtime.check_command import wrap_process_revision_directives
from alembic_safe.runtime.guard import Guard, say

SETTING_KEYS = frozenset(f.name for f in dataclasses.fields(Settings))
OWN_TABLES = frozenset({PROGRESS_TABLE})  # created by alembic-safe, not by the user's models
#: ``alembic -x alembic-safe-protected=false downgrade -1``: the protected setting, per run
PROTECTED_FLAG = "alembic-safe-protected"
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False}


def _environment(context: Any) -> EnvironmentContext:
    """The EnvironmentContext behind ``alembic.context`` (a module proxy) or itself."""
    if isinstance(context, EnvironmentContext):
        return context
    proxied = getattr(context, "_proxy", None)
    if isinstance(proxied, EnvironmentContext):
        return proxied
    raise CommandError("alembic_safe.configure() needs alembic's context: call it from env.py "
                       "as alembic_safe.configure(context, ...) after `from alembic import "
                       "context`")


def _settings(environment: EnvironmentContext, overrides: dict[str, Any]) -> Settings:
    """``[tool.alembic_safe]``, then the configure() keywords, then ``-x`` arguments."""
    name = environment.config.config_file_name
    start = Path(name).resolve().parent if name else Path.cwd()
    try:
        settings = load_settings(start, **overrides)
    except AlembicSafeError as exc:
        raise CommandError(f"alembic-safe: {exc}") from None
    flag = environment.get_x_argument(as_dictionary=True).get(PROTECTED_FLAG)
    if flag is None:
        return settings
    protected = _BOOLEANS.get(flag.strip().lower())
    if protected is None:
        raise CommandError(f"alembic-safe: -x {PROTECTED_FLAG}={flag}: write true or false")
    return dataclasses.replace(settings, protected=protected)


def _written(environment: EnvironmentContext, overrides: dict[str, Any]) -> frozenset[str]:
    """The settings the project gives itself (pyproject.toml or configure() keywords)."""
    name = environment.config.config_file_name
    pyproject = find_pyproject(Path(name).resolve().parent if name else Path.cwd())
    written = set(load_pyproject(pyproject)) if pyproject is not None else set()
    return frozenset(key.replace("-", "_") for key in (*written, *overrides))


def _without_own_tables(user_include_name: Any) -> Any:
    """``include_name`` that hides alembic-safe's own tables (the backfill progress table)
    from autogenerate and ``alembic check``, then asks the user's hook, if any."""

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "table" and name in OWN_TABLES:
            return False
        return True if user_include_name is None else bool(
            user_include_name(name, type_, parent_names))

    return include_name


def configure(context: Any, **kwargs: Any) -> None:
    """Call ``context.configure(**kwargs)`` with the runtime guard installed.

    alembic-safe settings keywords (``lock_timeout="5s"``...) are taken out of ``kwargs``
    and override ``[tool.alembic_safe]``; the user's hooks are wrapped, not replaced, and
    ``transaction_per_migration`` defaults to True.
    """
    environment = _environment(context)
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in SETTING_KEYS}
    settings = _settings(environment, overrides)
    # autogenerate: alembic-safe's comparators (Alembic runs only its own unless told)
    kwargs["autogenerate_plugins"] = with_plugin(kwargs.get("autogenerate_plugins"))
    kwargs[SETTINGS_KEY] = ProjectSettings(settings, _written(environment, overrides))
    kwargs["process_revision_directives"] = wrap_process_revision_directives(
        kwargs.get("process_revision_directives"), settings, context)
    kwargs["include_name"] = _without_own_tables(kwargs.get("include_name"))
    dry = dry_run.requested(environment.get_x_argument(as_dictionary=True))
    if dry and environment.is_offline_mode():
        raise CommandError(f"alembic-safe: -x {dry_run.FLAG}=1 needs a database: drop --sql")
    # a dry run needs one transaction around every migration, to roll it all back
    kwargs["transaction_per_migration"] = False if dry else kwargs.get(
        "transaction_per_migration", True)
    clock = {"start": time.monotonic()}
    user_applied = kwargs.get("on_version_apply")

    def applied(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        elapsed = (time.monotonic() - clock["start"]) * 1000
        mode = ("written" if environment.is_offline_mode()
                else "run (dry run)" if dry else "applied")
        # up_revision_id is the revision applied, or undone by a downgrade
        direction = "stamp" if step.is_stamp else "upgrade" if step.is_upgrade else "downgrade"
        revision = step.up_revision_id or ", ".join(step.down_revision_ids) or "base"
        say(f"revision {revision} ({direction}) {mode} in {elapsed:.0f} ms")
        if user_applied is not None:
            user_applied(ctx=ctx, step=step, heads=heads, run_args=run_args)
        clock["start"] = time.monotonic()

    kwargs["on_version_apply"] = applied
    environment.configure(**kwargs)
    migration_context = environment.get_context()
    # walking imports the scripts: `op` bound, as Alembic has it when it imports them
    with Operations.context(migration_context):
        scripts = list(environment.script.walk_revisions())
    guard = Guard(settings, scripts, offline=environment.is_offline_mode(), dry_run=dry)
    if environment.is_offline_mode():
        offline.install(guard, migration_context)
        revisions.install(guard, migration_context)
    else:
        connection = migration_context.connection
        if connection is None:
            raise CommandError("alembic-safe: context.configure got no connection")
        online.install(guard, connection)
        revisions.install(guard, migration_context)  # inside the retries: checked per attempt
        retry.install(guard, migration_context)
        if dry:
            dry_run.install(guard, migration_context)
    user_errors.install(migration_context)  # outermost: one FAILED: line for our errors
