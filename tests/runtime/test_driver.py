"""The driver layer on real PostgreSQL connections of every supported driver (async ones
inside ``run_sync``, as Alembic's async template runs migrations)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pglast
import psycopg
import pytest
import sqlalchemy as sa
from alembic.util import CommandError
from runtime_project import pg8000_url
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic_safe.analysis.facts import Relation
from alembic_safe.runtime import rerun_catalog
from alembic_safe.runtime.catalog import LiveCatalog, NotNullChecks
from alembic_safe.runtime.driver import driver_for, for_paramstyle, sqlstate

#: SQLAlchemy URL scheme of each way to reach PostgreSQL the driver layer supports
SCHEMES = {"psycopg": "postgresql+psycopg", "psycopg2": "postgresql+psycopg2",
           "asyncpg": "postgresql+asyncpg", "psycopg_async": "postgresql+psycopg_async"}


def on_connection(pg_url: str, scheme: str, work: Callable[[Connection], Any],
                  **options: Any) -> Any:
    """``work(connection)`` on a SQLAlchemy connection through ``scheme``; for an async
    driver, inside ``AsyncConnection.run_sync`` under ``asyncio.run``."""
    url = sa.make_url(pg_url).set(drivername=SCHEMES[scheme])
    if scheme in ("psycopg", "psycopg2"):
        engine = sa.create_engine(url, **options)
        try:
            with engine.connect() as connection:
                return work(connection)
        finally:
            engine.dispose()

    async def run() -> Any:
        engine = create_async_engine(url, **options)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture(params=list(SCHEMES))
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_queries_run_on_the_dbapi_connection_without_events(pg_url: str, scheme: str) -> None:
    def work(connection: Connection) -> None:
        seen: list[str] = []
        event.listen(connection, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: seen.append(statement))
        driver = driver_for(connection)
        assert driver.name == scheme.removesuffix("_async")
        assert driver.autocommit is False
        driver.execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('50%'), ('x')")
        assert driver.query("SELECT v, %s::text[] FROM t WHERE v LIKE '%%\\%%'",
                            (["a", "b"],)) == [("50%", ["a", "b"])]
        assert driver.query("SELECT %(n)s::int + %(n)s::int, %(s)s::text",
                            {"n": 2, "s": "it's"}) == [(4, "it's")]
        assert driver.query("SELECT pg_backend_pid()") == [(driver.backend_pid(),)]
        assert driver.query("SELECT count(*) FROM t") == [(2,)]  # same transaction
        assert seen == []

    on_connection(pg_url, scheme, work)


def test_catalog_facts_are_the_same_on_every_driver(pg_url: str, scheme: str) -> None:
    """The guard's catalog reads give Python values of the same types whatever the driver
    (asyncpg decodes PostgreSQL's one-byte ``"char"`` columns, such as ``relkind``, as bytes)."""
    def work(connection: Connection) -> None:
        driver = driver_for(connection)
        driver.execute(
            "CREATE TABLE t (id int NOT NULL, v text, CONSTRAINT ck_v CHECK (v IS NOT NULL));"
            "CREATE INDEX ix_t_v ON t (v); CREATE SEQUENCE s_t")
        live = LiveCatalog(driver, NotNullChecks())
        relation = live.relation("public.t")
        assert relation is not None and (relation.schema, relation.name) == ("public", "t")
        assert relation.kind == "r"
        assert [(name, info.type_name, info.not_null)
                for name, info in relation.columns.items()] == \
            [("id", "integer", True), ("v", "text", False)]
        # PostgreSQL 18 keeps each NOT NULL as a constraint too (validated: counted)
        newer = connection.dialect.server_version_info >= (18,)  # type: ignore[operator]
        assert relation.not_null_checks == ({"id", "v"} if newer else {"v"})
        assert live.is_empty("public.t", 1000) is True
        driver.execute("INSERT INTO t VALUES (1, 'x')")
        live.forget("public.t")
        assert LiveCatalog(driver, NotNullChecks()).is_empty("public.t", 1000) is False
        assert live.is_empty("public.s_t", 1000) is None  # not a table

        table = Relation("t", "public")
        index = rerun_catalog.index_name(driver, table, "ix_t_v", constraints=True)
        assert index is not None and (index.kind, index.valid, index.on_table) == ("i", True, True)
        sequence = rerun_catalog.index_name(driver, table, "s_t", constraints=False)
        assert sequence is not None and sequence.kind == "S"
        assert rerun_catalog.sibling_kind(driver, index.table_oid, "s_t") == "S"
        found = rerun_catalog.constraint(driver, table, "ck_v")
        assert found is not None and found[1] is not None
        assert (found[1].kind, found[1].validated) == ("c", True)

    on_connection(pg_url, scheme, work)


def test_autocommit_is_seen(pg_url: str, scheme: str) -> None:
    conninfo = sa.make_url(pg_url).set(drivername="postgresql").render_as_string(
        hide_password=False)

    def work(connection: Connection) -> None:
        driver = driver_for(connection)
        assert driver.autocommit is True
        driver.execute("CREATE TABLE t (v int)")
        with psycopg.connect(conninfo) as other:  # committed at once
            assert other.execute("SELECT to_regclass('t') IS NOT NULL").fetchone() == (True,)

    on_connection(pg_url, scheme, work, isolation_level="AUTOCOMMIT")


def test_parameters_are_inlined_for_the_analyzer(pg_url: str, scheme: str) -> None:
    def work(connection: Connection) -> list[str]:
        driver = driver_for(connection)
        texts: list[str] = []

        @event.listens_for(connection, "before_cursor_execute")
        def inline(conn: Connection, cursor: Any, statement: str, parameters: Any,
                   context: Any, executemany: bool) -> None:
            texts.append(driver.inline(statement, parameters, executemany, context))

        connection.exec_driver_sql("CREATE TABLE t (id int, v text)")
        table = sa.table("t", sa.column("id", sa.Integer), sa.column("v", sa.Text))
        connection.execute(table.insert(), [{"id": 1, "v": "it's"}, {"id": 2, "v": "b"}])
        connection.execute(sa.text("UPDATE t SET v = :v WHERE id = :id"), {"v": "c", "id": 2})
        return texts

    texts = on_connection(pg_url, scheme, work)
    assert texts[0] == "CREATE TABLE t (id int, v text)"
    insert = next(text for text in texts if text.startswith("INSERT"))
    assert "1" in insert and "'it''s'" in insert
    assert next(text for text in texts if text.startswith("UPDATE")).replace("::VARCHAR", "") \
        .replace("::INTEGER", "") == "UPDATE t SET v = 'c' WHERE id = 2"
    for text in texts:
        pglast.parse_sql(text)  # what the analyzer gets always parses


def test_sqlstate_of_a_lock_timeout(pg_url: str, scheme: str) -> None:
    conninfo = sa.make_url(pg_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(conninfo) as holder:
        holder.execute("CREATE TABLE t (v int)")
        holder.commit()
        holder.execute("LOCK TABLE t")

        def work(connection: Connection) -> BaseException:
            connection.exec_driver_sql("SET lock_timeout = '50ms'")
            try:
                connection.exec_driver_sql("SELECT * FROM t")
            except sa.exc.DBAPIError as exc:
                return exc
            raise AssertionError("the lock was granted")

        error = on_connection(pg_url, scheme, work)
    assert sqlstate(error) == "55P03"
    assert sqlstate(error.orig) == "55P03"  # type: ignore[attr-defined]
    assert sqlstate(ValueError("no SQLSTATE")) is None


def test_an_unsupported_driver_is_refused(pg_url: str) -> None:
    url = pg8000_url(pg_url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection, pytest.raises(CommandError) as refused:
            driver_for(connection)
    finally:
        engine.dispose()
    assert str(refused.value).startswith(
        "alembic-safe: the runtime guard does not support the pg8000 driver")
    assert "\n" not in str(refused.value)


def test_paramstyles() -> None:
    sql = "SELECT %s, '%%', %(a)s, %(b)s, %(a)s"
    assert for_paramstyle("pyformat", sql, {"a": 1}) == (sql, {"a": 1})
    assert for_paramstyle("numeric_dollar", "SELECT %(a)s, '%%', %(b)s, %(a)s",
                          {"a": 1, "b": "x"}) == ("SELECT $1, '%', $2, $1", (1, "x"))
    assert for_paramstyle("numeric_dollar", "SELECT %s, %s", (1, 2)) == ("SELECT $1, $2", (1, 2))
    with pytest.raises(ValueError, match="qmark"):
        for_paramstyle("qmark", sql, ())
