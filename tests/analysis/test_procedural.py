"""DO blocks, CALL, function calls and the functions created in the input: what their code
runs is analyzed where its text is known, and named as opaque where it is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from alembic_safe.analysis import analyze
from alembic_safe.analysis.builtins import builtin_functions, is_builtin
from alembic_safe.analysis.facts import (
    AnalysisContext,
    CreateIndex,
    LockMode,
    OpaqueCode,
    StatementFacts,
)
from alembic_safe.analysis.plpgsql import (
    Commit,
    Dynamic,
    Expression,
    PlpgsqlError,
    Statement,
    body,
)

DATA = Path(__file__).parent / "data"


def opaque(facts: list[StatementFacts]) -> list[str]:
    return [a.code for f in facts for a in f.actions if isinstance(a, OpaqueCode)]


def test_a_do_block_runs_its_statements_at_its_position() -> None:
    facts = analyze("SELECT 1;\n-- alembic-safe: allow AS101 because tiny\n"
                    "DO $$\nBEGIN\n  CREATE INDEX ix_claims_a ON claims (a);\n"
                    "  UPDATE claims SET a = 1;\nEND $$;")
    assert [f.kind for f in facts] == ["SELECT", "DO", "CREATE INDEX", "UPDATE"]
    do, index, update = facts[1:]
    assert do.within is None and index.within == update.within == "DO block"
    assert index.position == update.position == do.position
    assert index.comments == do.comments == ("alembic-safe: allow AS101 because tiny",)
    assert index.sql == "CREATE INDEX ix_claims_a ON claims (a)"
    assert {lock.relation.name: lock.mode for lock in index.locks} == {"claims": LockMode.SHARE}
    assert [f.index for f in facts] == [0, 1, 2, 3]


def test_outside_a_transaction_the_block_is_one_and_commit_begins_the_next() -> None:
    facts = analyze("DO $$ BEGIN UPDATE a SET x = 1; UPDATE b SET x = 1; COMMIT; "
                    "UPDATE c SET x = 1; END $$;")
    do, first, second, third = facts
    assert not do.in_transaction and do.requires_no_transaction
    assert first.in_transaction and first.transaction_id == second.transaction_id
    assert third.transaction_id not in (None, first.transaction_id)


def test_inside_a_transaction_the_block_shares_it() -> None:
    facts = analyze("BEGIN;\nALTER TABLE a ADD COLUMN x int;\n"
                    "DO $$ BEGIN UPDATE a SET x = 1; END $$;\nCOMMIT;")
    assert facts[1].transaction_id == facts[2].transaction_id == facts[3].transaction_id
    assert not facts[2].requires_no_transaction


def test_execute_of_a_literal_is_analyzed_and_of_a_built_string_is_opaque() -> None:
    facts = analyze("DO $$ BEGIN EXECUTE 'CREATE INDEX ix ON claims (a)';"
                    " EXECUTE 'ALTER TABLE ' || 'claims ADD COLUMN b int';"
                    " EXECUTE format('DROP TABLE %I', 'claims'); END $$;")
    assert [f.kind for f in facts] == ["DO", "CREATE INDEX", "ALTER TABLE"]
    assert opaque(facts) == ["EXECUTE format('DROP TABLE %I', 'claims')"]


def test_other_languages_and_unreadable_bodies_are_opaque() -> None:
    facts = analyze("DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE t') $$;\n"
                    "DO $$ BEGIN undeclared := 1; END $$;")
    assert opaque(facts) == ["DO LANGUAGE plpython3u", "DO block"]
    assert "undeclared" in next(a.reason for a in facts[1].actions if isinstance(a, OpaqueCode))


def test_calls_of_builtin_functions_are_plain_and_others_opaque() -> None:
    facts = analyze("SELECT count(*), now(), pg_catalog.lower('A') FROM claims;\n"
                    "SELECT set_config('lock_timeout', '3s', false);\n"
                    "SELECT nextval('claims_id_seq'), extensions.uuid_generate_v4();\n"
                    "SELECT migrate_claims(1);\n"
                    "SELECT * FROM public.lower('x');\n"
                    "CALL archive_claims();")
    assert opaque(facts) == ["migrate_claims()", "public.lower()", "CALL archive_claims()"]
    assert facts[3].within is None


def test_a_function_created_earlier_is_analyzed_through_its_body() -> None:
    facts = analyze(
        "CREATE FUNCTION migrate(n int) RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  ALTER TABLE claims ADD COLUMN region text;\n"
        "  UPDATE claims SET region = 'eu' WHERE id < n;\nEND $$;\n"
        "CREATE PROCEDURE reindex() LANGUAGE sql AS 'CREATE INDEX ix ON claims (region)';\n"
        "SELECT migrate(10);\n"
        "CALL reindex();\n"
        "DROP FUNCTION migrate(int);\n"
        "SELECT migrate(10);")
    kinds = [(f.kind, f.within) for f in facts]
    assert kinds == [
        ("CREATE FUNCTION", None), ("CREATE PROCEDURE", None),
        ("SELECT", None), ("ALTER TABLE", "function migrate()"),
        ("UPDATE", "function migrate()"),
        ("CALL", None), ("CREATE INDEX", "procedure reindex()"),
        ("DROP FUNCTION", None), ("SELECT", None)]
    assert opaque(facts) == ["migrate()"]  # the last call: the function was dropped


def test_a_function_that_calls_itself_stops() -> None:
    facts = analyze("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
                    "ALTER TABLE t ADD COLUMN a int; PERFORM f(); END $$;\nSELECT f();")
    assert 1 < len(facts) < 20
    assert sum(f.kind == "ALTER TABLE" for f in facts) >= 1


def test_expressions_count_only_when_they_call_code() -> None:
    facts = analyze("DO $$ DECLARE n int := 0; BEGIN WHILE n < 3 LOOP n := n + 1; END LOOP;"
                    " n := compute_batch(n); END $$;")
    assert [f.kind for f in facts] == ["DO", "SELECT"]
    assert opaque(facts) == ["compute_batch()"]


def test_the_offline_backfill_reads_as_batches_committed_one_by_one() -> None:
    sql = (DATA / "offline_backfill.sql").read_text()
    facts = analyze(sql)
    updates = [f for f in facts if f.kind == "UPDATE" and f.sql.startswith("UPDATE claims")]
    assert len(updates) == 1
    (action,) = updates[0].actions
    assert getattr(action, "batched", False)
    assert not opaque(facts)
    blocks = [f for f in facts if f.kind == "DO"]
    assert [b.requires_no_transaction for b in blocks] == [False, True]
    in_block = analyze(sql, AnalysisContext(in_transaction=True))
    assert all(f.transaction_id == 1 for f in in_block)


def test_plpgsql_items_in_order() -> None:
    items = body("DO $$ DECLARE lo int := start_at(); r record; BEGIN\n"
                 "  WHILE lo < 10 LOOP UPDATE t SET a = 1 WHERE id >= lo AND id < lo + 5;"
                 " COMMIT; lo := lo + 5; END LOOP;\n"
                 "  FOR r IN EXECUTE 'SELECT 1' LOOP NULL; END LOOP;\n"
                 "  EXECUTE $q$CREATE INDEX ix ON t (a)$q$;\n"
                 "  EXECUTE 'ALTER TABLE ' || quote_ident('t') || ' ADD b int';\n"
                 "  PERFORM pg_sleep(0); CALL p(); END $$")
    assert items == (
        Expression("start_at()"), Expression("lo < 10"),
        Statement("UPDATE t SET a = 1 WHERE id >= lo AND id < lo + 5"), Commit("COMMIT"),
        Expression("lo + 5"), Statement("SELECT 1"), Statement("CREATE INDEX ix ON t (a)"),
        Dynamic("EXECUTE 'ALTER TABLE ' || quote_ident('t') || ' ADD b int'"),
        Statement("SELECT pg_sleep(0)"), Statement("CALL p()"))
    with pytest.raises(PlpgsqlError):
        body("DO $$ BEGIN x := 1; END $$")


def test_builtin_names() -> None:
    assert {"lower", "now", "count", "set_config", "nextval", "pg_advisory_lock"} <= (
        builtin_functions())
    assert is_builtin(["pg_catalog", "now"]) and is_builtin(["uuid_generate_v4"])
    assert not is_builtin(["app", "now"]) and not is_builtin(["migrate_claims"])
    assert not is_builtin([])


def test_index_inside_do_is_an_index_action() -> None:
    facts = analyze("DO $$ BEGIN CREATE INDEX CONCURRENTLY ix ON t (a); END $$;")
    assert isinstance(facts[1].actions[0], CreateIndex)
    assert facts[1].in_transaction  # PostgreSQL refuses CONCURRENTLY in a DO block
