"""Offline (``--sql``) hooks: check the SQL before Alembic writes it."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext

from alembic_safe.runtime.guard import Guard
from alembic_safe.runtime.timeouts import timeouts


def install(guard: Guard, context: MigrationContext) -> None:
    """Wrap the impl's output so a refused statement is never written, and write the
    timeouts after every BEGIN and COMMIT."""
    impl = context.impl
    write, begin, commit = impl.static_output, impl.emit_begin, impl.emit_commit
    state = {"in_transaction": True, "control": False}

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

    impl.static_output = output  # type: ignore[method-assign]
    impl.emit_begin = emit_begin  # type: ignore[method-assign]
    impl.emit_commit = emit_commit  # type: ignore[method-assign]
