"""What differs between PostgreSQL drivers, in one place for the whole runtime.

The guard works on the DB-API connection under the migration's SQLAlchemy ``Connection``
(``connection.connection.dbapi_connection``): psycopg 3 (sync, or async through
``run_sync``), psycopg2 (also what a plain ``postgresql://`` URL means to SQLAlchemy 2) and
asyncpg through SQLAlchemy's adapter (Alembic's async template, ``run_sync``). The guard's own
queries run on that DB-API connection directly, so they never reach SQLAlchemy's events (the
guard listens to those) and share the migration's transaction. Other drivers are refused by
:func:`driver_for` with one line.

Queries are written in the ``format``/``pyformat`` paramstyle (``%s``, ``%(name)s``, ``%%``
for a literal percent sign); :func:`for_paramstyle` rewrites them for asyncpg's ``$1``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import pglast
import psycopg
import sqlalchemy as sa
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.interfaces import ExecuteStyle
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.util import await_only

Params = Sequence[Any] | Mapping[str, Any]
SUPPORTED = "psycopg 3 (postgresql+psycopg://), psycopg2 (postgresql+psycopg2://) or asyncpg " \
            "(postgresql+asyncpg://, with Alembic's async env.py template)"


def sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a driver error (or of the one a SQLAlchemy error wraps), if any:
    psycopg 3 ``.sqlstate``, psycopg2 ``.pgcode``, asyncpg and its adapter ``.sqlstate``."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig
    for attribute in ("sqlstate", "pgcode"):
        code = getattr(exc, attribute, None)
        if isinstance(code, str) and code:
            return code
    return None


def for_paramstyle(paramstyle: str, sql: str, params: Params) -> tuple[str, Params]:
    """``sql`` written with ``%s``/``%(name)s`` placeholders (and ``%%``), with ``params``,
    rewritten for a driver's paramstyle: unchanged for psycopg's ``format``/``pyformat``,
    ``$n`` and a tuple for ``numeric_dollar`` (asyncpg)."""
    if paramstyle in ("format", "pyformat"):
        return sql, params
    if paramstyle != "numeric_dollar":
        raise ValueError(f"paramstyle {paramstyle!r} is not supported")
    out: list[str] = []
    values: list[Any] = []
    numbers: dict[str, int] = {}
    position = 0
    i = 0
    while i < len(sql):
        char = sql[i]
        if char != "%":
            out.append(char)
            i += 1
            continue
        following = sql[i + 1:i + 2]
        if following == "%":
            out.append("%")
            i += 2
        elif following == "s":
            assert isinstance(params, Sequence)
            values.append(params[position])
            position += 1
            out.append(f"${len(values)}")
            i += 2
        elif following == "(":
            end = sql.index(")s", i)
            name = sql[i + 2:end]
            if name not in numbers:
                assert isinstance(params, Mapping)
                values.append(params[name])
                numbers[name] = len(values)
            out.append(f"${numbers[name]}")
            i = end + 2
        else:
            raise ValueError(f"a lone % in SQL written for the format paramstyle: {sql!r}")
    return "".join(out), tuple(values)


class DriverConnection(ABC):
    """The migration's DB-API connection, through what its driver has in common.

    ``query``/``execute`` run SQL of the guard's own on it (no SQLAlchemy events, inside the
    migration's transaction when there is one); ``inline`` gives the analyzer a statement's
    text with its parameters in it. Each instance reads the DB-API connection from the
    SQLAlchemy ``Connection`` on every use (it may be replaced after an invalidation).
    """

    #: SQLAlchemy's name of the driver (``dialect.driver``)
    name = ""
    paramstyle = "pyformat"

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def dbapi(self) -> Any:
        """The DB-API connection (for asyncpg and async psycopg: SQLAlchemy's adapter)."""
        return self._connection.connection.dbapi_connection

    @property
    def native(self) -> Any:
        """The driver's own connection object (under an adapter, the wrapped one)."""
        return self._connection.connection.driver_connection

    @property
    def autocommit(self) -> bool:
        """Whether the DB-API connection is in autocommit mode (``autocommit_block()``)."""
        return bool(self.dbapi.autocommit)

    def query(self, sql: str, params: Params | None = ()) -> list[tuple[Any, ...]]:
        """The rows of ``sql`` run on the DB-API connection (none for a command): with
        ``%s``/``%(name)s`` placeholders and ``%%`` for ``%``, or, with ``params=None``, one
        statement sent as it is (a ``%`` in it is just a ``%``)."""
        cursor = self.dbapi.cursor()
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(*for_paramstyle(self.paramstyle, sql, params))
            rows = cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()
        return [tuple(row) for row in rows]

    def execute(self, sql: str) -> None:
        """Run ``sql`` (one or more statements, no parameters) on the DB-API connection."""
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    @abstractmethod
    def backend_pid(self) -> int:
        """The server process id of the connection (known to the driver: no round trip)."""

    def inline(self, statement: str, parameters: Any, executemany: bool,
               context: Any = None) -> str:
        """``statement`` with ``parameters`` in it, as the analyzer must see it (the
        arguments of ``before_cursor_execute``; with ``executemany``, the first parameter
        set); the statement itself when it has no parameters."""
        if not parameters:
            return statement
        # SQLAlchemy's "insertmanyvalues" batches say executemany but carry one set
        batch = getattr(context, "execute_style", None) is ExecuteStyle.INSERTMANYVALUES
        return self._inline(statement, parameters[0] if executemany and not batch
                            else parameters)

    @abstractmethod
    def _inline(self, statement: str, parameters: Any) -> str:
        """``statement`` with one set of parameters in it."""


class _Psycopg(DriverConnection):
    """psycopg 3, sync or async (SQLAlchemy's adapter wraps an ``AsyncConnection``)."""

    name = "psycopg"

    def backend_pid(self) -> int:
        return int(self.native.info.backend_pid)

    def _inline(self, statement: str, parameters: Any) -> str:
        native = self.native
        cursor_class = (psycopg.AsyncClientCursor if isinstance(native, psycopg.AsyncConnection)
                        else psycopg.ClientCursor)
        return str(cursor_class(native).mogrify(statement, parameters))


class _Psycopg2(DriverConnection):
    name = "psycopg2"

    def backend_pid(self) -> int:
        return int(self.native.get_backend_pid())

    def _inline(self, statement: str, parameters: Any) -> str:
        import psycopg2.extensions  # type: ignore[import-untyped]  # only with this driver

        native = self.native
        with native.cursor() as cursor:
            text: bytes = cursor.mogrify(statement, parameters)
        return text.decode(psycopg2.extensions.encodings.get(native.encoding, "utf-8"))


class _Asyncpg(DriverConnection):
    """asyncpg through SQLAlchemy's adapter: ``$n`` placeholders, no mogrify, and prepared
    statements (one statement each), so ``execute`` uses asyncpg's own simple query."""

    name = "asyncpg"
    paramstyle = "numeric_dollar"

    def backend_pid(self) -> int:
        return int(self.native.get_server_pid())

    def execute(self, sql: str) -> None:
        await_only(self.native.execute(sql))

    def _inline(self, statement: str, parameters: Any) -> str:
        """Each ``$n`` (a PARAM token of PostgreSQL's own lexer, so never one inside a string
        or comment) replaced by SQLAlchemy's literal rendering of its value; a value with no
        literal form keeps its ``$n``, which PostgreSQL's parser (and so the analyzer) reads
        as a parameter."""
        try:
            tokens = pglast.parser.scan(statement)
        except pglast.parser.ParseError:
            return statement
        dialect = self._connection.dialect
        pieces: list[str] = []
        done = 0
        for token in tokens:
            if token.name != "PARAM":
                continue
            number = int(statement[token.start + 1:token.end + 1])
            if not 0 < number <= len(parameters):
                continue
            literal = _literal(dialect, parameters[number - 1])
            if literal is not None:
                pieces += [statement[done:token.start], literal]
                done = token.end + 1
        return "".join(pieces) + statement[done:]


def _literal(dialect: Dialect, value: Any) -> str | None:
    """``value`` as an SQL literal by SQLAlchemy's compiler (None: it has no literal form)."""
    try:
        return str(sa.literal(value).compile(dialect=dialect,
                                             compile_kwargs={"literal_binds": True}))
    except (SQLAlchemyError, NotImplementedError, TypeError, ValueError):
        return None


_DRIVERS: dict[str, type[DriverConnection]] = {
    driver.name: driver for driver in (_Psycopg, _Psycopg2, _Asyncpg)}


def supported(dialect: Dialect) -> bool:
    """Whether the driver layer works with ``dialect`` (PostgreSQL through a driver above)."""
    return dialect.name == "postgresql" and dialect.driver in _DRIVERS


def driver_for(connection: Connection) -> DriverConnection:
    """The driver layer of ``connection``; a ``CommandError`` (one line, no traceback)
    naming the database or the driver when the runtime guard cannot work with it."""
    dialect = connection.dialect
    if dialect.name != "postgresql":
        raise CommandError(f"alembic-safe: the runtime guard works on PostgreSQL only; this "
                           f"connection is {dialect.name} (driver {dialect.driver})")
    driver = _DRIVERS.get(dialect.driver)
    if driver is None:
        raise CommandError(
            f"alembic-safe: the runtime guard does not support the {dialect.driver} driver "
            f"(postgresql+{dialect.driver}://); use {SUPPORTED}")
    return driver(connection)
