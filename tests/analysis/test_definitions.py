"""Index and constraint definitions: statements against what PostgreSQL prints for them.

Each index or constraint is created on a real server; ``pg_get_indexdef`` /
``pg_get_constraintdef`` of it must have the shape of the statement a migration writes for
it (parse-equal), or, where PostgreSQL rewrites expressions, the same shape once the
statement is printed by PostgreSQL from an empty temporary copy of the table. Statements
that create something else must differ either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from alembic_safe.analysis.definitions import (
    added_constraints,
    constraint_definition,
    enum_addition,
    index_definition,
    probe_constraint,
    probe_index,
)
from alembic_safe.analysis.facts import ConstraintKind, Relation
from alembic_safe.runtime import rerun_catalog as catalog
from alembic_safe.runtime.driver import DriverConnection, driver_for

SETUP = """
CREATE SCHEMA billing;
CREATE TABLE users (id int PRIMARY KEY, email text, status varchar(20), data jsonb,
                    born date, "Mixed" text);
CREATE TABLE billing.orders (id int PRIMARY KEY, user_id int, amount numeric);
"""

#: (what creates the index, what a migration writes for it): the same index
SAME_INDEX = [
    ("CREATE INDEX ix ON users (email)",
     "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON public.users USING btree (email ASC)"),
    ("CREATE UNIQUE INDEX ix ON users (email DESC)",
     "CREATE UNIQUE INDEX ix ON users (email DESC NULLS FIRST)"),
    ("CREATE INDEX ix ON users (email NULLS FIRST)",
     "CREATE INDEX ix ON users (email ASC NULLS FIRST)"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users ((email))"),
    ("CREATE INDEX ix ON users (lower(email))", "CREATE INDEX ix ON users (lower(email))"),
    ("CREATE INDEX ix ON users (email) INCLUDE (status) WITH (fillfactor = 70)",
     "CREATE INDEX ix ON users (email) INCLUDE (status) WITH (fillfactor = '70')"),
    ("CREATE INDEX ix ON users USING gin (data jsonb_path_ops)",
     "CREATE INDEX ix ON users USING gin (data jsonb_path_ops)"),
    ("CREATE INDEX ix ON users (born) WHERE born IS NULL",
     "CREATE INDEX ix ON users (born) WHERE (born IS NULL)"),
    ("CREATE UNIQUE INDEX ix ON users (email) NULLS NOT DISTINCT",
     "CREATE UNIQUE INDEX ix ON users (email) NULLS NOT DISTINCT"),
    ('CREATE INDEX ix ON users ("Mixed")', 'CREATE INDEX ix ON users ("Mixed")'),
    ("CREATE INDEX ix ON billing.orders (user_id)",
     "CREATE INDEX ix ON billing.orders (user_id)"),
    ("CREATE INDEX ix ON billing.orders (amount) WHERE amount > 0.5",
     "CREATE INDEX ix ON billing.orders (amount) WHERE amount > 0.5"),
]
#: the same index, but PostgreSQL rewrites the statement's expressions when it stores them
SAME_INDEX_ONCE_PRINTED = [
    ("CREATE INDEX ix ON users (email) WHERE status = 'active'",
     "CREATE INDEX ix ON users (email) WHERE status = 'active'"),
    ("CREATE INDEX ix ON users (status) WHERE status IN ('a', 'b')",
     "CREATE INDEX ix ON users (status) WHERE status IN ('a', 'b')"),
    ("CREATE INDEX ix ON users (email) WHERE email LIKE 'a%'",
     "CREATE INDEX ix ON users (email) WHERE email LIKE 'a%'"),
    ("CREATE INDEX ix ON users (email text_ops)", "CREATE INDEX ix ON users (email text_ops)"),
    ("CREATE INDEX ix ON users ((data ->> 'k'))", "CREATE INDEX ix ON users ((data->>'k'))"),
]
#: another index under the same name
OTHER_INDEX = [
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (status)"),
    ("CREATE INDEX ix ON users (email)", "CREATE UNIQUE INDEX ix ON users (email)"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (email DESC)"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users USING hash (email)"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (email) INCLUDE (id)"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (email, id)"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (lower(email))"),
    ("CREATE INDEX ix ON users (email) WHERE status = 'a'",
     "CREATE INDEX ix ON users (email) WHERE status = 'b'"),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (email) WHERE id > 0"),
    ("CREATE INDEX ix ON users (email) WITH (fillfactor = 70)",
     "CREATE INDEX ix ON users (email) WITH (fillfactor = 80)"),
    ("CREATE INDEX ix ON users (email)", 'CREATE INDEX ix ON users (email COLLATE "C")'),
    ("CREATE INDEX ix ON users (email)", "CREATE INDEX ix ON users (email text_pattern_ops)"),
]
SAME_CONSTRAINT = [
    ("CHECK (id > 0)", "CHECK (id > 0)"),
    ("CHECK (id > 0) NOT VALID", "CHECK ((id > 0)) NOT VALID"),
    ("CHECK (id > 0) NO INHERIT", "CHECK (id > 0) NO INHERIT"),
    ("UNIQUE (email, status)", "UNIQUE (email, status)"),
    ("UNIQUE (email) DEFERRABLE INITIALLY DEFERRED",
     "UNIQUE (email) DEFERRABLE INITIALLY DEFERRED"),
    ("UNIQUE (email) INCLUDE (status) WITH (fillfactor = 70)",
     "UNIQUE (email) INCLUDE (status) WITH (fillfactor=70)"),
    ("FOREIGN KEY (id) REFERENCES billing.orders (id) ON DELETE CASCADE",
     "FOREIGN KEY (id) REFERENCES billing.orders MATCH SIMPLE ON DELETE CASCADE"),
]
SAME_CONSTRAINT_ONCE_PRINTED = [
    ("CHECK (status IN ('a', 'b'))", "CHECK (status IN ('a', 'b'))"),
    ("CHECK (born > '2000-01-01')", "CHECK (born > '2000-01-01')"),
    ("CHECK (email <> '')", "CHECK (email != '')"),
]
OTHER_CONSTRAINT = [
    ("CHECK (id > 0)", "CHECK (id > 1)"),
    ("CHECK (id > 0)", "CHECK (id > 0) NO INHERIT"),
    ("UNIQUE (email)", "UNIQUE (email, status)"),
    ("UNIQUE (email)", "UNIQUE (email) DEFERRABLE"),
    ("UNIQUE (email)", "PRIMARY KEY (email)"),
    ("FOREIGN KEY (id) REFERENCES billing.orders (id)",
     "FOREIGN KEY (id) REFERENCES billing.orders (id) ON DELETE CASCADE"),
    ("FOREIGN KEY (id) REFERENCES billing.orders (id)",
     "FOREIGN KEY (id) REFERENCES billing.orders (id) MATCH FULL"),
    ("FOREIGN KEY (id) REFERENCES billing.orders (id)",
     "FOREIGN KEY (id) REFERENCES billing.orders (id) DEFERRABLE"),
]


@pytest.fixture
def dbapi(pg_engine: Engine) -> Iterator[DriverConnection]:
    """The migration's DB-API connection as the guard sees it (the driver layer), on a
    database with SETUP, in a transaction rolled back after."""
    with pg_engine.connect() as connection:
        driver = driver_for(connection)
        try:
            driver.execute(SETUP)
            yield driver
        finally:
            driver.dbapi.rollback()


def one_value(dbapi: Any, query: str) -> str:
    return str(catalog.rows(dbapi, query)[0][0])


def table_oid(dbapi: Any, table: Relation) -> int:
    return int(catalog.rows(dbapi, "SELECT to_regclass(%s)::oid", (catalog.quoted(table),))[0][0])


def stored_index(dbapi: Any, creates: str) -> str:
    catalog.rows(dbapi, creates)
    return one_value(dbapi, "SELECT pg_get_indexdef(coalesce(to_regclass('public.ix'), "
                     "to_regclass('billing.ix')))")


def printed_index(dbapi: Any, written: str) -> str:
    wanted = index_definition(written)
    assert wanted is not None
    return catalog.normalised(dbapi, True, table_oid(dbapi, wanted.table),
                              probe_index(wanted, catalog.SCRATCH, f"{catalog.SCRATCH}_index"),
                              catalog.DESCRIBE_INDEX)


def shape(definition: str) -> Any:
    found = index_definition(definition)
    assert found is not None
    return found.shape


@pytest.mark.parametrize(("creates", "written"), SAME_INDEX)
def test_same_index_parses_the_same(dbapi: Any, creates: str, written: str) -> None:
    assert shape(stored_index(dbapi, creates)) == shape(written)


@pytest.mark.parametrize(("creates", "written"), SAME_INDEX_ONCE_PRINTED)
def test_same_index_is_the_same_once_printed_by_postgresql(
        dbapi: Any, creates: str, written: str) -> None:
    stored = stored_index(dbapi, creates)
    assert shape(stored) != shape(written)  # what the parse alone cannot tell
    assert shape(printed_index(dbapi, written)) == shape(stored)


@pytest.mark.parametrize(("creates", "written"), OTHER_INDEX)
def test_other_index_differs_even_once_printed(dbapi: Any, creates: str, written: str) -> None:
    stored = stored_index(dbapi, creates)
    assert shape(stored) != shape(written)
    assert shape(printed_index(dbapi, written)) != shape(stored)


def stored_constraint(dbapi: Any, definition: str) -> str:
    catalog.rows(dbapi, f"ALTER TABLE users ADD CONSTRAINT c {definition}")
    return one_value(dbapi, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conname = 'c'")


def written_constraint(definition: str) -> Any:
    found = added_constraints(f"ALTER TABLE users ADD CONSTRAINT c {definition}")
    assert len(found) == 1
    return found[0]


def constraint_shape(definition: str) -> Any:
    found = constraint_definition(definition)
    assert found is not None
    return found.shape


@pytest.mark.parametrize(("creates", "written"), SAME_CONSTRAINT)
def test_same_constraint_parses_the_same(dbapi: Any, creates: str, written: str) -> None:
    stored = constraint_definition(stored_constraint(dbapi, creates))
    wanted = written_constraint(written)
    assert stored is not None
    assert stored.shape == wanted.shape
    assert stored.validated == wanted.validated


@pytest.mark.parametrize(("creates", "written"), SAME_CONSTRAINT_ONCE_PRINTED)
def test_same_constraint_is_the_same_once_printed_by_postgresql(
        dbapi: Any, creates: str, written: str) -> None:
    stored = constraint_shape(stored_constraint(dbapi, creates))
    wanted = written_constraint(written)
    assert wanted.shape != stored
    printed = catalog.normalised(
        dbapi, True, table_oid(dbapi, Relation("users")),
        probe_constraint(wanted, catalog.SCRATCH, f"{catalog.SCRATCH}_constraint"),
        catalog.DESCRIBE_CONSTRAINT)
    assert constraint_shape(printed) == stored


@pytest.mark.parametrize(("creates", "written"), OTHER_CONSTRAINT)
def test_other_constraint_differs(dbapi: Any, creates: str, written: str) -> None:
    stored = constraint_shape(stored_constraint(dbapi, creates))
    wanted = written_constraint(written)
    assert wanted.shape != stored
    if wanted.kind is not ConstraintKind.FOREIGN_KEY:  # a temporary table cannot have one
        printed = catalog.normalised(
            dbapi, True, table_oid(dbapi, Relation("users")),
            probe_constraint(wanted, catalog.SCRATCH, f"{catalog.SCRATCH}_constraint"),
            catalog.DESCRIBE_CONSTRAINT)
        assert constraint_shape(printed) != stored


def test_probe_leaves_nothing_behind(dbapi: Any) -> None:
    wanted = index_definition("CREATE INDEX ix ON users (email) WHERE status = 'a'")
    assert wanted is not None
    oid = table_oid(dbapi, wanted.table)
    probe = probe_index(wanted, catalog.SCRATCH, f"{catalog.SCRATCH}_index")
    catalog.normalised(dbapi, True, oid, probe, catalog.DESCRIBE_INDEX)
    assert catalog.rows(dbapi, f"SELECT to_regclass('pg_temp.{catalog.SCRATCH}')") == [(None,)]
    with pytest.raises(Exception, match="does not exist"):
        catalog.normalised(dbapi, True, oid, probe.replace("status", "nowhere"),
                           catalog.DESCRIBE_INDEX)
    # the failed probe rolled back to its savepoint: the transaction goes on
    assert catalog.rows(dbapi, "SELECT count(*) FROM users") == [(0,)]


def test_storage_parameters_of_a_constraint_are_its_index_reloptions(dbapi: Any) -> None:
    """pg_get_constraintdef does not print them: they are compared with reloptions."""
    stored = stored_constraint(dbapi, "UNIQUE (email) WITH (fillfactor = 70, "
                               "deduplicate_items = off)")
    assert "fillfactor" not in stored
    reloptions = one_value(dbapi, "SELECT array_to_string(x.reloptions, ',') FROM "
                           "pg_constraint k JOIN pg_class x ON x.oid = k.conindid "
                           "WHERE k.conname = 'c'")
    written = written_constraint("UNIQUE (email) WITH (deduplicate_items=off, fillfactor='70')")
    assert written.storage == tuple(sorted(reloptions.split(",")))


def test_foreign_key_fields() -> None:
    written = written_constraint("FOREIGN KEY (a, b) REFERENCES billing.orders NOT VALID")
    stored = constraint_definition("FOREIGN KEY (a, b) REFERENCES billing.orders(id, x) "
                                   "NOT VALID")
    assert stored is not None
    assert written.shape == stored.shape  # the referenced table and columns are compared apart
    assert written.references == Relation("orders", "billing")
    assert (written.referenced_columns, stored.referenced_columns) == ((), ("id", "x"))
    assert not written.validated


def test_using_index_and_enum_values() -> None:
    attach = written_constraint("UNIQUE USING INDEX ix DEFERRABLE")
    assert (attach.kind, attach.using_index, attach.deferrable) == (
        ConstraintKind.UNIQUE, "ix", True)
    added = enum_addition("ALTER TYPE billing.mood ADD VALUE 'ok' AFTER 'sad'")
    assert added is not None
    assert (added.type, added.value, added.neighbor, added.after) == (
        Relation("mood", "billing"), "ok", "sad", True)
    assert enum_addition("ALTER TYPE mood RENAME VALUE 'a' TO 'b'") is None
    assert index_definition("CREATE INDEX a ON t (x); CREATE INDEX b ON t (y)") is None
    assert index_definition("CREATE INDEX ix ON") is None
