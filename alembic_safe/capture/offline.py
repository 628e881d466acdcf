"""Run a migration script's ``upgrade()``/``downgrade()`` offline and capture each statement.

No database is involved: Alembic's offline mode (``as_sql``) against the PostgreSQL dialect
renders every operation to SQL. Each statement is captured with whether it runs in the
migration's transaction (Alembic's, unless inside ``op.get_context().autocommit_block()``) and
the line of the ``op.*`` call that emitted it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import linecache
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import alembic.context
import alembic.op
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import CompileError
from sqlalchemy.sql.sqltypes import to_instance

from alembic_safe.capture import transactions
from alembic_safe.capture.connection import OfflineConnection
from alembic_safe.capture.diagnose import call_problem, describe, import_problem, run_problem
from alembic_safe.capture.errors import IrreversibleDowngrade, ScriptError
from alembic_safe.capture.location import script_line
from alembic_safe.findings import OptOut
from alembic_safe.runtime.allow import active_optouts

_counter = itertools.count()
DIRECTIONS = ("upgrade", "downgrade")
VIRTUAL_COLUMNS_SINCE = 18


@dataclass(frozen=True)
class CapturedStatement:
    """One piece of SQL a migration emitted (may hold several statements for raw SQL)."""

    sql: str
    #: runs in the migration's transaction (False inside ``autocommit_block()``)
    in_transaction: bool
    path: str
    #: line of the ``op.*`` call in the script (None when emitted from elsewhere)
    line: int | None
    #: column types the op declared as already there (``alter_column(existing_type=...)``)
    existing_types: tuple[ExistingType, ...] = ()
    #: the ``alembic_safe.allow()`` blocks open around the op
    optouts: tuple[OptOut, ...] = ()


class StoppedRender(ScriptError):
    """``upgrade()``/``downgrade()`` raised ``cause`` while rendered offline; ``captured`` holds
    what it emitted before (what runs first online too, up to the line that raised)."""

    def __init__(self, path: str, line: int | None, problem: str,
                 captured: list[CapturedStatement], cause: BaseException) -> None:
        super().__init__(path, line, problem)
        self.captured = captured
        self.cause = cause


@dataclass(frozen=True)
class ExistingType:
    """``op.alter_column(..., existing_type=...)``: the column's type before the change, as
    PostgreSQL SQL (what the analyzer would otherwise need the live catalog for)."""

    schema: str | None
    table: str
    column: str
    type_sql: str


def _script_frame_line(tb: TracebackType | None, path: str) -> int | None:
    """The line of the last traceback frame that is in ``path``."""
    target = os.path.realpath(path)
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if os.path.realpath(frame.f_code.co_filename) == target:
            line = lineno
    return line


def _raises_first(exc: BaseException, function: Any) -> bool:
    """Whether ``exc`` came from a ``raise`` statement written in ``function`` itself."""
    frames = list(traceback.walk_tb(exc.__traceback__))
    if not frames:
        return False
    frame, line = frames[-1]
    return (frame.f_code is getattr(function, "__code__", None)
            and linecache.getline(frame.f_code.co_filename, line).lstrip().startswith("raise"))


@contextlib.contextmanager
def _user_code(directory: Path) -> Iterator[None]:
    """Run user code with print() output sent to stderr and its folder importable."""
    added = str(directory)
    sys.path.insert(0, added)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(added)


@contextlib.contextmanager
def _bound(proxy: EnvironmentContext | Operations, module: ModuleType) -> Iterator[None]:
    """Bind ``proxy`` as ``alembic.context``/``alembic.op`` and restore the previous binding
    (``alembic check`` and the runtime guard lint from inside a running environment)."""
    previous = getattr(module, "_proxy", None)
    proxy._install_proxy()
    try:
        yield
    finally:
        if previous is not None:
            previous._install_proxy()
        else:
            proxy._remove_proxy()


def _target(dialect: Any, pg_version: int) -> None:
    """Make the (never connected) dialect render for PostgreSQL ``pg_version``, as it does
    once it has met such a server: ``Computed(...)`` without ``persisted`` is VIRTUAL on 18 and
    STORED before (SQLAlchemy sets this flag when it connects; offline it assumes the newest).
    """
    dialect.server_version_info = (pg_version, 0)
    dialect.supports_virtual_generated_columns = pg_version >= VIRTUAL_COLUMNS_SINCE


class OfflineScript:
    """A migration script imported and rendered in Alembic's offline mode.

    ``pg_version``: render as SQLAlchemy does for that PostgreSQL major (its newest behaviour
    when None). One offline environment serves the import and every rendering, and
    ``alembic.context`` and ``alembic.op`` are bound to it during both: a module-level
    ``op.get_bind()`` or ``context.is_offline_mode()`` works, as it does when Alembic loads the
    script. Raises :class:`ScriptError` naming the file and line when the script cannot be
    imported.
    """

    def __init__(self, path: Path, display: str | None = None,
                 pg_version: int | None = None) -> None:
        self.path = path
        self.shown = display or str(path)
        self._captured: list[CapturedStatement] = []
        self._state = {"in_transaction": True}
        self._declared: list[ExistingType] = []
        self._environment = EnvironmentContext(Config(), None, as_sql=True)  # type: ignore[arg-type]
        self._environment.configure(dialect_name="postgresql", output_buffer=io.StringIO(),
                                    transactional_ddl=True, literal_binds=True)
        if pg_version is not None:
            _target(self._environment.get_context().dialect, pg_version)
        self._operations = Operations(self._environment.get_context())
        self._hook(self._environment.get_context())
        self.module = self._load()

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """The script's code runs: proxies bound, print() to stderr, its folder importable."""
        with _bound(self._environment, alembic.context), _bound(self._operations, alembic.op), \
                _user_code(Path.cwd()):
            yield

    def _output(self, text: str) -> None:
        self._captured.append(CapturedStatement(
            text.strip(), self._state["in_transaction"], self.shown, script_line(self.path),
            tuple(self._declared), active_optouts()))

    def _hook(self, context: MigrationContext) -> None:
        """Capture what the impl writes, where transactions begin and end, and the old types
        ``alter_column(existing_type=...)`` declares; ``op.get_bind()`` is an
        :class:`OfflineConnection`."""
        impl = context.impl
        alter_column = impl.alter_column

        def alter_column_declaring(table_name: str, column_name: str, **kw: Any) -> None:
            existing = kw.get("existing_type")
            if existing is not None and kw.get("type_") is not None:
                try:
                    type_sql = str(to_instance(existing).compile(dialect=context.dialect))
                except CompileError:  # a type PostgreSQL cannot spell: the old type stays unknown
                    type_sql = ""
                if type_sql:
                    self._declared.append(ExistingType(kw.get("schema"), table_name,
                                                       column_name, type_sql))
            try:
                alter_column(table_name, column_name, **kw)
            finally:
                self._declared.clear()

        def transaction(open_: bool) -> None:
            self._state["in_transaction"] = open_

        def commit() -> None:  # SQLAlchemy begins the next transaction on the next statement
            if self._state["in_transaction"]:
                self._output("COMMIT")

        # Instance attributes only: autocommit_block() calls emit_commit/emit_begin around it.
        impl.alter_column = alter_column_declaring  # type: ignore[method-assign]
        impl.static_output = self._output  # type: ignore[method-assign]
        impl.emit_commit = lambda: transaction(False)  # type: ignore[method-assign]
        impl.emit_begin = lambda: transaction(True)  # type: ignore[method-assign]
        transactions.track(impl, lambda: self._state["in_transaction"])
        bind: Any = OfflineConnection(
            context.dialect, lambda construct, *_: impl._exec(construct), commit)
        context.connection = impl.connection = bind  # what op.get_bind() returns

    def _load(self) -> ModuleType:
        """Import the script as a fresh module (not kept in sys.modules)."""
        name = f"_alembic_safe_migration_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        if spec is None or spec.loader is None:
            raise ScriptError(self.shown, None, "cannot be imported as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            with self._running():
                spec.loader.exec_module(module)
        except SyntaxError as exc:
            raise ScriptError(self.shown, exc.lineno, f"syntax error: {exc.msg}; fix the script"
                              ) from None
        except (Exception, SystemExit) as exc:
            line = _script_frame_line(exc.__traceback__, str(self.path))
            raise ScriptError(self.shown, line, import_problem(exc)) from None
        finally:
            sys.modules.pop(name, None)
        if self._captured:
            first = self._captured[0]
            raise ScriptError(self.shown, first.line, "executes SQL when it is imported "
                              f"({first.sql.splitlines()[0]}); Alembic runs that whenever it "
                              "loads the scripts, for every revision: move it into upgrade()")
        return module

    def render(self, direction: str = "upgrade") -> list[CapturedStatement]:
        """The SQL ``<direction>()`` emits in Alembic's offline mode, in order.

        Raises :class:`ScriptError` when the function is missing or raises.
        """
        function = getattr(self.module, direction, None)
        if not callable(function):
            raise ScriptError(self.shown, None, f"defines no {direction}() function; is it an "
                              "Alembic migration script?")
        problem = call_problem(direction, function)
        if problem is not None:
            code = getattr(function, "__code__", None)
            raise ScriptError(self.shown, code.co_firstlineno if code is not None else None,
                              problem)
        self._captured = []
        self._state["in_transaction"] = True
        failure: ScriptError | None = None
        with self._running():
            try:
                function()
            except (Exception, SystemExit) as exc:
                line = _script_frame_line(exc.__traceback__, str(self.path))
                if (direction == "downgrade" and not self._captured
                        and _raises_first(exc, function)):
                    failure = IrreversibleDowngrade(
                        self.shown, line, f"downgrade() is irreversible by design "
                        f"({describe(exc)}): nothing to lint")
                else:
                    failure = StoppedRender(self.shown, line, run_problem(direction, exc),
                                            self._captured, exc)
        if failure is not None:
            raise failure
        return self._captured
