"""The batched backfill helper on a real PostgreSQL: batches, resume, no-op, errors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from alembic_safe.batched_backfill import (
    PROGRESS_TABLE,
    BackfillError,
    BackfillProgress,
    backfill,
)


def make_items(engine: Engine, rows: int = 95) -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "note text NOT NULL, size integer)"
        ))
        connection.execute(
            text("INSERT INTO items (note) SELECT 'note ' || g FROM generate_series(1, :n) g"),
            {"n": rows},
        )


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_each_batch_commits_on_its_own(pg_url: str, pg_engine: Engine) -> None:
    make_items(pg_engine)
    seen: list[tuple[int, int, Any]] = []
    observer = create_engine(pg_url)

    def watch(report: BackfillProgress) -> None:
        done = scalar(observer, "SELECT count(*) FROM items WHERE size IS NOT NULL")
        recorded = scalar(observer, f"SELECT updated_rows FROM {PROGRESS_TABLE}")
        seen.append((report.rows, done, recorded))

    try:
        result = backfill(pg_url, table="items", set="size = length(note)", batch_size=10,
                          progress=watch, name="items-size")
    finally:
        observer.dispose()
    # another connection sees every batch committed, with its progress row, as it happens
    assert seen == [(n, n, n) for n in [10, 20, 30, 40, 50, 60, 70, 80, 90, 95]]
    assert (result.name, result.rows, result.batches) == ("items-size", 95, 10)
    assert not result.resumed and not result.already_finished
    assert scalar(pg_engine, "SELECT count(*) FROM items WHERE size = length(note)") == 95
    assert scalar(pg_engine, f"SELECT finished_at IS NOT NULL FROM {PROGRESS_TABLE}") is True


def test_where_limits_rows_and_percent_signs_are_plain_sql(pg_engine: Engine) -> None:
    make_items(pg_engine, rows=30)
    with pg_engine.connect() as connection:
        result = backfill(connection, table="items", set="note = note || ' 100%'",
                          where="id % 2 = 0 AND note LIKE 'note%'", batch_size=7)
    assert result.rows == 15
    assert scalar(pg_engine, "SELECT count(*) FROM items WHERE note LIKE '% 100\\%'") == 15
    assert scalar(pg_engine, "SELECT count(*) FROM items WHERE id % 2 = 1 "
                             "AND note NOT LIKE '%100\\%'") == 15


def test_resumes_after_a_failed_batch(pg_url: str, pg_engine: Engine) -> None:
    make_items(pg_engine)
    with pg_engine.begin() as connection:
        connection.execute(text("ALTER TABLE items ADD CONSTRAINT small CHECK (size < 56)"))
    with pytest.raises(BackfillError) as failure:
        backfill(pg_url, table="items", set="size = id", batch_size=10, name="sizes")
    message = str(failure.value)
    assert "failed in the batch after key 50" in message
    assert 'violates check constraint "small"' in message
    assert "5 batch(es) of this run (50 rows) are committed" in message
    assert scalar(pg_engine, "SELECT count(*) FROM items WHERE size IS NOT NULL") == 50
    assert scalar(pg_engine, f"SELECT last_key FROM {PROGRESS_TABLE}") == "50"

    with pg_engine.begin() as connection:
        connection.execute(text("ALTER TABLE items DROP CONSTRAINT small"))
        # a row of a committed batch changed since: resuming must not redo that batch
        connection.execute(text("UPDATE items SET size = -1 WHERE id = 3"))
    keys: list[str | None] = []
    result = backfill(pg_url, table="items", set="size = id", batch_size=10, name="sizes",
                      progress=lambda report: keys.append(report.last_key))
    assert (result.rows, result.batches, result.resumed) == (45, 5, True)
    assert keys == ["60", "70", "80", "90", "95"]
    assert scalar(pg_engine, "SELECT count(*) FROM items WHERE size = id") == 94
    assert scalar(pg_engine, "SELECT size FROM items WHERE id = 3") == -1
    totals = f"SELECT updated_rows || '/' || batches FROM {PROGRESS_TABLE}"
    assert scalar(pg_engine, totals) == "95/10"


def test_finished_backfill_is_a_no_op(pg_url: str, pg_engine: Engine) -> None:
    make_items(pg_engine, rows=20)
    first = backfill(pg_url, table="items", set="size = 1", batch_size=8)
    assert (first.rows, first.batches) == (20, 3)
    with pg_engine.begin() as connection:
        connection.execute(text("UPDATE items SET size = NULL WHERE id = 1"))
    again = backfill(pg_url, table="items", set="size = 1", batch_size=8)
    assert (again.name, again.rows, again.batches) == (first.name, 0, 0)
    assert again.already_finished
    assert scalar(pg_engine, "SELECT size FROM items WHERE id = 1") is None
    # a different SET is a different backfill (its own default name) and runs
    other = backfill(pg_url, table="items", set="size = 2", batch_size=8)
    assert other.name != first.name and other.rows == 20


def test_quoted_names_schema_and_text_keys(pg_url: str, pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        connection.execute(text('CREATE SCHEMA "Billing"'))
        connection.execute(text(
            'CREATE TABLE "Billing"."Claim Items" ("Code" text PRIMARY KEY, "Units" integer)'
        ))
        connection.execute(text(
            'INSERT INTO "Billing"."Claim Items" ("Code") '
            "SELECT 'c' || lpad(g::text, 3, '0') FROM generate_series(1, 25) g"
        ))
    result = backfill(pg_url, schema="Billing", table="Claim Items", key="Code",
                      set='"Units" = 4', batch_size=10)
    assert result.name.startswith("Billing.Claim Items:")
    assert (result.rows, result.batches) == (25, 3)
    assert scalar(pg_engine, 'SELECT sum("Units") FROM "Billing"."Claim Items"') == 100


def test_refuses_a_connection_inside_a_transaction(pg_engine: Engine) -> None:
    make_items(pg_engine, rows=5)
    with (
        pg_engine.connect() as connection,
        connection.begin(),
        pytest.raises(BackfillError, match="autocommit_block"),
    ):
        backfill(connection, table="items", set="size = 1")


def test_autocommit_connection_commits_each_batch(pg_url: str, pg_engine: Engine) -> None:
    make_items(pg_engine, rows=12)
    with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.begin()  # what alembic's autocommit_block does: a "fake" transaction
        result = backfill(connection, table="items", set="size = 3", batch_size=5)
        assert scalar(pg_engine, "SELECT sum(size) FROM items") == 36  # visible before close
    assert (result.rows, result.batches) == (12, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"set": "size = 1; DROP TABLE items"}, "must be only the assignments of SET"),
        ({"set": "size = 1 WHERE true"}, "must be only the assignments of SET"),
        ({"set": "size = 1 FROM items other"}, "must be only the assignments of SET"),
        ({"set": "size = 1 RETURNING *"}, "must be only the assignments of SET"),
        ({"set": "size ="}, "set='size =' is not valid SQL (syntax error at end of input)"),
        ({"set": "size = 1", "where": "true) OR (true"}, "where='true) OR (true' is not valid SQL"),
        ({"set": "size = 1", "where": "true GROUP BY 1"}, "with no other clauses"),
        ({"set": "size = 1", "where": "true; DELETE FROM items"}, "one boolean expression"),
        ({"set": "nope = 1"}, 'column "nope" of relation "items" does not exist'),
        ({"set": "size = 1", "where": "note > 1"}, "operator does not exist: text > integer"),
        ({"set": "size = 1", "key": "nope"}, "has no column 'nope' to use as key="),
        ({"set": "size = 1", "key": "size"}, "may be NULL"),
        ({"set": "size = 1", "table": "public.items"}, 'table "public.items" does not exist'),
        ({"set": "size = 1", "table": 'x"; DROP TABLE items; --'}, "does not exist"),
        ({"set": "size = 1", "table": ""}, "is not a valid identifier"),
        ({"set": "size = 1", "batch_size": 0}, "batch_size must be a positive integer"),
        ({"set": "size = 1", "sleep": -1}, "sleep must be 0 or more"),
    ],
)
def test_bad_input_is_a_clear_error(
    pg_url: str, pg_engine: Engine, kwargs: dict[str, Any], message: str
) -> None:
    make_items(pg_engine, rows=3)
    kwargs.setdefault("table", "items")
    with pytest.raises(BackfillError) as failure:
        backfill(pg_url, **kwargs)
    assert message in str(failure.value)
    assert "\n" not in str(failure.value)
    assert scalar(pg_engine, "SELECT count(*) FROM items WHERE size IS NOT NULL") == 0
    assert scalar(pg_engine, "SELECT count(*) FROM pg_tables WHERE tablename = 'items'") == 1


def test_a_name_is_bound_to_its_table(pg_url: str, pg_engine: Engine) -> None:
    make_items(pg_engine, rows=3)
    with pg_engine.begin() as connection:
        connection.execute(text("CREATE TABLE others (id integer PRIMARY KEY, size integer)"))
    backfill(pg_url, table="items", set="size = 1", name="fill")
    with pytest.raises(BackfillError, match='already used by a backfill of "items"'):
        backfill(pg_url, table="others", set="size = 1", name="fill")


def test_one_runner_at_a_time(pg_url: str, pg_engine: Engine) -> None:
    make_items(pg_engine, rows=30)
    outcome: list[str] = []

    def second_runner(report: BackfillProgress) -> None:
        if report.batches == 1:  # while the first runner is between batches
            try:
                backfill(pg_url, table="items", set="size = 7", name="only-one")
            except BackfillError as exc:
                outcome.append(str(exc))

    result = backfill(pg_url, table="items", set="size = 7", name="only-one", batch_size=10,
                      progress=second_runner)
    assert result.rows == 30
    assert len(outcome) == 1 and "is running in another session" in outcome[0]
    # the lock is released at the end: a later call runs (and finds it finished)
    assert backfill(pg_url, table="items", set="size = 7", name="only-one").already_finished


def test_package_attribute_stays_the_function() -> None:
    # importing the implementation module must not shadow alembic_safe.backfill
    import alembic_safe
    import alembic_safe.batched_backfill

    assert alembic_safe.backfill is alembic_safe.batched_backfill.backfill
    assert callable(alembic_safe.backfill)


def test_an_async_driver_url_is_a_clear_error(pg_url: str) -> None:
    asyncpg_url = make_url(pg_url).set(drivername="postgresql+asyncpg", password="s3cret")
    with pytest.raises(BackfillError) as failure:
        backfill(asyncpg_url.render_as_string(hide_password=False), table="items",
                 set="size = 1")
    assert str(failure.value) == (
        "backfill: postgresql+asyncpg is an async driver: pass the connection of "
        "connection.run_sync (in a migration: op.get_bind()) or a psycopg URL")
