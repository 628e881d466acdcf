"""Live catalog facts and session timeouts on a real PostgreSQL connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext, ColumnInfo, Relation
from alembic_safe.runtime.catalog import LiveCatalog, NotNullChecks
from alembic_safe.runtime.driver import DriverConnection, driver_for
from alembic_safe.runtime.timeouts import SessionTimeouts


class Counting:
    """The driver layer on a real connection, counting the catalog queries run through it."""

    def __init__(self, driver: DriverConnection) -> None:
        self.driver = driver
        self.connection: psycopg.Connection[Any] = driver.native
        self.queries = 0

    def query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        self.queries += 1
        return self.driver.query(sql, params)


@pytest.fixture
def db(pg_engine: Engine) -> Iterator[Counting]:
    with pg_engine.connect() as connection:
        driver = driver_for(connection.execution_options(isolation_level="AUTOCOMMIT"))
        driver.execute(
            "CREATE SCHEMA app;"
            "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, name varchar(20),"
            " nick text CONSTRAINT nick_set CHECK (nick IS NOT NULL),"
            " CONSTRAINT pair CHECK (id > 0 OR name IS NOT NULL));"
            "INSERT INTO users VALUES (1, 'a', 'x', 'n');"
            "ANALYZE users;"
            "CREATE TABLE app.accounts (code text);"
            "ALTER TABLE app.accounts ADD CONSTRAINT code_set CHECK (code IS NOT NULL) NOT VALID;"
            'CREATE TABLE "Odd.Name" (v int)')
        yield Counting(driver)


def proven_not_null(db: Counting) -> set[str]:
    """The users columns a validated constraint proves not null: the CHECK, and on PostgreSQL
    18 the NOT NULL constraints it keeps in pg_constraint (of the primary key's column too)."""
    if db.connection.info.server_version // 10000 >= 18:
        return {"nick", "email", "id"}
    return {"nick"}


def test_not_null_constraints_count_once_validated(db: Counting) -> None:
    if db.connection.info.server_version // 10000 < 18:
        pytest.skip("NOT NULL constraints are PostgreSQL 18's (older majors: attnotnull only)")
    db.connection.execute("ALTER TABLE app.accounts ADD COLUMN alias text;"
                          "ALTER TABLE app.accounts ADD CONSTRAINT alias_nn NOT NULL alias "
                          "NOT VALID")
    live = LiveCatalog(db, NotNullChecks())
    accounts = live.relation("app.accounts")
    assert accounts is not None and accounts.not_null_checks == frozenset()
    assert accounts.columns["alias"] == ColumnInfo("text", not_null=False)  # attnotnull is set
    db.connection.execute("ALTER TABLE app.accounts VALIDATE CONSTRAINT alias_nn")
    accounts = LiveCatalog(db, NotNullChecks()).relation("app.accounts")
    assert accounts is not None and accounts.not_null_checks == {"alias"}
    assert accounts.columns["alias"] == ColumnInfo("text", not_null=True)


def test_relation_is_read_once_with_columns_checks_and_rows(db: Counting) -> None:
    live = LiveCatalog(db, NotNullChecks())
    users = live.relation("public.users")
    assert users is not None and users.kind == "r" and users.tuples == 1
    assert users.columns["email"] == ColumnInfo("text", not_null=True)
    assert users.columns["name"] == ColumnInfo("character varying(20)")
    assert users.not_null_checks == proven_not_null(db)  # the two-column CHECK is not read
    assert live.relation("public.users") is users
    assert db.queries == 1


def test_keys_follow_schemas_quoting_and_search_path(db: Counting) -> None:
    live = LiveCatalog(db, NotNullChecks())
    accounts = live.relation("app.accounts")
    assert accounts is not None and accounts.not_null_checks == frozenset()  # NOT VALID
    assert accounts.tuples == -1  # never analyzed: unknown, not empty
    assert live.relation("public.Odd.Name") is not None  # a dot inside a quoted name
    assert live.relation("public.accounts") is None
    assert live.relation("accounts") is None  # not on search_path
    db.connection.execute("SET search_path = app, public")
    assert LiveCatalog(db, NotNullChecks()).relation("accounts") is not None


def test_facts_answer_the_analyzer_lookups(db: Counting) -> None:
    facts = LiveCatalog(db, NotNullChecks()).facts()
    assert facts.columns.get(("public.users", "email")) == ColumnInfo("text", not_null=True)
    assert facts.columns.get(("public.users", "missing")) is None
    assert facts.validated_not_null_checks.get("public.users") == proven_not_null(db)
    assert "public.nope" not in facts.validated_not_null_checks
    assert facts.row_counts.get("public.users") == 1
    assert facts.row_counts.get("app.accounts") is None
    assert "public.users" in facts.existing_relations
    assert "users" not in facts.existing_relations  # CREATE puts it in current_schema()
    assert "public.nope" not in facts.existing_relations
    with pytest.raises(TypeError, match="looked up, not listed"):
        list(facts.columns)


def test_statements_on_new_relations_read_only_what_they_name(db: Counting) -> None:
    facts = LiveCatalog(db, NotNullChecks()).facts()
    analyzer = Analyzer(AnalysisContext(in_transaction=True, catalog=facts))
    analyzer.feed("SELECT 1")
    analyzer.feed("UPDATE users SET name = 'y'")
    assert db.queries == 0
    analyzer.feed("CREATE TABLE IF NOT EXISTS users (id int)")  # live: not a new relation
    assert not analyzer.is_new(Relation("users"))
    analyzer.feed("ALTER TABLE users ALTER COLUMN nick SET NOT NULL")
    assert db.queries == 1  # users was read once for both


def test_not_null_checks_are_parsed_once_per_definition() -> None:
    checks = NotNullChecks()
    assert checks.column("CHECK ((nick IS NOT NULL))") == "nick"
    assert checks.column("CHECK ((id > 0))") is None
    fed: list[str] = []
    original = Analyzer.feed

    def feed(self: Analyzer, sql: str, **kw: Any) -> Any:
        fed.append(sql)
        return original(self, sql, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Analyzer, "feed", feed)
        assert checks.column("CHECK ((nick IS NOT NULL))") == "nick"
    assert fed == []


def test_session_timeouts_are_sent_when_unknown_or_different(db: Counting) -> None:
    session = SessionTimeouts()
    with db.connection.cursor() as cursor:
        session.ensure(cursor, "SET lock_timeout = 1234")
        cursor.execute("SET lock_timeout = 0")  # behind the tracker's back: not seen...
        session.ensure(cursor, "SET lock_timeout = 1234")
        assert cursor.execute("SHOW lock_timeout").fetchone() == ("0",)
        session.forget()  # ...until it forgets, as after any statement that may change it
        session.ensure(cursor, "SET lock_timeout = 1234")
        assert cursor.execute("SHOW lock_timeout").fetchone() == ("1234ms",)
        session.ensure(cursor, "SET lock_timeout = 99")
        assert cursor.execute("SHOW lock_timeout").fetchone() == ("99ms",)
