"""``alembic-safe lint`` on Alembic scripts: offline capture, transactions, op lines, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run, migration

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
TIMEOUT = 'op.execute("SET lock_timeout = \'3s\'")\n'
UNLINTED = "0 errors, 0 warnings in 1 files (0 statements); 1 of them could not be linted\n"


def errors(run: Run) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in run.json()["findings"] if f["severity"] == "error"]


def test_create_index_on_existing_table_points_at_op_line(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + 'op.create_index("ix_users_email", "users", ["email"])'))
    run = lint("m.py", "--format", "json")
    assert run.code == 1
    assert errors(run) == [("AS101", 9)]
    (finding,) = run.json()["findings"]
    assert finding["path"] == "m.py"
    assert finding["statement"] == "CREATE INDEX ix_users_email ON users (email)"


def test_concurrent_index_in_autocommit_block_is_clean(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        with op.get_context().autocommit_block():
            op.execute("SET lock_timeout = '3s'")
            op.create_index("ix", "users", ["email"], postgresql_concurrently=True)
    """))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.json()["findings"], run.json()["statements"]) == (0, [], 2)


def test_concurrent_index_in_the_migration_transaction(lint: Lint, write: Write) -> None:
    write("m.py", migration(
        TIMEOUT + 'op.create_index("ix", "users", ["email"], postgresql_concurrently=True)'))
    run = lint("m.py", "--format", "json")
    assert (run.code, errors(run)) == (1, [("AS103", 9)])


def test_raw_sql_in_op_execute(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        op.execute("SET lock_timeout = '3s'")
        op.execute(
            "CREATE INDEX ix ON users (email)"
        )
    """))
    run = lint("m.py", "--format", "json")
    # the line of the op.execute call (Python reports the call's first line on 3.10, the
    # argument's line may differ by version: accept the call's span)
    ((code, line),) = errors(run)
    assert code == "AS101" and line in (9, 10)


def test_comment_optout_inside_op_execute(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + 'op.execute("-- alembic-safe: allow AS101 because tiny'
                            '\\nCREATE INDEX ix ON users (email)")'))
    run = lint("m.py")
    assert run.code == 0
    assert "m.py:9: allowed AS101 create-index-not-concurrent: tiny" in run.out


def test_table_created_in_same_migration_is_new(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        op.create_table(
            "invoices",
            sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
            sa.Column("number", sa.Text(), nullable=False),
        )
        op.create_index("ix_invoices_number", "invoices", ["number"])
        op.add_column("invoices", sa.Column("total", sa.BigInteger(), nullable=False))
    """))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.json()["findings"], run.json()["statements"]) == (0, [], 3)


def test_migration_optout_declaration(lint: Lint, write: Write) -> None:
    write("m.py", migration(
        TIMEOUT + 'op.create_index("ix", "users", ["email"])',
        header='alembic_safe_allow = {"create-index-not-concurrent": "users has 12 rows"}'))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.json()["findings"]) == (0, [])
    (allowed,) = run.json()["allowed"]
    assert (allowed["rule"], allowed["line"], allowed["reason"], allowed["source"]) == (
        "AS101", 9, "users has 12 rows", "migration")


def test_allow_block_covers_the_ops_inside_it(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        import alembic_safe

        op.execute("SET lock_timeout = '3s'")
        with alembic_safe.allow("rename-column", reason="renamed in the model"):
            op.alter_column("users", "email", new_column_name="email_address")
        op.alter_column("users", "name", new_column_name="full_name")
    """))
    run = lint("m.py", "--format", "json")
    assert (run.code, errors(run)) == (1, [("AS506", 13)])
    (allowed,) = run.json()["allowed"]
    assert (allowed["rule"], allowed["line"], allowed["reason"], allowed["source"]) == (
        "AS506", 12, "renamed in the model", "allow()")


def test_migration_optout_without_reason(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + 'op.create_index("ix", "users", ["email"])',
                            header='alembic_safe_allow = {"AS101": ""}'))
    run = lint("m.py", "--format", "json")
    assert run.code == 1 and sorted(run.codes()) == ["AS002", "AS101"]


def test_migration_optout_wrong_shape(lint: Lint, write: Write) -> None:
    write("m.py", migration("pass", header='alembic_safe_allow = ["AS101"]'))
    run = lint("m.py")
    assert (run.code, run.out) == (2, UNLINTED)
    assert run.err.startswith("alembic-safe: m.py: alembic_safe_allow must be a dict")


def test_syntax_error(lint: Lint, write: Write) -> None:
    write("m.py", migration("op.create_index(\"ix\", \"users\", [\"email\"]"))
    run = lint("m.py")
    assert (run.code, run.out) == (2, UNLINTED)
    assert run.err.startswith("alembic-safe: m.py:8: syntax error:")
    assert run.err.count("\n") == 1 and "Traceback" not in run.err


def test_upgrade_that_raises(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + "table = {}['users']"))
    run = lint("m.py")
    assert (run.code, run.out) == (2, UNLINTED)
    assert run.err.startswith("alembic-safe: m.py:9: upgrade() raised KeyError: 'users'")
    assert "without a database" in run.err and run.err.count("\n") == 1


def test_import_that_raises(lint: Lint, write: Write) -> None:
    write("m.py", "import not_a_module_anywhere\nrevision = 'x'\ndef upgrade():\n    pass\n")
    run = lint("m.py")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: m.py:1: importing the script raised "
                              "ModuleNotFoundError")


def test_script_without_upgrade(lint: Lint, write: Write) -> None:
    write("helper.py", "X = 1\n")
    run = lint("helper.py")
    assert run.code == 2 and "helper.py: defines no upgrade() function" in run.err


def test_downgrade(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + 'op.add_column("users", sa.Column("note", sa.Text()))',
                            downgrade=TIMEOUT + 'op.drop_column("users", "note")'))
    assert lint("m.py", "--format", "json").code == 0
    run = lint("m.py", "--format", "json", "--downgrade")
    assert (run.code, errors(run)) == (1, [("AS502", 14)])
    assert run.json()["statements"] == 4


def test_folder_of_migrations(lint: Lint, write: Write) -> None:
    write("migrations/env.py", "revision = 'no'\ndef upgrade():\n    raise SystemExit\n")
    write("migrations/versions/__init__.py", "")
    write("migrations/versions/helpers.py", "def upgrade():\n    pass\n")
    write("migrations/versions/0001_a.py", migration(TIMEOUT + 'op.drop_table("old")'))
    write("migrations/versions/0002_b.py", migration(TIMEOUT + 'op.drop_column("a", "b")'))
    write("migrations/sql/extra.sql", "SELECT 1;\n")
    run = lint("migrations", "--format", "json")
    data = run.json()
    assert (data["files"], data["statements"]) == (3, 5)
    assert sorted((f["path"], f["rule"]) for f in data["findings"]) == [
        ("migrations/versions/0001_a.py", "AS501"), ("migrations/versions/0002_b.py", "AS502")]


def test_print_in_migration_keeps_json_clean(project: Path, write: Write) -> None:
    write("m.py", migration('print("hello from upgrade")\n' + TIMEOUT
                            + 'op.create_index("ix", "users", ["email"])'))
    exe = Path(sys.executable).with_name("alembic-safe")
    done = subprocess.run([str(exe), "lint", "m.py", "--format", "json"], cwd=project,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["AS101"]
    assert "hello from upgrade" in done.stderr


OP_FORMS = [
    ('op.add_column("users", sa.Column("n", sa.Integer(), nullable=False))', "AS201"),
    ('op.add_column("users", sa.Column("u", sa.Uuid(), server_default=sa.text('
     '"gen_random_uuid()")))', "AS202"),
    ('op.alter_column("users", "email", nullable=False)', "AS206"),
    ('op.alter_column("users", "x", type_=sa.BigInteger())', "AS205"),
    ('op.create_foreign_key("fk", "orders", "users", ["user_id"], ["id"])', "AS301"),
    ('op.create_check_constraint("ck", "users", "x > 0")', "AS302"),
    ('op.create_unique_constraint("uq", "users", ["email"])', "AS303"),
    ('op.execute("TRUNCATE users")', "AS406"),
    ('op.execute("VACUUM FULL users")', "AS401"),
    ('op.drop_table("users")', "AS501"),
    ('op.drop_column("users", "email")', "AS502"),
    ('op.rename_table("users", "people")', "AS505"),
    ('op.alter_column("users", "email", new_column_name="mail")', "AS506"),
    ('op.execute("DELETE FROM users")', "AS504"),
    ('op.add_column("users", sa.Column("n", sa.Text()))\n'
     'op.execute("UPDATE users SET n = \'x\'")', "AS601"),
]


@pytest.mark.parametrize(("body", "code"), OP_FORMS, ids=[code for _, code in OP_FORMS])
def test_op_forms_per_rule_family(lint: Lint, write: Write, body: str, code: str) -> None:
    write("m.py", migration(TIMEOUT + body))
    run = lint("m.py", "--format", "json")
    assert code in run.codes()
    assert run.code == 1
    assert all(f["line"] >= 9 for f in run.json()["findings"])


def test_hygiene_warnings_in_op_forms(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))
        op.add_column("users", sa.Column("note", sa.Text()))
    """))
    run = lint("m.py", "--format", "json", "--extend-select", "style")
    assert run.code == 0
    assert sorted((f["rule"], f["line"]) for f in run.json()["findings"]) == [
        ("AS801", 9), ("AS802", 8)]


def test_enum_value_in_transaction_warns(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + 'op.execute("ALTER TYPE mood ADD VALUE \'meh\'")'))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.codes()) == (0, ["AS702"])


def test_enum_value_in_autocommit_block_is_clean(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE mood ADD VALUE 'meh'")
    """))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.codes()) == (0, [])


def test_validate_in_same_transaction(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        op.execute("SET lock_timeout = '3s'")
        op.create_foreign_key("fk", "orders", "users", ["user_id"], ["id"],
                              postgresql_not_valid=True)
        op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk")
    """))
    run = lint("m.py", "--format", "json")
    assert (run.code, errors(run)) == (1, [("AS305", 11)])


def test_alembic_context_is_offline(lint: Lint, write: Write) -> None:
    write("m.py", migration("""
        from alembic import context
        if context.is_offline_mode():
            op.execute("SET lock_timeout = '3s'")
        op.drop_table("legacy")
    """))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.codes(), run.json()["statements"]) == (1, ["AS501"], 2)


def test_upgrade_that_exits(lint: Lint, write: Write) -> None:
    write("m.py", migration("import sys\nsys.exit(3)"))
    run = lint("m.py")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: m.py:9: upgrade() raised SystemExit: 3")


def test_database_reads_guarded_by_offline_mode(lint: Lint, write: Write) -> None:
    reads = """
        from alembic import context
        op.execute("SET lock_timeout = '3s'")
        if not context.is_offline_mode():
            for row in op.get_bind().execute(sa.text("SELECT id FROM users")).fetchall():
                pass
        op.drop_column("users", "legacy")
    """
    write("m.py", migration(reads))
    run = lint("m.py", "--format", "json")
    assert (run.code, run.codes()) == (1, ["AS502"])
    write("n.py", migration(reads.replace("if not context.is_offline_mode():", "if True:")))
    run = lint("n.py")
    assert run.code == 2
    assert run.err.startswith("alembic-safe: n.py:11: upgrade() needs a live database: it reads "
                              "the result of a query (.fetchall)")
    assert "context.is_offline_mode()" in run.err


def test_declaration_problem_reported_once_with_downgrade(lint: Lint, write: Write) -> None:
    write("m.py", migration("pass", header='alembic_safe_allow = {"AS1O1": "typo"}'))
    run = lint("m.py", "--format", "json", "--downgrade")
    assert (run.code, run.codes()) == (1, ["AS003"])


def test_lint_inside_a_running_alembic_environment(write: Write) -> None:
    """``alembic check`` lints while its own environment is bound: it stays bound after."""
    import alembic.context
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    from alembic_safe.config import Settings
    from alembic_safe.lint import lint_paths

    path = write("m.py", migration(TIMEOUT + 'op.drop_table("legacy")'))
    outer = EnvironmentContext(Config(), None)  # type: ignore[arg-type]
    with outer:
        findings = lint_paths([path], Settings())
        assert alembic.context._proxy is outer
        assert alembic.context.is_offline_mode() is False
    assert [f.rule for f in findings] == ["AS501"]


def test_broken_script_annotated_in_github_format(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + "table = {}['users']"))
    run = lint("m.py", "--format", "github")
    assert run.code == 2
    assert run.out.startswith("::error file=m.py,line=9,title=alembic-safe cannot lint this "
                              "file::upgrade() raised KeyError: 'users'")
    assert run.err.startswith("alembic-safe: m.py:9: upgrade() raised KeyError")


def test_a_broken_script_does_not_hide_the_others(lint: Lint, write: Write) -> None:
    write("versions/a.py", migration(TIMEOUT + "table = {}['users']"))
    write("versions/b.py", migration(TIMEOUT + 'op.create_index("ix", "users", ["email"])'))
    run = lint("versions", "--format", "json")
    assert run.code == 2  # a file could not be linted: a usage error, whatever was found
    assert run.codes() == ["AS101"]
    ((error),) = run.json()["errors"]
    assert (error["path"], error["line"]) == ("versions/a.py", 9)
    assert error["message"].startswith("upgrade() raised KeyError: 'users'")
    assert run.err.splitlines()[0].startswith("alembic-safe: versions/a.py:9: upgrade() raised")
    text = lint("versions")
    assert text.out.endswith("1 errors, 0 warnings in 2 files (2 statements); "
                             "1 of them could not be linted\n")


def test_irreversible_downgrade_is_a_note(lint: Lint, write: Write) -> None:
    write("m.py", migration(TIMEOUT + 'op.drop_table("legacy")',
                            downgrade='raise RuntimeError("cannot bring legacy back")'))
    run = lint("m.py", "--format", "json", "--downgrade")
    assert (run.code, run.codes(), run.json()["errors"]) == (1, ["AS501"], [])
    assert run.err == ("alembic-safe: note: m.py:13: downgrade() is irreversible by design "
                       "(RuntimeError: cannot bring legacy back): nothing to lint\n")


def test_downgrade_failing_after_sql_or_by_accident_is_still_an_error(
        lint: Lint, write: Write) -> None:
    # it emitted SQL first: not a deliberate refusal
    write("m.py", migration("pass", downgrade='op.drop_table("x")\nraise RuntimeError("no")'))
    assert lint("m.py", "--downgrade").code == 2
    # not a raise statement of its own: a bug
    write("n.py", migration("pass", downgrade="{}['users']"))
    run = lint("n.py", "--downgrade")
    assert run.code == 2 and "downgrade() raised KeyError" in run.err


@pytest.mark.parametrize(("change", "rewrites"), [
    ('existing_type=sa.String(20), type_=sa.Text()', False),  # binary coercible
    ('existing_type=sa.String(20), type_=sa.String(50)', False),  # widened
    ('existing_type=sa.String(50), type_=sa.String(20)', True),  # narrowed: checked
    ('existing_type=sa.Integer(), type_=sa.BigInteger()', True),  # a rewrite
    ('existing_type=sa.Integer, type_=sa.BigInteger', True),  # type classes too
    ('type_=sa.Text()', True),  # the old type unknown: assumed a rewrite
], ids=["varchar-text", "varchar-wider", "varchar-narrower", "int-bigint", "classes",
        "unknown"])
def test_alter_column_existing_type_tells_rewrite_free_changes(
        lint: Lint, write: Write, change: str, rewrites: bool) -> None:
    write("m.py", migration(TIMEOUT + f'op.alter_column("users", "email", {change})'))
    run = lint("m.py", "--format", "json")
    assert ("AS205" in run.codes()) is rewrites
