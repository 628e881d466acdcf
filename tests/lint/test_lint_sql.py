"""``alembic-safe lint`` on .sql files: formats, exit codes, transactions, options."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run

INDEX = "CREATE INDEX ix_users_email ON users (email);\n"
Lint = Callable[..., Run]
Write = Callable[[str, str], Path]


def test_text_format_shape_and_exit_1(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\n" + INDEX)
    run = lint("m.sql")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == ("m.sql:2:1: AS101 create-index-not-concurrent CREATE INDEX ix_users_email"
                        " on users takes a SHARE lock that blocks all writes to the table until "
                        "the build ends")
    assert lines[1] == "  statement: CREATE INDEX ix_users_email ON users (email)"
    assert lines[2].startswith("  help: ")
    sql_at, op_at = lines.index("    SQL:"), lines.index("    Alembic:")
    assert lines[sql_at + 1:op_at] == [
        "      -- outside a transaction block (after COMMIT; in Alembic: autocommit_block())",
        "      CREATE INDEX CONCURRENTLY ix_users_email ON users (email);"]
    assert lines[op_at + 1:op_at + 3] == [
        "      with op.get_context().autocommit_block():",
        '          op.create_index("ix_users_email", "users", ["email"], '
        "postgresql_concurrently=True)"]
    assert lines[op_at + 3] == ("  opt out: -- alembic-safe: allow AS101 because <why it is safe "
                                "here>  (a comment on the statement)")
    assert lines[-1] == "1 errors, 0 warnings in 1 files (2 statements)"
    assert run.err == ""


def test_clean_file_exits_0(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\nCREATE INDEX CONCURRENTLY ix ON users (email);\n")
    run = lint("m.sql")
    assert (run.code, run.out) == (0, "0 errors, 0 warnings in 1 files (2 statements)\n")


def test_warnings_only_exit_0(lint: Lint, write: Write) -> None:
    write("m.sql", "ALTER TABLE users ADD COLUMN note text;\n")
    run = lint("m.sql", "--format", "json")
    assert run.code == 0
    assert [(f["rule"], f["severity"]) for f in run.json()["findings"]] == [
        ("AS801", "warning")
    ]


def test_json_format_exact_keys(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\n\n" + INDEX)
    run = lint("m.sql", "--format", "json")
    assert run.code == 1
    data = run.json()
    assert set(data) >= {"findings", "files", "statements"}
    assert (data["files"], data["statements"]) == (1, 2)
    (finding,) = data["findings"]
    assert {k: finding[k] for k in ("rule", "name", "severity", "path", "line", "statement")} == {
        "rule": "AS101", "name": "create-index-not-concurrent", "severity": "error",
        "path": "m.sql", "line": 3, "statement": "CREATE INDEX ix_users_email ON users (email)",
    }
    assert "SHARE lock" in finding["message"] and "CONCURRENTLY" in finding["help"]


def test_github_format_escapes(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\n" + INDEX)
    run = lint("m.sql", "--format", "github")
    first = run.out.splitlines()[0]
    assert first.startswith("::error file=m.sql,line=2,col=1,title=AS101 "
                            "create-index-not-concurrent::CREATE INDEX ix_users_email on users")
    # the compact form is one annotation, newlines escaped as %0A: the safe way in words,
    # then as SQL (the file is SQL)
    assert "%0Ahelp: Build the index concurrently, outside a transaction" in first
    assert first.endswith("%0ACREATE INDEX CONCURRENTLY ix_users_email ON users (email);")
    assert "op.create_index" not in first
    assert run.code == 1


def test_github_warning_and_escaping_of_percent(lint: Lint, write: Write) -> None:
    write("m,1.sql", "ALTER TABLE users ADD COLUMN note text DEFAULT '100%';\n")
    run = lint("m,1.sql", "--format", "github")
    assert run.out.splitlines()[0].startswith("::warning file=m%2C1.sql,line=1,col=1,"
                                             "title=AS801 missing-lock-timeout::")


def test_plain_file_runs_outside_a_transaction(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\nCREATE INDEX CONCURRENTLY ix ON users (email);\n")
    assert lint("m.sql").code == 0
    run = lint("m.sql", "--assume-in-transaction", "--format", "json")
    assert (run.code, run.codes()) == (1, ["AS103"])
    assert run.json()["findings"][0]["line"] == 2


def test_file_that_opens_a_transaction(lint: Lint, write: Write) -> None:
    write("m.sql", "BEGIN;\nSET LOCAL lock_timeout = '3s';\n"
          "CREATE INDEX CONCURRENTLY ix ON users (email);\nCOMMIT;\n")
    run = lint("m.sql", "--format", "json")
    assert run.code == 1
    (finding,) = [f for f in run.json()["findings"] if f["severity"] == "error"]
    assert finding["line"] == 3 and "transaction" in finding["message"]


def test_select_and_ignore(lint: Lint, write: Write) -> None:
    write("m.sql", INDEX)
    assert sorted(lint("m.sql", "--format", "json").codes()) == ["AS101", "AS801"]
    assert lint("m.sql", "--format", "json", "--select", "AS801").codes() == ["AS801"]
    run = lint("m.sql", "--format", "json", "--ignore", "create-index-not-concurrent,AS801")
    assert (run.code, run.codes()) == (0, [])


def test_style_rules_run_only_when_selected(lint: Lint, write: Write, project: Path) -> None:
    write("m.sql", "SET lock_timeout = '3s';\nCREATE TABLE notes (id serial PRIMARY KEY, "
          "title varchar(80));\n")
    assert lint("m.sql", "--format", "json").codes() == []
    run = lint("m.sql", "--format", "json", "--extend-select", "style")
    assert (run.code, sorted(run.codes())) == (0, ["AS802", "AS803"])
    assert lint("m.sql", "--format", "json", "--extend-select", "AS803").codes() == ["AS803"]
    # the project's extend_select applies; --select replaces it, --extend-select adds to it
    write("app/pyproject.toml", "[tool.alembic_safe]\nextend_select = ['AS802']\n")
    write("app/alembic.ini", "[alembic]\n")
    config = ("-c", "app/alembic.ini", "--format", "json")
    assert lint("m.sql", *config).codes() == ["AS802"]
    assert lint("m.sql", *config, "--select", "AS803").codes() == ["AS803"]
    assert sorted(lint("m.sql", *config, "--extend-select", "prefer-text-over-varchar")
                  .codes()) == ["AS802", "AS803"]


def test_unknown_rule_is_usage_error(lint: Lint, write: Write) -> None:
    write("m.sql", INDEX)
    run = lint("m.sql", "--select", "AS1O1")
    assert run.code == 2 and run.out == ""
    assert run.err.count("\n") == 1 and "unknown rule 'AS1O1'" in run.err


def test_pg_version(lint: Lint, write: Write) -> None:
    # REINDEX CONCURRENTLY exists from PG 12; pg_version outside 12..18 is a usage error
    write("m.sql", "SET lock_timeout = '3s';\n" + INDEX)
    run = lint("m.sql", "--pg-version", "11")
    assert run.code == 2 and "pg_version must be 12 to 18" in run.err
    assert lint("m.sql", "--pg-version", "19").code == 2
    assert lint("m.sql", "--pg-version", "12").code == 1
    assert lint("m.sql", "--pg-version", "18").code == 1


def test_pg_version_changes_verdict(lint: Lint, write: Write) -> None:
    # DETACH PARTITION ... CONCURRENTLY exists from PostgreSQL 14 on
    write("m.sql", "SET lock_timeout = '3s';\nALTER TABLE users DETACH PARTITION p1;\n")
    assert lint("m.sql", "--pg-version", "13", "--format", "json").codes() == []
    assert lint("m.sql", "--pg-version", "14", "--format", "json").codes() == ["AS408"]


def test_comment_optout_listed(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\n"
          "-- alembic-safe: allow AS101 because users has 40 rows\n" + INDEX)
    run = lint("m.sql")
    assert run.code == 0
    assert "m.sql:3: allowed AS101 create-index-not-concurrent: users has 40 rows" in run.out
    data = lint("m.sql", "--format", "json").json()
    assert data["findings"] == []
    assert [(a["rule"], a["reason"], a["source"]) for a in data["allowed"]] == [
        ("AS101", "users has 40 rows", "comment")
    ]


def test_optout_without_reason_fails(lint: Lint, write: Write) -> None:
    write("m.sql", "SET lock_timeout = '3s';\n-- alembic-safe: allow AS101\n" + INDEX)
    run = lint("m.sql", "--format", "json")
    assert run.code == 1 and sorted(run.codes()) == ["AS002", "AS101"]


def test_parse_error_is_a_finding(lint: Lint, write: Write) -> None:
    write("m.sql", "ALTER TABLE users ADD COLUMN;\n")
    run = lint("m.sql", "--format", "json")
    assert run.code == 1 and run.codes() == ["AS001"]


def test_missing_path_is_usage_error(lint: Lint) -> None:
    run = lint("nope.sql")
    assert (run.code, run.out) == (2, "")
    assert run.err == "alembic-safe: nope.sql: no such file or folder\n"


def test_bad_option_is_usage_error(lint: Lint, write: Write) -> None:
    write("m.sql", INDEX)
    run = lint("m.sql", "--format", "xml")
    assert run.code == 2 and "invalid choice: 'xml'" in run.err
    assert "Traceback" not in run.err


def test_wrong_file_kind_is_usage_error(lint: Lint, write: Write) -> None:
    write("notes.txt", "hello")
    run = lint("notes.txt")
    assert run.code == 2 and "notes.txt: cannot lint this file" in run.err


def test_not_utf8_is_usage_error(lint: Lint, project: Path) -> None:
    (project / "m.sql").write_bytes(b"SELECT '\xff';\n")
    run = lint("m.sql")
    assert run.code == 2 and "m.sql: not UTF-8 text" in run.err


def test_folder_recursion(lint: Lint, write: Write) -> None:
    write("db/a/1.sql", INDEX)
    write("db/b/2.sql", "SET lock_timeout = '3s';\nSELECT 1;\n")
    write("db/b/notes.md", "not linted")
    write("db/.hidden/3.sql", INDEX)
    data = lint("db", "--format", "json").json()
    assert (data["files"], data["statements"]) == (2, 3)
    assert {f["path"] for f in data["findings"]} == {"db/a/1.sql"}


def test_config_settings_apply(lint: Lint, write: Write, project: Path) -> None:
    write("app/pyproject.toml", "[tool.alembic_safe]\nignore = ['AS801']\n")
    write("app/alembic.ini", "[alembic]\nscript_location = migrations\n")
    write("m.sql", INDEX)
    assert lint("m.sql", "--format", "json", "-c", "app/alembic.ini").codes() == ["AS101"]
    # --ignore adds to the configured ignore list (AS801 stays ignored)
    assert lint("m.sql", "--format", "json", "-c", "app/alembic.ini", "--ignore",
                "AS101").codes() == []
    run = lint("m.sql", "-c", "missing/alembic.ini")
    assert run.code == 2 and "missing/alembic.ini: no such file" in run.err


def test_config_error_is_one_line(lint: Lint, write: Write) -> None:
    write("app/pyproject.toml", "[tool.alembic_safe]\nlock_timeout = 'soon'\n")
    write("app/alembic.ini", "[alembic]\n")
    write("m.sql", INDEX)
    run = lint("m.sql", "-c", "app/alembic.ini")
    assert run.code == 2 and run.err.count("\n") == 1 and "lock_timeout" in run.err


def test_help(lint: Lint) -> None:
    run = lint("--help")
    assert run.code == 0
    for option in ("--format", "--pg-version", "--changed-since", "--select", "--extend-select",
                   "--ignore",
                   "--assume-in-transaction", "--downgrade", "--config"):
        assert option in run.out


def test_json_is_valid_with_many_files(lint: Lint, write: Write) -> None:
    for n in range(3):
        write(f"m{n}.sql", INDEX)
    data = json.loads(lint(".", "--format", "json").out)
    assert data["files"] == 3 and len(data["findings"]) == 6


def test_github_escaping_rules() -> None:
    from alembic_safe.report.github import escape_data, escape_property

    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_top_level_help_and_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    from alembic_safe.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0 and "lint" in capsys.readouterr().out
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
