"""The transaction model: both conventions, BEGIN/COMMIT in the input, feed() overrides."""

from __future__ import annotations

import pytest

from alembic_safe.analysis import Analyzer, analyze
from alembic_safe.analysis.facts import AnalysisContext

SCRIPT = (
    "ALTER TABLE t ADD COLUMN a text;\n"  # 0
    "BEGIN;\n"  # 1
    "ALTER TABLE t ADD COLUMN b text;\n"  # 2
    "COMMIT;\n"  # 3
    "CREATE INDEX CONCURRENTLY ix ON t (a);\n"  # 4
    "START TRANSACTION;\n"  # 5
    "ALTER TABLE t ADD COLUMN c text;\n"  # 6
    "ROLLBACK;\n"  # 7
    "ALTER TABLE t ADD COLUMN d text;"  # 8
)


def _model(in_transaction: bool) -> list[tuple[bool, int | None]]:
    facts = analyze(SCRIPT, AnalysisContext(in_transaction=in_transaction))
    return [(f.in_transaction, f.transaction_id) for f in facts]


def test_autocommit_convention() -> None:
    assert _model(False) == [
        (False, None), (True, 1), (True, 1), (True, 1), (False, None),
        (True, 2), (True, 2), (True, 2), (False, None),
    ]


def test_assume_in_transaction_convention() -> None:
    # the whole input is one transaction: BEGIN inside it is nested (same id); after COMMIT
    # statements run in autocommit until the next BEGIN
    assert _model(True) == [
        (True, 1), (True, 1), (True, 1), (True, 1), (False, None),
        (True, 2), (True, 2), (True, 2), (False, None),
    ]


def test_commit_then_begin_starts_a_new_transaction_in_transaction_mode() -> None:
    facts = analyze("SELECT 1; COMMIT; BEGIN; SELECT 2;", AnalysisContext(in_transaction=True))
    assert [f.transaction_id for f in facts] == [1, 1, 2, 2]


@pytest.mark.parametrize("command", ["END", "ABORT", "COMMIT AND CHAIN"])
def test_other_ways_to_end(command: str) -> None:
    facts = analyze(f"BEGIN; SELECT 1; {command}; SELECT 2;")
    expected = 2 if command.endswith("CHAIN") else None
    assert [f.transaction_id for f in facts] == [1, 1, 1, expected]


def test_savepoints_do_not_end_the_transaction() -> None:
    facts = analyze("BEGIN; SAVEPOINT s; ROLLBACK TO s; RELEASE s; SELECT 1; COMMIT;")
    assert {f.transaction_id for f in facts} == {1}
    assert facts[2].kind == "ROLLBACK TO"


def test_feed_override_for_alembic_autocommit_block() -> None:
    analyzer = Analyzer(AnalysisContext(in_transaction=True))
    first = analyzer.feed("ALTER TABLE t ADD COLUMN a text", in_transaction=True)
    block = analyzer.feed("CREATE INDEX CONCURRENTLY ix ON t (a)", in_transaction=False)
    after = analyzer.feed("ALTER TABLE t ADD COLUMN b text", in_transaction=True)
    assert (first[0].in_transaction, first[0].transaction_id) == (True, 1)
    assert (block[0].in_transaction, block[0].transaction_id) == (False, None)
    assert (after[0].in_transaction, after[0].transaction_id) == (True, 2)
    assert [f.index for f in first + block + after] == [0, 1, 2]


def test_feed_follows_the_model_across_calls() -> None:
    analyzer = Analyzer(AnalysisContext())
    facts = [*analyzer.feed("BEGIN"), *analyzer.feed("SELECT 1"), *analyzer.feed("COMMIT"),
             *analyzer.feed("SELECT 2")]
    assert [f.transaction_id for f in facts] == [1, 1, 1, None]


def test_feed_line_override() -> None:
    analyzer = Analyzer(AnalysisContext())
    (stmt,) = analyzer.feed("\n\n  SELECT 1", line=42)
    assert (stmt.position.line, stmt.position.column) == (42, 1)


def test_commit_fed_inside_the_migration_transaction_ends_it() -> None:
    analyzer = Analyzer(AnalysisContext(in_transaction=True))
    ids = [analyzer.feed(sql, in_transaction=True)[0].transaction_id
           for sql in ("COMMIT", "SELECT 1", "COMMIT", "SELECT 2")]
    assert ids == [1, 2, 2, 3]
