"""Offline (``--sql``) hooks: check the SQL before Alembic writes it, and never leave a script
that applies part of a migration.

Alembic writes the script as it goes, so a run that fails (a refused statement, an error in a
migration) would leave it cut inside a migration: piped to psql, the statements before the cut
would run, including what an ``autocommit_block()`` committed. The script is therefore held
back until it reaches a point where it may stop (a migration's ``COMMIT``, the end of the run);
a failed run drops what it held and ends the script with a ``ROLLBACK`` and a statement that
stops psql, with or without ``ON_ERROR_STOP``, with the failure's message.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from alembic_safe.capture import transactions
from alembic_safe.capture.diagnose import describe
from alembic_safe.errors import AlembicSafeError
from alembic_safe.fix.quoting import dollar_quoted, literal
from alembic_safe.runtime.guard import Guard
from alembic_safe.runtime.timeouts import timeouts


def stop_script(message: str) -> str:
    """The end of a script whose run failed: psql rolls back, turns ON_ERROR_STOP on and
    stops at an error that carries ``message`` (its exit status is 3)."""
    text = f"alembic-safe: this script is incomplete, the run that wrote it failed: {message}"
    return (
        "-- The run that wrote this script failed: what it had begun of the failed migration\n"
        "-- is left out, and psql stops at the error below.\n"
        "ROLLBACK;\n"
        "\\set ON_ERROR_STOP on\n"
        f"DO {dollar_quoted(f'BEGIN RAISE EXCEPTION USING MESSAGE = {literal(text)}; END')};\n"
    )


class HeldOutput:
    """What Alembic writes while migrations run, held back until it may stop (see the module
    docstring); what env.py writes before or after the run passes straight through."""

    def __init__(self, impl: DefaultImpl) -> None:
        self._impl = impl
        self._pending = io.StringIO()
        self._target: Any = None

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Hold the output for the block; a block that raises ends the script instead."""
        self._target, self._impl.output_buffer = self._impl.output_buffer, self._pending
        try:
            yield
        except BaseException as exc:
            self._pending.seek(0)
            self._pending.truncate()
            self._target.write(stop_script(_failure(exc)))
            self._target.flush()
            raise
        else:
            self.release()
        finally:
            self._impl.output_buffer, self._target = self._target, None

    def release(self) -> None:
        """Write what is held: the script may stop here."""
        if self._target is not None and self._pending.tell():
            self._target.write(self._pending.getvalue())
            self._target.flush()
            self._pending.seek(0)
            self._pending.truncate()


def _failure(exc: BaseException) -> str:
    if isinstance(exc, (CommandError, AlembicSafeError)):
        return str(exc).splitlines()[0]
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return describe(exc)


def install(guard: Guard, context: MigrationContext) -> None:
    """Wrap the impl's output so a refused statement is never written, write the timeouts
    after every BEGIN and COMMIT, and hold the script back until it may stop."""
    impl = context.impl
    write, begin, commit = impl.static_output, impl.emit_begin, impl.emit_commit
    # without transactional DDL Alembic writes no BEGIN: every statement runs on its own
    state = {"in_transaction": bool(impl.transactional_ddl), "control": False}
    held = HeldOutput(impl)
    run = context.run_migrations

    def output(text: str) -> None:
        if not state["control"]:  # BEGIN/COMMIT of autocommit_block() are Alembic's own
            guard.check(text, in_transaction=state["in_transaction"],
                        version=guard.settings.pg_version)
        write(text)

    def emit_begin() -> None:
        state.update(in_transaction=True, control=True)
        begin()
        write(timeouts(guard.settings, None, True) + ";\n")
        state["control"] = False

    def emit_commit() -> None:
        state.update(in_transaction=False, control=True)
        commit()
        write(timeouts(guard.settings, None, False) + ";\n")
        state["control"] = False
        if guard.locate() is None:  # a migration's own COMMIT, not autocommit_block()'s
            held.release()

    def run_migrations(**kw: Any) -> None:
        with held.holding():
            run(**kw)

    impl.static_output = output  # type: ignore[method-assign]
    impl.emit_begin = emit_begin  # type: ignore[method-assign]
    impl.emit_commit = emit_commit  # type: ignore[method-assign]
    context.run_migrations = run_migrations  # type: ignore[method-assign]
    transactions.track(impl, lambda: state["in_transaction"])
