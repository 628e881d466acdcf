"""What the analyzer assumes about code that runs SQL, checked on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from alembic_safe.analysis import analyze
from alembic_safe.analysis.builtins import builtin_functions

DO_COMMIT = "DO $$ BEGIN CREATE TABLE t1 (a int); COMMIT; CREATE TABLE t2 (a int); END $$"


def test_every_builtin_function_of_the_server_is_known(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        names = {row[0] for row in connection.execute(text(
            "SELECT DISTINCT proname FROM pg_proc "
            "WHERE pronamespace = 'pg_catalog'::regnamespace"))}
    assert names - builtin_functions() == set()


def test_commit_in_a_do_block_outside_a_transaction_block_commits(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql(DO_COMMIT)
        assert connection.execute(text("SELECT to_regclass('t1'), to_regclass('t2')")).one() \
            == ("t1", "t2")
    facts = analyze(DO_COMMIT)
    assert facts[0].requires_no_transaction and not facts[0].in_transaction
    assert facts[1].transaction_id != facts[2].transaction_id


def test_commit_in_a_do_block_inside_a_transaction_block_fails(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection, pytest.raises(DBAPIError,
                                                          match="invalid transaction termination"):
        connection.exec_driver_sql(DO_COMMIT)


def test_create_index_concurrently_in_a_do_block_fails(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("CREATE TABLE t (a int)")
        with pytest.raises(DBAPIError, match="CREATE INDEX CONCURRENTLY cannot"):
            connection.exec_driver_sql(
                "DO $$ BEGIN CREATE INDEX CONCURRENTLY ix ON t (a); END $$")
    assert analyze("DO $$ BEGIN CREATE INDEX CONCURRENTLY ix ON t (a); END $$")[1].in_transaction
