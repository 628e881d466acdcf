"""Rules on the code a statement runs: findings inside a DO block or a called function are
reported at the statement, say where they come from, and obey its opt-outs; what cannot be seen
is AS005."""

from __future__ import annotations

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding


def lint(sql: str, **context: object) -> list[Finding]:
    ctx = AnalysisContext(**context)  # type: ignore[arg-type]
    return Checker(Settings(), ctx, path="m.sql").check_all(analyze(sql, ctx))


def codes(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in findings if f.allowed_by is None]


def test_a_finding_inside_a_do_block_is_reported_at_it() -> None:
    findings = lint("SET lock_timeout = '3s';\n\nDO $$\nBEGIN\n"
                    "  EXECUTE 'CREATE INDEX ix_claims_a ON claims (a)';\nEND $$;")
    assert codes(findings) == [("AS101", 3)]
    (finding,) = findings
    assert finding.message.endswith("(in the DO block)")
    assert finding.statement == "CREATE INDEX ix_claims_a ON claims (a)"


def test_an_opt_out_before_the_block_covers_what_it_runs() -> None:
    findings = lint("SET lock_timeout = '3s';\n"
                    "-- alembic-safe: allow AS101 because claims has 40 rows\n"
                    "DO $$ BEGIN CREATE INDEX ix ON claims (a); END $$;")
    assert codes(findings) == []
    assert [f.rule for f in findings if f.allowed_by is not None] == ["AS101"]


def test_schema_change_and_backfill_in_one_block_share_its_transaction() -> None:
    findings = lint("SET lock_timeout = '3s';\nDO $$ BEGIN\n"
                    "  ALTER TABLE claims ADD COLUMN region text;\n"
                    "  UPDATE claims SET region = 'eu';\nEND $$;")
    assert ("AS601", 2) in codes(findings) and ("AS602", 2) in codes(findings)


def test_commit_in_a_do_block_fails_in_a_transaction_block() -> None:
    sql = "DO $$ BEGIN UPDATE claims SET a = 1 WHERE id = 1; COMMIT; END $$;"
    assert codes(lint(sql)) == []
    assert codes(lint(sql, in_transaction=True)) == [("AS103", 1)]
    assert codes(lint("BEGIN;\n" + sql + "\nCOMMIT;")) == [("AS103", 2)]


def test_a_batched_loop_is_not_a_backfill_finding() -> None:
    findings = lint("DO $$ DECLARE lo bigint := 0; hi bigint; BEGIN\n"
                    "  SELECT max(id) INTO hi FROM claims;\n"
                    "  WHILE lo <= hi LOOP\n"
                    "    UPDATE claims SET region = 'eu' WHERE id > lo AND id <= lo + 1000;\n"
                    "    COMMIT;\n    lo := lo + 1000;\n  END LOOP;\nEND $$;")
    assert codes(findings) == []


def test_unknown_code_is_a_warning_that_names_it() -> None:
    findings = lint("SELECT refresh_totals();\nSELECT count(*) FROM claims;\n"
                    "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD x int', 'claims'); END $$;\n"
                    "CALL archive();")
    assert codes(findings) == [("AS005", 1), ("AS005", 3), ("AS005", 4)]
    assert findings[0].message.startswith("refresh_totals() runs SQL alembic-safe cannot see")
    assert "EXECUTE format(" in findings[1].message
    assert findings[2].message.startswith("CALL archive() runs SQL")


def test_a_function_created_in_the_file_is_checked_where_it_is_called() -> None:
    findings = lint(
        "SET lock_timeout = '3s';\n"
        "CREATE FUNCTION add_region() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN ALTER TABLE claims ADD COLUMN region text NOT NULL; END $$;\n"
        "SELECT add_region();\n"
        "DROP FUNCTION add_region();")
    assert codes(findings) == [("AS201", 4)]
    assert findings[0].message.endswith("(in the function add_region())")
