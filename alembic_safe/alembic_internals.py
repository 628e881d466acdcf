"""Every private or undocumented part of Alembic that alembic-safe relies on, in one place.

The runtime guard (``alembic_safe.runtime``) and the offline capture of ``alembic-safe lint``
(``alembic_safe.capture``) wrap or read parts of Alembic that its documentation does not
promise to keep. Each :class:`Internal` says what alembic-safe relies on, which modules do, and
which public hook could replace it. ``tests/test_alembic_internals.py`` checks every entry
against the installed Alembic (one failure, naming the entry, per changed internal) and checks
that the runtime and capture modules touch nothing that is not listed here.

The Alembic versions this was checked on are ``TESTED_ALEMBIC`` (also the dependency range in
pyproject.toml): widen it only after the test passes on the new release.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

TESTED_ALEMBIC = ">=1.20.1,<1.21"


class Kind(Enum):
    #: a method alembic-safe calls, wraps or replaces on an instance
    METHOD = "method"
    #: an attribute of an instance that alembic-safe reads or replaces
    ATTRIBUTE = "attribute"
    #: a key of an options dict that Alembic fills and alembic-safe reads or replaces
    OPTION = "option"


@dataclass(frozen=True)
class Internal:
    """One part of Alembic alembic-safe relies on beyond its documented API."""

    owner: str  # dotted path of the class (or module) that has it
    name: str  # the method, attribute or option key
    kind: Kind
    relies_on: str  # what alembic-safe relies on
    used_by: tuple[str, ...]  # alembic_safe modules that use it
    public: str  # the public hook that could replace it ("none" when there is none)
    #: METHOD: the parameters (after self) alembic-safe passes or reads, by name; a required
    #: parameter Alembic adds later breaks the wrappers, so required ones are listed exactly
    required: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.owner.rsplit('.', 1)[-1]}.{self.name}"


_CONTEXT = "alembic.runtime.migration.MigrationContext"
_IMPL = "alembic.ddl.impl.DefaultImpl"
_ENV = "alembic.runtime.environment.EnvironmentContext"
_PROXY = "alembic.util.langhelpers.ModuleClsProxy"

INTERNALS: tuple[Internal, ...] = (
    Internal(
        _CONTEXT, "_migrations_fn", Kind.ATTRIBUTE,
        "the function yielding the migration steps, called as fn(heads, context); replaced "
        "by a wrapper that wraps each step (retry, the whole-revision check) or rolls back "
        "after the last (dry run)",
        ("runtime.retry", "runtime.dry_run", "runtime.revisions"),
        "retry: none per migration (retrying the whole `alembic upgrade` through "
        "alembic.command.upgrade is public); dry run: on_version_apply on the last step "
        "raising to roll back the single transaction",
    ),
    Internal(
        "alembic.runtime.migration.MigrationStep", "migration_fn", Kind.ATTRIBUTE,
        "each step's upgrade()/downgrade(), called with keywords; replaced by a retrying one "
        "and by one that checks the whole revision first",
        ("runtime.retry", "runtime.revisions"),
        "none (on_version_apply runs after a step, too late to retry it)",
    ),
    Internal(
        _CONTEXT, "opts", Kind.ATTRIBUTE,
        "the configure() options, read for transaction_per_migration",
        ("runtime.retry",),
        "the keywords alembic_safe.configure() itself passes to context.configure()",
    ),
    Internal(
        _CONTEXT, "autocommit_block", Kind.METHOD,
        "a context manager; replaced on the instance by the dry run (list, do not run); in "
        "offline mode it calls impl.emit_commit() and impl.emit_begin() around the block",
        ("runtime.dry_run", "capture.offline"),
        "none to replace it; the block itself is public",
    ),
    Internal(
        _CONTEXT, "run_migrations", Kind.METHOD,
        "replaced on the instance (keywords passed through): EnvironmentContext.run_migrations "
        "reaches the migrations through the instance attribute; wrapped to hold a lock around "
        "an offline run and to turn alembic-safe's errors into one FAILED: line",
        ("runtime.offline", "runtime.user_errors"),
        "none to wrap it (env.py's own context.run_migrations() call is the user's)",
    ),
    Internal(
        _CONTEXT, "connection", Kind.ATTRIBUTE,
        "assignable: the offline capture sets what op.get_bind() returns; read by the "
        "retry to tell an autocommit block (the public MigrationContext.bind reads it too)",
        ("capture.offline", "runtime.retry"),
        "MigrationContext.configure(connection=...) with a mock connection",
    ),
    Internal(
        _IMPL, "_exec", Kind.METHOD,
        "every statement of every op goes through it, construct first; wrapped on the "
        "instance to retry autocommit statements, to list them in a dry run and to capture "
        "raw SQL offline",
        ("runtime.retry", "runtime.dry_run", "capture.offline"),
        "SQLAlchemy's before_cursor_execute sees every statement but cannot retry one; "
        "Operations.implementation_for(..., replace=True) wraps single ops",
        required=("construct",),
    ),
    Internal(
        _IMPL, "static_output", Kind.METHOD,
        "offline mode writes every statement through it, as text; wrapped to check (runtime) "
        "or capture (lint) it before it is written",
        ("runtime.offline", "capture.offline"),
        "the output_buffer option of context.configure(): a file object that checks each "
        "statement before passing it on",
        required=("text",),
    ),
    Internal(
        _IMPL, "emit_begin", Kind.METHOD,
        "offline mode writes BEGIN through it (also when autocommit_block() ends); wrapped "
        "to follow the transaction and write the timeouts after it",
        ("runtime.offline", "capture.offline"),
        "output_buffer (the BEGIN is written there, the analyzer recognizes it)",
    ),
    Internal(
        _IMPL, "emit_commit", Kind.METHOD,
        "offline mode writes COMMIT through it (also when autocommit_block() starts)",
        ("runtime.offline", "capture.offline"),
        "output_buffer (the COMMIT is written there, the analyzer recognizes it)",
    ),
    Internal(
        _IMPL, "alter_column", Kind.METHOD,
        "op.alter_column() reaches it with table and column names and these keywords; "
        "wrapped offline to read the column's existing type",
        ("capture.offline",),
        "Operations.implementation_for(AlterColumnOp, replace=True) (1.17.2+), reading "
        "operation.existing_type",
        required=("table_name", "column_name"), keywords=("type_", "existing_type", "schema"),
    ),
    Internal(
        _IMPL, "connection", Kind.ATTRIBUTE,
        "the migration connection: set offline, beside MigrationContext.connection, so that "
        "the impl's own statements reach the capture (op.get_bind())",
        ("capture.offline",),
        "none for setting it (the impl keeps its own reference)",
    ),
    Internal(
        _PROXY, "_install_proxy", Kind.METHOD,
        "binds an EnvironmentContext or Operations as alembic.context / alembic.op",
        ("capture.offline",),
        "`with EnvironmentContext(...)` and Operations.context(...) (they remove the binding "
        "on exit instead of restoring the previous one, which alembic check needs)",
    ),
    Internal(
        _PROXY, "_remove_proxy", Kind.METHOD,
        "unbinds alembic.context / alembic.op",
        ("capture.offline",),
        "as for _install_proxy",
    ),
    Internal(
        _PROXY, "_proxy", Kind.ATTRIBUTE,
        "the module attribute of alembic.context and alembic.op holding the bound object",
        ("runtime.configure", "runtime.check_command", "capture.offline"),
        "the module's public functions (context.configure, get_context, config, script, "
        "is_offline_mode, get_x_argument) instead of the EnvironmentContext object",
    ),
    Internal(
        _ENV, "context_opts", Kind.ATTRIBUTE,
        "the options dict of the environment (keywords of its constructor and configure())",
        ("runtime.check_command",),
        "none",
    ),
    Internal(
        _ENV, "fn", Kind.OPTION,
        "context_opts['fn']: the migrations function a command passes; alembic check's is "
        "wrapped to lint the pending migrations before Alembic compares the models",
        ("runtime.check_command",),
        "none before Alembic's up-to-date check; process_revision_directives runs after it",
    ),
    Internal(
        "alembic.command", "revision_context", Kind.OPTION,
        "alembic check passes context_opts['revision_context'] (a RevisionContext whose "
        "generated_revisions[-1].upgrade_ops_list holds the model differences)",
        ("runtime.check_command",),
        "process_revision_directives (alembic check runs it with the same directives)",
    ),
    Internal(
        "alembic.config.CommandLine", "cmd", Kind.OPTION,
        "config.cmd_opts.cmd[0] is the command function (tells alembic check apart)",
        ("runtime.check_command",),
        "none",
    ),
)
