"""Lint reads a history in order: what earlier files established (column types, whether a
relation exists) is known in later ones; what a file created is never "new" in the next one."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from lint_helpers import Run, migration

from alembic_safe.lint.history import Lineage, natural_key, revision_ids, sql_histories

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
TIMEOUT = "SET lock_timeout = '3s';\n"


def found(run: Run) -> list[tuple[str, str, int]]:
    return [(f["path"], f["rule"], f["line"]) for f in run.json()["findings"]]


def test_a_later_sql_file_knows_the_type_an_earlier_one_declared(lint: Lint, write: Write
                                                                 ) -> None:
    write("db/V1__accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, "
          "email varchar(100), name varchar(80), code integer);\n")
    write("db/V2__widen.sql", TIMEOUT + "ALTER TABLE accounts ALTER COLUMN email TYPE "
          "varchar(255);\nALTER TABLE accounts ALTER COLUMN name TYPE text;\n")
    write("db/V3__real.sql", TIMEOUT + "ALTER TABLE accounts ALTER COLUMN code TYPE bigint;\n"
          "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(50);\n")
    run = lint("db", "--format", "json", "--select", "AS205")
    assert found(run) == [("db/V3__real.sql", "AS205", 2), ("db/V3__real.sql", "AS205", 3)]
    messages = [f["message"] for f in run.json()["findings"]]
    assert "from integer to bigint" in messages[0]
    assert "from character varying(255) to character varying(50)" in messages[1]
    alone = lint("db/V2__widen.sql", "--format", "json", "--select", "AS205")
    assert [f["rule"] for f in alone.json()["findings"]] == ["AS205", "AS205"]  # without V1


def test_what_an_earlier_file_created_is_an_existing_table(lint: Lint, write: Write) -> None:
    write("db/001_create.sql", "CREATE TABLE accounts (id bigint, email text);\n"
          "CREATE INDEX ix_accounts_email ON accounts (email);\n")
    write("db/002_index.sql", TIMEOUT + "CREATE INDEX ix_accounts_id ON accounts (id);\n"
          "CREATE TABLE IF NOT EXISTS accounts (id bigint);\n"
          "ALTER TABLE accounts ADD COLUMN plan text NOT NULL;\n")
    run = lint("db", "--format", "json", "--select", "AS101,AS201")
    assert found(run) == [("db/002_index.sql", "AS101", 2), ("db/002_index.sql", "AS201", 4)]


def test_sql_files_are_read_in_natural_order(lint: Lint, write: Write) -> None:
    write("db/V2__create.sql", "CREATE TABLE t (code varchar(10));\n")
    write("db/V10__widen.sql", TIMEOUT + "ALTER TABLE t ALTER COLUMN code TYPE varchar(20);\n")
    assert found(lint("db", "--format", "json", "--select", "AS205")) == []
    assert natural_key(Path("V2__a.sql")) < natural_key(Path("V10__a.sql"))


def test_each_folder_is_its_own_history(lint: Lint, write: Write) -> None:
    write("tenant/V1.sql", "CREATE TABLE t (code varchar(10));\n")
    write("public/V2.sql", TIMEOUT + "ALTER TABLE t ALTER COLUMN code TYPE varchar(20);\n")
    run = lint("tenant", "public", "--format", "json", "--select", "AS205")
    assert found(run) == [("public/V2.sql", "AS205", 2)]


def test_a_drop_or_rename_in_between_is_followed(lint: Lint, write: Write) -> None:
    write("db/1.sql", "CREATE TABLE t (code varchar(10), other varchar(10));\n")
    write("db/2.sql", "ALTER TABLE t RENAME COLUMN code TO label;\nALTER TABLE t RENAME TO u;\n"
          "ALTER TABLE u DROP COLUMN other;\nALTER TABLE u ADD COLUMN other integer;\n")
    write("db/3.sql", TIMEOUT + "ALTER TABLE u ALTER COLUMN label TYPE varchar(20);\n"
          "ALTER TABLE u ALTER COLUMN other TYPE varchar(20);\n")
    run = lint("db", "--format", "json", "--select", "AS205")
    assert found(run) == [("db/3.sql", "AS205", 3)]  # integer -> varchar rewrites


def test_changed_since_reads_the_earlier_files_without_reporting_them(
    lint: Lint, write: Write, project: Path
) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    write("db/V1.sql", "CREATE TABLE t (code varchar(10));\nCREATE INDEX ix ON t (code);\n"
          "ALTER TABLE t ADD COLUMN n integer;\n")
    git("add", ".")
    git("commit", "-qm", "base")
    write("db/V2.sql", TIMEOUT + "ALTER TABLE t ALTER COLUMN code TYPE varchar(20);\n"
          "ALTER TABLE t ALTER COLUMN n TYPE text;\n")
    write("db/V3.sql", "DROP TABLE t;\n")  # after V2: not needed to lint V2
    run = lint("db", "--format", "json", "--changed-since", "main", "--select", "AS205,AS501")
    assert run.json()["files"] == 2
    assert found(run) == [("db/V2.sql", "AS205", 3), ("db/V3.sql", "AS501", 1)]


def test_parallel_workers_give_the_serial_result_when_files_depend_on_each_other(
    lint: Lint, write: Write
) -> None:
    for number in range(12):
        write(f"db/{number:02}.sql", f"CREATE TABLE t{number} (code varchar(10));\n" +
              (f"ALTER TABLE t{number - 1} ALTER COLUMN code TYPE varchar(20);\n"
               f"ALTER TABLE t{number - 1} ALTER COLUMN code TYPE integer;\n"
               f"CREATE TABLE IF NOT EXISTS t{number - 1} (a int);\n"
               f"CREATE INDEX ix{number} ON t{number - 1} (code);\n" if number else ""))
    serial = lint("db", "--format", "json", "--jobs", "1")
    parallel = lint("db", "--format", "json", "--jobs", "2")
    assert (parallel.code, parallel.out) == (serial.code, serial.out)
    rules = {(f["path"], f["rule"], f["line"]) for f in serial.json()["findings"]}
    assert ("db/05.sql", "AS205", 3) in rules and ("db/05.sql", "AS205", 2) not in rules
    assert ("db/05.sql", "AS101", 5) in rules


def script(revision: str, down: str | None, body: str) -> str:
    return migration(body).replace('revision = "0002"', f'revision = "{revision}"').replace(
        'down_revision = "0001"', f"down_revision = {down!r}")


def test_alembic_scripts_are_read_in_revision_order(lint: Lint, write: Write) -> None:
    # file names sort the other way round from the revisions
    write("versions/b_widen.py", script("bbb", "aaa", 'op.execute("SET lock_timeout = \'3s\'")\n'
                                        'op.alter_column("accounts", "email", '
                                        "type_=sa.String(255))"))
    write("versions/c_create.py", script("aaa", None, 'op.create_table("accounts", '
                                         'sa.Column("id", sa.BigInteger(), primary_key=True), '
                                         'sa.Column("email", sa.String(100)))'))
    run = lint("versions", "--format", "json", "--select", "AS205,AS101")
    assert found(run) == []
    alone = lint("versions/b_widen.py", "--format", "json", "--select", "AS205")
    assert [f["rule"] for f in alone.json()["findings"]] == ["AS205"]


def test_branches_do_not_see_each_other_and_a_merge_sees_both(lint: Lint, write: Write) -> None:
    create = ('op.create_table("t", sa.Column("a", sa.String(10)), sa.Column("b", '
              'sa.String(10)))')
    widen = 'op.execute("SET lock_timeout = \'3s\'")\nop.alter_column("t", "{0}", type_={1})'
    write("versions/base.py", script("base", None, create))
    write("versions/left.py", script("left", "base", widen.format("a", "sa.Integer()")))
    write("versions/right.py", script("right", "base", widen.format("a", "sa.String(20)")))
    write("versions/merge.py", script("merge", ("left", "right"),
                                      widen.format("b", "sa.String(30)")))
    run = lint("versions", "--format", "json", "--select", "AS205")
    # left rewrites (varchar -> integer); right widens, knowing nothing of left; the merge knows
    # b from the base through both parents
    assert found(run) == [("versions/left.py", "AS205", 9)]


def test_lineage_orders_parents_first_and_hands_states_on() -> None:
    assert revision_ids(Path(__file__)) == (None, ())
    lineage = Lineage([], [])
    assert lineage.order == []


def test_sql_histories_stop_after_the_last_needed_file() -> None:
    files = [Path("a/V10.sql"), Path("a/V2.sql"), Path("a/V3.sql"), Path("b/1.sql")]
    assert sql_histories(files, {Path("a/V3.sql")}) == [[Path("a/V2.sql"), Path("a/V3.sql")]]


def test_statements_count_the_input_not_what_a_do_block_runs(lint: Lint, write: Write) -> None:
    write("db/1.sql", "SET lock_timeout = '3s';\nDO $$ BEGIN UPDATE t SET a = 1 WHERE id = 1;"
          " UPDATE t SET b = 2 WHERE id = 1; END $$;\n")
    write("m.py", migration('op.execute("DO $$ BEGIN UPDATE t SET a = 1 WHERE id = 1; END $$")'))
    assert lint("db", "--format", "json").json()["statements"] == 2
    assert lint("m.py", "--format", "json").json()["statements"] == 1
