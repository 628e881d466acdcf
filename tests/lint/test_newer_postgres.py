"""PostgreSQL 17 and 18 features through ``alembic-safe lint``: the target major decides
whether a statement is rejected (AS004), rewrites (AS203) or scans (AS206)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run, migration

Lint = Callable[..., Run]
Write = Callable[[str, str], Path]
TIMEOUT = "SET lock_timeout = '3s';\n"


def findings(run: Run) -> list[tuple[str, str]]:
    return [(f["rule"], f["message"]) for f in run.json()["findings"]]


def codes(lint: Lint, path: str, version: int) -> list[str]:
    return [code for code, _ in findings(lint(path, "--format", "json", "--pg-version",
                                              str(version)))]


@pytest.mark.parametrize(("sql", "major", "feature"), [
    ("ALTER TABLE claims ADD COLUMN total int GENERATED ALWAYS AS (amount * 2);", 18,
     "a virtual generated column"),
    ("ALTER TABLE claims ADD COLUMN total int GENERATED ALWAYS AS (amount * 2) VIRTUAL;", 18,
     "a virtual generated column"),
    ("ALTER TABLE claims ADD CONSTRAINT region_nn NOT NULL region NOT VALID;", 18,
     "a NOT NULL constraint added NOT VALID"),
    ("ALTER TABLE claims ADD CONSTRAINT ck CHECK (amount > 0) NOT ENFORCED;", 18,
     "a NOT ENFORCED constraint"),
    ("SET transaction_timeout = '5min';", 17, "the transaction_timeout setting"),
    ("ALTER TABLE claims ALTER COLUMN total SET EXPRESSION AS (amount * 3);", 17,
     "ALTER COLUMN ... SET EXPRESSION"),
])
def test_newer_features_are_refused_for_older_targets(
    lint: Lint, write: Write, sql: str, major: int, feature: str,
) -> None:
    write("m.sql", TIMEOUT + sql)
    for version in (12, major - 1):
        run = lint("m.sql", "--format", "json", "--pg-version", str(version))
        assert run.code == 1
        message = dict(findings(run))["AS004"]
        assert message.startswith(f"{feature}")
        assert message.endswith(f"needs PostgreSQL {major} or later: PostgreSQL {version} "
                                "rejects the statement")
    for version in range(major, 19):
        assert "AS004" not in codes(lint, "m.sql", version)


def test_text_output_says_what_to_write_instead(lint: Lint, write: Write) -> None:
    write("m.sql", TIMEOUT + "ALTER TABLE claims ADD COLUMN total int "
          "GENERATED ALWAYS AS (amount * 2);")
    run = lint("m.sql", "--pg-version", "16")
    assert "AS004 needs-newer-postgres" in run.out
    assert "For PostgreSQL 16, write STORED" in run.out


def test_a_virtual_column_is_free_on_18_and_a_stored_one_rewrites(
    lint: Lint, write: Write,
) -> None:
    write("virtual.sql", TIMEOUT + "ALTER TABLE claims ADD COLUMN total int "
          "GENERATED ALWAYS AS (amount * 2);")
    write("stored.sql", TIMEOUT + "ALTER TABLE claims ADD COLUMN total int "
          "GENERATED ALWAYS AS (amount * 2) STORED;")
    assert lint("virtual.sql", "--pg-version", "18").code == 0
    assert codes(lint, "stored.sql", 18) == ["AS203"]


def test_a_virtual_not_null_column_scans(lint: Lint, write: Write) -> None:
    write("m.sql", TIMEOUT + "ALTER TABLE claims ADD COLUMN total int "
          "GENERATED ALWAYS AS (amount * 2) NOT NULL;")
    run = lint("m.sql", "--format", "json", "--pg-version", "18")
    (message,) = [m for code, m in findings(run) if code == "AS206"]
    assert "every row's value is computed and checked" in message
    assert "AS201" not in run.codes()  # the expression fills it: no "fails on rows"


def test_the_two_step_not_null_of_18_is_clean(lint: Lint, write: Write) -> None:
    write("m.sql", TIMEOUT + """
        ALTER TABLE claims ADD CONSTRAINT claims_region_not_null NOT NULL region NOT VALID;
        COMMIT;
        BEGIN;
        SET LOCAL lock_timeout = '3s';
        ALTER TABLE claims VALIDATE CONSTRAINT claims_region_not_null;
        COMMIT;
        BEGIN;
        SET LOCAL lock_timeout = '3s';
        ALTER TABLE claims ALTER COLUMN region SET NOT NULL;
        COMMIT;
    """.replace("\n        ", "\n"))
    run = lint("m.sql", "--format", "json", "--pg-version", "18", "--assume-in-transaction")
    assert run.codes() == []


def test_not_null_constraint_without_not_valid_scans(lint: Lint, write: Write) -> None:
    write("m.sql", TIMEOUT + "ALTER TABLE claims ADD CONSTRAINT region_nn NOT NULL region;")
    run = lint("m.sql", "--format", "json", "--pg-version", "18")
    (message,) = [m for code, m in findings(run) if code == "AS206"]
    assert message == ("ADD CONSTRAINT ... NOT NULL region on claims scans the whole table "
                       "under ACCESS EXCLUSIVE")


def test_set_not_null_advice_follows_the_target(lint: Lint, write: Write) -> None:
    write("m.sql", TIMEOUT + "ALTER TABLE claims ALTER COLUMN region SET NOT NULL;")
    on_18 = lint("m.sql", "--format", "json", "--pg-version", "18").json()["findings"][0]
    on_17 = lint("m.sql", "--format", "json", "--pg-version", "17").json()["findings"][0]
    assert [s["sql"] for s in on_18["fix"]["steps"]][::2] == [
        "ALTER TABLE claims ADD CONSTRAINT claims_region_not_null NOT NULL region NOT VALID",
        "ALTER TABLE claims VALIDATE CONSTRAINT claims_region_not_null"]
    assert "ALTER TABLE claims ADD CONSTRAINT claims_region_not_null NOT NULL region NOT VALID;" \
        in on_18["help"]
    assert "CHECK (region IS NOT NULL) NOT VALID" in on_17["help"]
    assert "ALTER COLUMN region SET NOT NULL" in on_17["fix"]["sql"]


@pytest.mark.filterwarnings("ignore:Computed column claims.total is being created as 'STORED'")
def test_computed_column_renders_for_the_target(lint: Lint, write: Write) -> None:
    # SQLAlchemy renders Computed() without persisted as STORED before 18, VIRTUAL from 18 on
    write("m.py", migration(
        'op.execute("SET lock_timeout = \'3s\'")\n'
        'op.add_column("claims", sa.Column("total", sa.Integer(), sa.Computed("amount * 2")))'))
    assert codes(lint, "m.py", 17) == ["AS203"]
    assert codes(lint, "m.py", 18) == []
