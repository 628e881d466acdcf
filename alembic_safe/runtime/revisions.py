"""Step hooks: what the guard does around each revision step of a run.

- At the first step, online: is the run a fresh install (:mod:`alembic_safe.runtime.fresh`)?
  Said once, in one line.
- Before a step runs: its ``upgrade()`` (or ``downgrade()``) is rendered offline, as lint
  does, and every statement is checked with the live catalog and the guard's relaxations;
  the error findings are printed all at once and the revision is refused before any of it
  runs. A script that stops rendering offline (it reads rows, say) is checked ahead up to
  there, said in one line, and the rest statement by statement as it runs. The check of each
  statement as it runs stays, and decides when the SQL sent online differs from the rendered
  one. In a fresh install, where only what fails whatever the data is refused, the revision is
  rendered only when a statement is refused, to list every error of it.
- A downgrade on a database that is not ``protected``: the same revision's upgrade is
  rendered too, to know what it created (:mod:`alembic_safe.runtime.created`).
- After a step: the relations it created are new to the run's later revisions.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import Script

from alembic_safe.capture.errors import IrreversibleDowngrade, ScriptError
from alembic_safe.capture.offline import CapturedStatement, OfflineScript, StoppedRender
from alembic_safe.errors import AlembicSafeError
from alembic_safe.findings import Finding
from alembic_safe.runtime.catalog import LiveCatalog, NotNullChecks
from alembic_safe.runtime.created import CreatedObjects
from alembic_safe.runtime.driver import driver_for, sqlstate
from alembic_safe.runtime.fresh import ANNOUNCEMENT, is_fresh_install
from alembic_safe.runtime.guard import Guard, Step, errors_of, say
from alembic_safe.runtime.retry import LockTimeout

LOCK_NOT_AVAILABLE = "55P03"


@dataclass(frozen=True)
class Target:
    """What the checks of a whole revision need to know about the database."""

    version: int
    schema: str
    #: makes a live catalog on the migration connection (None offline)
    catalog: Callable[[], LiveCatalog] | None

    @classmethod
    def of(cls, guard: Guard, context: MigrationContext) -> Target:
        if guard.offline or context.connection is None:
            return cls(guard.settings.pg_version, "public", None)
        connection = context.connection
        info = context.dialect.server_version_info
        checks = NotNullChecks()

        def catalog() -> LiveCatalog:
            return LiveCatalog(driver_for(connection), checks)

        return cls(int(info[0]) if info else guard.settings.pg_version,
                   context.dialect.default_schema_name or "public", catalog)


def install(guard: Guard, context: MigrationContext) -> None:
    """Wrap each revision step of ``context``'s run (install before the retry hooks, so a
    retried step is checked again)."""
    steps_of = context._migrations_fn
    if steps_of is None:
        return
    target = Target.of(guard, context)

    def errors_ahead(script: Script) -> list[Finding]:
        step = guard.step
        direction = "upgrade" if step is None or step.upgrade else "downgrade"
        try:
            return _errors_ahead(guard, target, script, direction)[0]
        except ScriptError:
            return []

    guard.errors_ahead = errors_ahead

    def steps(heads: Any, ctx: MigrationContext) -> Iterator[Any]:
        first = True
        for step in steps_of(heads, ctx):
            script = getattr(step, "revision", None)
            if isinstance(script, Script):  # not a stamp
                if first and step.is_upgrade:
                    _detect_fresh_install(guard, context, tuple(heads))
                step.migration_fn = _checked(guard, target, script, bool(step.is_upgrade),
                                             step.migration_fn)
            first = False
            yield step

    context._migrations_fn = steps


def _detect_fresh_install(guard: Guard, context: MigrationContext,
                          heads: tuple[str, ...]) -> None:
    """Online, at the run's first upgrade step: is it a fresh install? Said once."""
    if guard.offline or context.connection is None:
        return
    guard.fresh_install = is_fresh_install(context.connection, heads, context.version_table,
                                           context.version_table_schema)
    if guard.fresh_install:
        say(ANNOUNCEMENT)


def _checked(guard: Guard, target: Target, script: Script, upgrade: bool,
             function: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(function)
    def run(**kw: Any) -> None:
        undone = None if upgrade or guard.settings.protected else _created(script, target)
        guard.step = Step(script, upgrade, undone)
        if not guard.fresh_install:  # a fresh install refuses only what fails: listed then
            _check_whole(guard, target, script, "upgrade" if upgrade else "downgrade")
        function(**kw)
        guard.finish(script)

    return run


def _render(script: Script, direction: str, pg_version: int) -> list[CapturedStatement]:
    """``direction()`` of ``script`` rendered offline for PostgreSQL ``pg_version`` (raises
    ScriptError), without the INFO lines Alembic logs for the offline context it makes
    ("Generating static SQL"...)."""
    logger = logging.getLogger("alembic.runtime.migration")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        return OfflineScript(Path(script.path), script.path, pg_version).render(direction)
    finally:
        logger.setLevel(level)


def _check_whole(guard: Guard, target: Target, script: Script, direction: str) -> None:
    """Refuse the revision, listing every error finding, before any of it runs. A script
    that stops rendering offline (it reads the database) is checked ahead up to that line."""
    try:
        errors, stopped = _errors_ahead(guard, target, script, direction)
    except IrreversibleDowngrade:
        return  # running it raises the script's own error
    except ScriptError as exc:
        say(f"revision {script.revision}: checking each statement as it runs, not the whole "
            f"revision first: {exc}")
        return
    if errors:
        guard.refuse(script, errors)
    # an alembic-safe error of the script's own (a wrong allow()) stops the run with its line
    if stopped is not None and not isinstance(stopped.cause, AlembicSafeError):
        say(f"revision {script.revision}: checked ahead up to {stopped.path}:{stopped.line}, "
            f"the rest statement by statement as it runs: {stopped.problem}")


def _errors_ahead(guard: Guard, target: Target, script: Script, direction: str
                  ) -> tuple[list[Finding], StoppedRender | None]:
    """The error findings of ``script``'s ``direction()`` rendered offline (up to where its
    rendering stopped, returned too); raises ScriptError when it does not render at all."""
    stopped: StoppedRender | None = None
    try:
        rendered = _render(script, direction, target.version)
    except StoppedRender as exc:
        rendered, stopped = exc.captured, exc
    state = guard.migration(script, target.version, target.catalog, target.schema)
    try:
        findings = guard.preview(state, rendered)
    except Exception as exc:
        if sqlstate(exc) != LOCK_NOT_AVAILABLE:
            raise
        raise LockTimeout(
            f"alembic-safe: lock_timeout ({guard.settings.lock_timeout}) reached in revision "
            f"{script.revision} while reading one of its tables: another session holds an "
            "ACCESS EXCLUSIVE lock on it; run the migration again when the table is quiet",
            detail="one of its tables, read to check the revision ahead",
        ) from None
    return errors_of(findings), stopped


def _created(script: Script, target: Target) -> CreatedObjects | None:
    """What ``script``'s upgrade creates (up to the line where it stops rendering offline,
    said in one line), or None (said) when it cannot be rendered at all."""
    try:
        rendered = _render(script, "upgrade", target.version)
    except StoppedRender as exc:
        say(f"revision {script.revision}: what its upgrade() creates after line {exc.line} is "
            "not known (it needs the database there), so dropping it is checked as on a "
            "protected database")
        rendered = exc.captured
    except ScriptError as exc:
        say(f"revision {script.revision}: its downgrade is checked as on a protected database: "
            f"upgrade() cannot be rendered to know what it created: {exc}")
        return None
    return CreatedObjects.of_upgrade(
        ((item.sql, item.in_transaction, item.line) for item in rendered), target.schema)
