"""``alembic check`` with alembic-safe: fail on unsafe migrations and multiple heads too.

``alembic check`` runs env.py with autogenerate and fails when the models differ from
the migrations. Under that command (and only there) alembic-safe first lints the
migration scripts that matter, with the same pipeline as ``alembic-safe lint``, and
checks that the history has one head. Alembic refuses to compare models against a
database that is not up to date *before* it calls ``process_revision_directives``, so
the check wraps the migrations function that ``alembic check`` hands to env.py; it runs
as soon as env.py calls ``context.run_migrations()``.

Which revisions are linted: those not applied to the checked database; with a
``baseline`` setting, every revision that is not the baseline or one of its ancestors,
applied or not (the baseline and what precedes it are trusted history).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.runtime.environment import EnvironmentContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

from alembic_safe.config import Settings
from alembic_safe.errors import AlembicSafeError
from alembic_safe.findings import Finding, Severity
from alembic_safe.report.finding import render

DirectivesHook = Callable[..., None]
MigrationsFn = Callable[[Any, Any], Iterable[Any]]


def wrap_process_revision_directives(
    user_fn: DirectivesHook | None, settings: Settings, context: Any
) -> DirectivesHook | None:
    """The ``process_revision_directives`` to pass to ``context.configure``.

    Under ``alembic check`` this also installs alembic-safe's check of the migrations
    (run when env.py calls ``run_migrations()``); the user's hook keeps running as
    before. Under any other command (``revision --autogenerate``, ``upgrade``...) it
    changes nothing and returns the user's hook.
    """
    environment = _environment(context)
    if environment is None or not is_check_command(environment):
        return user_fn
    migrations_fn = environment.context_opts.get("fn")
    # env.py may configure once per database (multi-db template): wrap only once
    if migrations_fn is not None and not isinstance(migrations_fn, CheckedMigrations):
        environment.context_opts["fn"] = CheckedMigrations(migrations_fn, settings, environment)
    return user_fn


def _environment(context: Any) -> EnvironmentContext | None:
    """The EnvironmentContext behind ``alembic.context`` (a module proxy) or itself."""
    if isinstance(context, EnvironmentContext):
        return context
    proxied = getattr(context, "_proxy", None)
    return proxied if isinstance(proxied, EnvironmentContext) else None


def is_check_command(environment: EnvironmentContext) -> bool:
    """True when env.py runs for ``alembic check`` (CLI or ``alembic.command.check``)."""
    cmd = getattr(environment.config.cmd_opts, "cmd", None)
    if cmd:
        return cmd[0] is command.check
    frame = inspect.currentframe()
    while frame is not None:
        if frame.f_code is command.check.__code__:
            return True
        frame = frame.f_back
    return False


class CheckedMigrations:
    """``alembic check``'s migrations function, preceded by alembic-safe's check."""

    def __init__(
        self, migrations_fn: MigrationsFn, settings: Settings, environment: EnvironmentContext
    ) -> None:
        self.migrations_fn = migrations_fn
        self.settings = settings
        self.environment = environment

    def __call__(self, heads: Any, migration_context: Any) -> Iterable[Any]:
        script = self.environment.script
        split = _heads_problem(script)
        unsafe = _lint_problems(script, heads, self.settings)
        if not split and not unsafe:
            return self.migrations_fn(heads, migration_context)
        drift = _drift(self.migrations_fn, heads, migration_context, self.environment)
        # the report once, on stderr; the error (printed by Alembic as an ERROR log line and
        # as FAILED:) is its one-line summary
        print(_report([*split, *unsafe], drift), file=sys.stderr, flush=True)
        raise CommandError(_summary(split, unsafe, drift))


def _heads_problem(script: ScriptDirectory) -> list[str]:
    heads = sorted(script.get_heads())
    if len(heads) < 2:
        return []
    return [
        f"multiple heads: {', '.join(heads)}; merge them into one, then run the check again:\n"
        f'    alembic merge -m "merge heads" {" ".join(heads)}'
    ]


def revisions_to_check(
    script: ScriptDirectory, database_heads: Sequence[str], baseline: str | None
) -> list[Script]:
    """Revisions to lint, oldest first: pending ones, or everything after ``baseline``."""
    trusted = _ancestry(script, [baseline] if baseline else list(database_heads), baseline)
    every = list(script.walk_revisions())
    every.reverse()
    return [revision for revision in every if revision.revision not in trusted]


def _ancestry(script: ScriptDirectory, tips: Sequence[str], baseline: str | None) -> set[str]:
    found: set[str] = set()
    for tip in tips:
        try:
            found.update(r.revision for r in script.iterate_revisions(tip, "base") if r)
        except (CommandError, RevisionError) as exc:
            origin = (
                f"baseline = {baseline!r} (alembic-safe settings)"
                if baseline else f"the database's revision {tip!r}"
            )
            raise CommandError(
                f"alembic-safe: {origin} is not a revision of {script.dir} ({exc}); "
                "use an existing revision id"
            ) from None
    return found


def _lint_problems(
    script: ScriptDirectory, database_heads: Sequence[str], settings: Settings
) -> list[str]:
    revisions = revisions_to_check(script, tuple(database_heads or ()), settings.baseline)
    try:
        findings = lint_scripts([Path(r.path) for r in revisions if r.path], settings)
    except AlembicSafeError as exc:
        raise CommandError(f"alembic-safe: {exc}") from None
    _print_notes(findings)
    errors = [_format(f) for f in findings if f.blocking]
    scope = f"after baseline {settings.baseline}" if settings.baseline else "pending"
    print(f"alembic-safe: linted {len(revisions)} migration(s) ({scope}): "
          f"{len(errors)} error(s)", file=sys.stderr)
    return errors


def lint_scripts(paths: Sequence[Path], settings: Settings) -> list[Finding]:
    """Findings of ``alembic-safe lint`` for these Alembic scripts (opt-outs applied)."""
    from alembic_safe.lint import lint_paths

    return list(lint_paths(paths, settings))


def _display(path: str | None) -> str:
    if path is None:
        return "<migration>"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _format(finding: Finding) -> str:
    return render(finding, f"{_display(finding.path)}:{finding.line}")


def _print_notes(findings: Sequence[Finding]) -> None:
    """Warnings and used opt-outs do not fail the check but are shown."""
    for finding in findings:
        if finding.allowed_by is not None:
            print(
                f"{_display(finding.path)}:{finding.line}: allowed {finding.rule} "
                f"{finding.name}: {finding.allowed_by.reason}",
                file=sys.stderr,
            )
        elif finding.severity is Severity.WARNING:
            print(f"warning: {_format(finding)}", file=sys.stderr)


def _drift(
    migrations_fn: MigrationsFn, heads: Any, migration_context: Any,
    environment: EnvironmentContext,
) -> str | None:
    """Alembic's own model comparison, so one failed check reports everything it can."""
    try:
        list(migrations_fn(heads, migration_context))
    except CommandError as exc:
        return f"models were not compared: {exc}"
    revision_context = environment.context_opts.get("revision_context")
    if revision_context is None or not revision_context.generated_revisions:
        return None
    diffs = [
        diff
        for upgrade_ops in revision_context.generated_revisions[-1].upgrade_ops_list
        for diff in upgrade_ops.as_diffs()
    ]
    return f"New upgrade operations detected: {diffs}" if diffs else None


def _report(problems: Sequence[str], drift: str | None) -> str:
    lines = ["alembic-safe check failed:", *problems]
    if drift:
        lines.append(drift)
    return "\n".join(lines)


def _summary(split: Sequence[str], unsafe: Sequence[str], drift: str | None) -> str:
    """One line: what failed the check (the details are in the report above it)."""
    parts = [problem.split(";")[0] for problem in split]
    if unsafe:
        parts.append(f"{len(unsafe)} error finding(s) in the migrations checked")
    if drift:
        parts.append("the models differ from the migrations" if drift.startswith("New upgrade")
                     else drift.rstrip("."))
    return f"alembic-safe check failed: {'; '.join(parts)} (details above)"
