"""Statement splitting, comments, positions and parse errors."""

from __future__ import annotations

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import Position


def test_empty_input() -> None:
    assert analyze("") == []
    assert analyze("  \n-- only a comment\n/* and this */") == []
    assert analyze(";;") == []


def test_positions_and_statement_text() -> None:
    facts = analyze("-- header\nSELECT 1;\n\n   UPDATE t\n   SET a = 1 ;SELECT 'é';SELECT 3")
    assert [f.position for f in facts] == [
        Position(2, 1), Position(4, 4), Position(5, 15), Position(5, 26)]
    assert [f.sql for f in facts] == [
        "SELECT 1", "UPDATE t\n   SET a = 1", "SELECT 'é'", "SELECT 3"]
    assert [f.index for f in facts] == [0, 1, 2, 3]


def test_comments_belong_to_the_right_statement() -> None:
    facts = analyze(
        "-- first\nSELECT 1; -- trailing first\n"
        "/* before\n   second */\n-- also before second\n"
        "UPDATE t SET a = 1 /* inside */ WHERE id = 2;\n"
        "SELECT '-- not a comment', $$ /* nor this */ $$;\n"
        "-- dangling at the end\n"
    )
    assert facts[0].comments == ("first", "trailing first")
    assert facts[1].comments == ("before\n   second", "also before second", "inside")
    assert facts[2].comments == ()


def test_parse_error_then_valid_statements() -> None:
    facts = analyze("SELECT 1;\nALTER TABLE claims ADD COLUMN;\n"
                    "CREATE INDEX ix ON claims (a);\nSELEC 2;")
    assert [f.kind for f in facts] == ["SELECT", "PARSE ERROR", "CREATE INDEX", "PARSE ERROR"]
    assert facts[1].parse_error == 'syntax error at end of input at line 2, column 30'
    assert facts[1].position == Position(2, 1)
    assert facts[1].sql == "ALTER TABLE claims ADD COLUMN"
    assert facts[3].parse_error == 'syntax error at or near "SELEC" at line 4, column 1'
    assert facts[2].locks and facts[2].parse_error is None


def test_unterminated_literal_keeps_earlier_statements() -> None:
    facts = analyze("CREATE INDEX ix ON t (a);\nSELECT 'abc")
    assert [f.kind for f in facts] == ["CREATE INDEX", "PARSE ERROR"]
    assert facts[1].parse_error is not None
    assert facts[1].parse_error.startswith("unterminated quoted string")
    assert facts[1].parse_error.endswith("at line 2, column 8")


def test_unterminated_comment() -> None:
    facts = analyze("SELECT 1; /* never closed")
    assert [f.kind for f in facts] == ["SELECT", "PARSE ERROR"]


def test_function_body_with_semicolons_parses_as_one_statement() -> None:
    facts = analyze("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\n"
                    "BEGIN\n  CREATE INDEX ix ON t (a);\n  DROP TABLE t;\nEND\n$$;\nSELECT 1;")
    assert [f.kind for f in facts] == ["CREATE FUNCTION", "SELECT"]


def test_trailing_comment_after_two_statements_on_one_line() -> None:
    facts = analyze("SELECT 1; SELECT 2; -- about the second\nSELECT 3;")
    assert [f.comments for f in facts] == [(), ("about the second",), ()]


def test_begin_atomic_body_stays_one_statement_when_another_statement_fails() -> None:
    facts = analyze(
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
        "  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\n"
        "SELEC 1;\nCREATE INDEX ix ON t (a);"
    )
    assert [f.kind for f in facts] == ["CREATE FUNCTION", "PARSE ERROR", "CREATE INDEX"]
