"""``backfill()`` under ``alembic upgrade --sql``: the script psql runs does what the online
backfill does (same batches, progress, resume, lock and messages), on a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pglast
import pytest
import sqlalchemy as sa
from psql_helpers import errors, psql, psql_command
from runtime_project import Project

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext, ModifyRows, Relation
from alembic_safe.batched_backfill import PROGRESS_TABLE, BackfillError, backfill, lock_key
from alembic_safe.capture.offline import OfflineScript

ITEMS = ("CREATE TABLE {t} (id bigint PRIMARY KEY, note text NOT NULL, size integer); "
         "INSERT INTO {t} SELECT g, 'note ' || g, NULL FROM generate_series(1, {n}) g")
STOP = ("-v", "ON_ERROR_STOP=1")


def arguments(**kw: Any) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kw.items())


def offline_script(project: Project, **kw: Any) -> str:
    """The output of `alembic upgrade a0:a1 --sql` for a migration that backfills with ``kw``
    (alembic_version is created at a0, so the script can be run, and run again)."""
    project.migration("a0", "pass")
    project.migration("a1", f"""
        with op.get_context().autocommit_block():
            alembic_safe.backfill(op.get_bind(), {arguments(**kw)})
    """, down="a0")
    if project.scalar("SELECT to_regclass('alembic_version')") is None:
        project.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
                        "INSERT INTO alembic_version VALUES ('a0')")
    result = project.alembic("upgrade", "a0:a1", "--sql")
    assert result.returncode == 0, result.stderr
    return result.stdout


def rendered(tmp_path: Path, **kw: Any) -> str:
    """The backfill's SQL as lint renders it (the same code as --sql), without a project."""
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(f"""
        from alembic import op
        import alembic_safe

        def upgrade():
            with op.get_context().autocommit_block():
                alembic_safe.backfill(op.get_bind(), {arguments(**kw)})
    """))
    return "\n".join(c.sql for c in OfflineScript(path).render())


def progress(project: Project, name: str) -> tuple[Any, ...]:
    engine = sa.create_engine(project.url)
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT updated_rows, batches, last_key, finished_at IS NOT NULL "
                f"FROM {PROGRESS_TABLE} WHERE name = %(name)s", {"name": name}).one()
    finally:
        engine.dispose()
    return tuple(row)


def sizes(project: Project, table: str) -> list[Any]:
    engine = sa.create_engine(project.url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(f"SELECT id, size FROM {table} ORDER BY id"))
    finally:
        engine.dispose()


def test_offline_script_runs_the_online_batches(project: Project) -> None:
    for schema in ("online", "offline"):
        project.execute(f"CREATE SCHEMA {schema}; " + ITEMS.format(t=f"{schema}.items", n=95))
    call = {"table": "items", "set": "size = length(note) * 2", "where": "id % 3 <> 0",
            "batch_size": 10}
    online = backfill(project.url, schema="online", **call)
    script = offline_script(project, schema="offline", **call)
    run = psql(project.url, script, *STOP)
    assert run.returncode == 0, run.stderr
    assert sizes(project, "offline.items") == sizes(project, "online.items")
    offline_name = project.scalar(
        f"SELECT name FROM {PROGRESS_TABLE} WHERE table_name = '\"offline\".\"items\"'")
    assert str(offline_name).startswith("offline.items:")
    assert progress(project, offline_name) == progress(project, online.name) == (
        64, 10, "95", True)
    assert (online.rows, online.batches) == (64, 10)
    assert f"NOTICE:  backfill {offline_name}: finished, 64 rows in 10 batches" in run.stderr
    assert project.version() == "a1"
    # run again: the backfill is finished, the script does nothing more
    again = psql(project.url, script, *STOP)
    assert again.returncode == 0 and f"backfill {offline_name}: already finished" in again.stderr
    assert progress(project, offline_name) == (64, 10, "95", True)


def test_offline_script_resumes_an_interrupted_online_backfill(project: Project) -> None:
    project.execute(ITEMS.format(t="items", n=95))

    def deploy_killed(report: Any) -> None:
        if report.batches == 3:
            raise RuntimeError("deploy killed")

    with pytest.raises(RuntimeError):
        backfill(project.url, table="items", set="size = id", batch_size=10,
                 progress=deploy_killed)
    script = offline_script(project, table="items", set="size = id", batch_size=10)
    run = psql(project.url, script, *STOP)
    assert run.returncode == 0, run.stderr
    assert "finished, 65 rows in 7 batches" in run.stderr  # after the 3 online batches
    assert [size for _, size in sizes(project, "items")] == list(range(1, 96))
    finished = backfill(project.url, table="items", set="size = id", batch_size=10)
    assert finished.already_finished and progress(project, finished.name) == (95, 10, "95", True)


def test_a_killed_psql_run_resumes_where_it_stopped(project: Project) -> None:
    project.execute(ITEMS.format(t="items", n=95))
    script = offline_script(project, table="items", set="size = id", batch_size=10,
                            sleep=0.3, name="items-size")
    runner = subprocess.Popen(psql_command(project.url, *STOP), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PGAPPNAME": "offline-backfill"})
    assert runner.stdin is not None
    runner.stdin.write(script)
    runner.stdin.close()
    deadline = time.monotonic() + 60
    while (project.scalar(f"SELECT to_regclass('{PROGRESS_TABLE}')") is None
           or project.scalar(f"SELECT coalesce(max(batches), 0) FROM {PROGRESS_TABLE}") < 2):
        assert time.monotonic() < deadline and runner.poll() is None
        time.sleep(0.05)
    assert project.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE application_name = 'offline-backfill'") == 1
    assert runner.wait(timeout=60) != 0
    updated, batches, last_key, finished = progress(project, "items-size")
    assert 2 <= batches < 10 and not finished
    # committed batches only: every row of them, none of the batch that was cut
    assert (updated, last_key) == (batches * 10, str(batches * 10))
    assert project.scalar("SELECT count(*) FROM items WHERE size IS NOT NULL") == updated
    assert project.version() == "a0"
    run = psql(project.url, script, *STOP)
    assert run.returncode == 0, run.stderr
    assert progress(project, "items-size") == (95, 10, "95", True)
    assert [size for _, size in sizes(project, "items")] == list(range(1, 96))
    assert project.version() == "a1"


def _online_error(target: str | sa.Connection, **kw: Any) -> str:
    with pytest.raises(BackfillError) as failure:
        backfill(target, **kw)
    return str(failure.value)


def _online_error_in_transaction(url: str, **kw: Any) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            return _online_error(conn, **kw)
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", ["no table", "no key", "nullable key", "name taken"])
def test_offline_checks_fail_with_the_online_messages(
    case: str, project: Project, tmp_path: Path
) -> None:
    project.execute(ITEMS.format(t="items", n=5) + "; " + ITEMS.format(t="other", n=5))
    call: dict[str, Any] = {"table": "items", "set": "size = 1"}
    if case == "no table":
        call["table"] = "nope"
    elif case == "no key":
        call["key"] = "nope"
    elif case == "nullable key":
        call["key"] = "size"
    else:
        backfill(project.url, table="other", set="size = 1", name="taken")
        call["name"] = "taken"
    expected = _online_error(project.url, **call)
    run = psql(project.url, rendered(tmp_path, **call))  # without ON_ERROR_STOP
    assert errors(run.stderr)[0] == expected
    assert project.scalar("SELECT count(*) FROM items WHERE size IS NOT NULL") == 0


def test_offline_run_waits_for_no_one_else(project: Project, tmp_path: Path) -> None:
    project.execute(ITEMS.format(t="items", n=5))
    engine = sa.create_engine(project.url)
    try:
        with engine.connect() as holder:  # another runner holds the backfill's lock
            holder.exec_driver_sql("SELECT pg_advisory_lock(%(k)s)", {"k": lock_key("busy")})
            expected = _online_error(project.url, table="items", set="size = 1", name="busy")
            run = psql(project.url, rendered(tmp_path, table="items", set="size = 1",
                                             name="busy"))
    finally:
        engine.dispose()
    assert errors(run.stderr) == [expected]
    assert "is running in another session" in expected


def test_inside_a_transaction_block_it_stops_before_anything(
    project: Project, tmp_path: Path
) -> None:
    project.execute(ITEMS.format(t="items", n=5))
    expected = _online_error_in_transaction(project.url, table="items", set="size = 1")
    run = psql(project.url, rendered(tmp_path, table="items", set="size = 1"),
               "--single-transaction", *STOP)
    assert run.returncode == 3 and errors(run.stderr) == [expected]
    assert project.scalar(f"SELECT to_regclass('{PROGRESS_TABLE}')") is None


def test_a_typo_fails_before_anything_is_written_even_on_an_empty_table(
    project: Project, tmp_path: Path
) -> None:
    project.execute(ITEMS.format(t="items", n=0))
    assert "column \"nope\" of relation \"items\" does not exist" in _online_error(
        project.url, table="items", set="nope = 1")
    run = psql(project.url, rendered(tmp_path, table="items", set="nope = 1"), *STOP)
    assert errors(run.stderr) == ['column "nope" of relation "items" does not exist']
    assert project.scalar(f"SELECT count(*) FROM {PROGRESS_TABLE}") == 0


def test_statement_timeout_covers_batches_not_the_whole_block(
    project: Project, tmp_path: Path
) -> None:
    """psql sends the DO block as one statement: the timeout is lifted for it, then back."""
    project.execute(ITEMS.format(t="items", n=50))
    script = ("SET statement_timeout = '1s';\n"
              + rendered(tmp_path, table="items", set="size = id", batch_size=10, sleep=0.4)
              + "\nSHOW statement_timeout;\n")
    started = time.monotonic()
    run = psql(project.url, script, *STOP)
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started > 1.5  # longer than the timeout, not canceled
    assert run.stdout.split()[-3:] == ["1s", "(1", "row)"]
    assert project.scalar("SELECT count(*) FROM items WHERE size = id") == 50


def test_quoted_names_uuid_keys_and_sql_text_match_online(project: Project) -> None:
    table = '"Claim Items"'
    for schema in ("it's online", "it's offline"):
        quoted = '"' + schema + '"'
        project.execute(
            f"CREATE SCHEMA {quoted}; CREATE TABLE {quoted}.{table} "
            '("Claim ID" uuid PRIMARY KEY, note text); '
            f"INSERT INTO {quoted}.{table} SELECT md5(g::text)::uuid, 'n' || g "
            "FROM generate_series(1, 25) g")
    call = {"table": "Claim Items", "key": "Claim ID", "batch_size": 7,
            "set": "note = note || ' 100% $$it''s$$ :x'", "where": "note LIKE 'n%'"}
    online = backfill(project.url, schema="it's online", **call)
    run = psql(project.url, offline_script(project, schema="it's offline", **call), *STOP)
    assert run.returncode == 0, run.stderr

    def notes(schema: str) -> list[Any]:
        return [row[1] for row in sizes_by_key(project, schema)]

    assert notes("it's offline") == notes("it's online")
    assert notes("it's online")[0].endswith(" 100% $$it's$$ :x")
    offline_name = project.scalar(
        f"SELECT name FROM {PROGRESS_TABLE} WHERE name LIKE 'it''s offline.Claim Items:%%'")
    assert progress(project, offline_name) == progress(project, online.name)
    assert progress(project, online.name)[:2] == (25, 4)


def sizes_by_key(project: Project, schema: str) -> list[Any]:
    engine = sa.create_engine(project.url)
    try:
        with engine.connect() as conn:
            quoted = '"' + schema.replace('"', '""') + '"'
            return list(conn.exec_driver_sql(
                f'SELECT "Claim ID", note FROM {quoted}."Claim Items" ORDER BY 1'))
    finally:
        engine.dispose()


def _queries(node: Any) -> list[str]:
    """The SQL of every statement and expression of a PL/pgSQL parse tree."""
    if isinstance(node, dict):
        return [q for key, value in node.items()
                for q in ([value] if key == "query" and isinstance(value, str)
                          else _queries(value))]
    if isinstance(node, list):
        return [q for value in node for q in _queries(value)]
    return []


def test_the_block_reads_as_a_batched_update(tmp_path: Path) -> None:
    """Parsed (as an analyzer of DO bodies would), the UPDATE of the table is key-ranged."""
    script = rendered(tmp_path, table="items", set="size = length(note)")
    body = script.split("\nDO ")[-1].rstrip(";")
    analyzer = Analyzer(AnalysisContext(pg_version=15, in_transaction=False))
    updates = [action for query in _queries(pglast.parse_plpgsql(f"DO {body}"))
               if query.lstrip().upper().startswith(("UPDATE", "WITH", "INSERT", "DELETE"))
               for stmt in analyzer.feed(query, in_transaction=False, line=1)
               for action in stmt.actions if isinstance(action, ModifyRows)]
    on_items = [a for a in updates if a.table == Relation("items")]
    assert len(on_items) == 1 and on_items[0].has_where and on_items[0].batched
    assert {a.table.name for a in updates if a.table is not None} == {"items", PROGRESS_TABLE}


@pytest.mark.parametrize("in_block", [True, False], ids=["autocommit-block", "transaction"])
def test_plain_alembic_env_without_the_guard(project: Project, in_block: bool) -> None:
    """Without alembic_safe.configure nothing tracks Alembic's transaction offline: the
    script's own check stops a backfill left inside the migration's transaction."""
    env = project.root / "migrations" / "env.py"
    text = env.read_text()
    assert text.count("alembic_safe.configure(context, ") == 2
    env.write_text(text.replace("alembic_safe.configure(context, ", "context.configure("))
    project.execute(ITEMS.format(t="items", n=30))
    call = arguments(table="items", set="size = id", batch_size=10)
    project.migration("a0", "pass")
    project.migration("a1", f"""
        op.add_column("items", sa.Column("note2", sa.Text()))
        {"with op.get_context().autocommit_block():" if in_block else "if True:"}
            alembic_safe.backfill(op.get_bind(), {call})
    """, down="a0")
    project.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
                    "INSERT INTO alembic_version VALUES ('a0')")
    script = project.alembic("upgrade", "a0:a1", "--sql")
    assert script.returncode == 0, script.stderr
    assert "alembic-safe" not in script.stderr[len(script.stdout):]  # no guard here
    run = psql(project.url, script.stdout, *STOP)
    if in_block:
        assert run.returncode == 0, run.stderr
        assert project.scalar("SELECT count(*) FROM items WHERE size = id") == 30
        assert project.version() == "a1"
    else:
        assert run.returncode == 3
        assert errors(run.stderr) == [
            _online_error_in_transaction(project.url, table="items", set="size = id")]
        assert project.scalar("SELECT count(*) FROM items WHERE size IS NOT NULL") == 0
        assert project.version() == "a0"
