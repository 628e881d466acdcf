"""The checker: opt-outs (comment, migration dict, allow()), select/ignore/severity, positions."""

from __future__ import annotations

import pytest
from rulefacts import USERS, T, lock, run, stmt

from alembic_safe.analysis.facts import (
    AddConstraint,
    AnalysisContext,
    ConstraintDef,
    ConstraintKind,
    CreateIndex,
    LockMode,
    StatementFacts,
    TransactionControl,
    ValidateConstraint,
)
from alembic_safe.checking import Checker, has_errors
from alembic_safe.config import Settings
from alembic_safe.errors import ConfigError, UsageError
from alembic_safe.findings import Finding, OptOut, Severity
from alembic_safe.optouts import migration_optouts, parse_comment


def index(*comments: str) -> StatementFacts:
    return stmt(CreateIndex(T, index="ix_claims_status", columns=("status",)),
                kind="CREATE INDEX", locks=(lock(T, LockMode.SHARE),), comments=comments)


def by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def test_unsuppressed_error_fails() -> None:
    findings = run([index()])
    assert by_rule(findings)["AS101"].severity is Severity.ERROR
    assert by_rule(findings)["AS101"].path == "m.sql"
    assert has_errors(findings)


@pytest.mark.parametrize("comment", [
    "alembic-safe: allow AS101 because claims has 40 rows",
    "alembic-safe: allow create-index-not-concurrent because claims has 40 rows",
    "  Alembic-Safe: ALLOW as101   because claims has 40 rows",
])
def test_comment_with_reason_allows_and_is_listed(comment: str) -> None:
    findings = run([index(comment)])
    allowed = by_rule(findings)["AS101"].allowed_by
    assert allowed == OptOut(rule="AS101", reason="claims has 40 rows", source="comment")
    assert not has_errors(findings)


def test_comment_can_allow_several_rules() -> None:
    findings = run([index("alembic-safe: allow AS101, missing-lock-timeout because tiny")])
    assert {f.rule for f in findings if f.allowed_by} == {"AS101", "AS801"}


def test_optout_only_silences_the_rule_it_names() -> None:
    findings = run([index("alembic-safe: allow AS102 because no index is dropped")])
    assert by_rule(findings)["AS101"].allowed_by is None
    assert has_errors(findings)


@pytest.mark.parametrize("comment", [
    "alembic-safe: allow AS101",
    "alembic-safe: allow AS101 because",
    "alembic-safe: allow AS101 because    ",
])
def test_comment_without_reason_is_as002_and_allows_nothing(comment: str) -> None:
    findings = run([index(comment)])
    rules = by_rule(findings)
    assert rules["AS002"].severity is Severity.ERROR
    assert "AS101" in rules["AS002"].message
    assert rules["AS101"].allowed_by is None


@pytest.mark.parametrize(("comment", "named"), [
    ("alembic-safe: allow AS1O1 because tiny", "'AS1O1'"),
    ("alembic-safe: allow create-index because tiny", "'create-index'"),
    ("alembic-safe: alow AS101 because tiny", "no rule"),
    ("alembic-safe: allow because tiny", "no rule"),
])
def test_unknown_rule_is_as003(comment: str, named: str) -> None:
    findings = run([index(comment)])
    rules = by_rule(findings)
    assert named in rules["AS003"].message
    assert rules["AS101"].allowed_by is None


def test_comments_without_the_marker_are_ignored() -> None:
    assert parse_comment("allow AS101 because the index is small") == []
    findings = run([index("allow AS101 because the index is small")])
    assert {f.rule for f in findings} == {"AS101", "AS801"}


def test_migration_dict_allows() -> None:
    optouts = migration_optouts({"AS101": "claims has 40 rows"}, "versions/1_add.py")
    findings = run([index()], optouts=optouts)
    assert by_rule(findings)["AS101"].allowed_by == OptOut("AS101", "claims has 40 rows",
                                                           "migration")


def test_migration_dict_problems_reported_once() -> None:
    optouts = migration_optouts({"AS101": "", "AS1O1": "typo"}, "versions/1_add.py")
    findings = run([index(), index()], optouts=optouts)
    problems = [(f.rule, f.statement) for f in findings if f.rule in ("AS002", "AS003")]
    assert problems == [("AS002", "alembic_safe_allow['AS101']"),
                        ("AS003", "alembic_safe_allow['AS1O1']")]
    assert all(f.allowed_by is None for f in findings if f.rule == "AS101")


def test_migration_dict_problems_reported_without_statements() -> None:
    checker = Checker(Settings(), AnalysisContext(),
                      optouts=migration_optouts({"nope": "x"}, "m.py"))
    assert [f.rule for f in checker.check_all([])] == ["AS003"]


@pytest.mark.parametrize("value", [["AS101"], {"AS101": 3}, {1: "reason"}])
def test_migration_dict_of_wrong_shape_is_a_clear_error(value: object) -> None:
    with pytest.raises(UsageError, match=r"^versions/1_add\.py: alembic_safe_allow"):
        migration_optouts(value, "versions/1_add.py")


def test_runtime_allow_is_passed_per_statement() -> None:
    checker = Checker(Settings(), AnalysisContext())
    allowed = checker.check(index(), extra_optouts=[OptOut("AS101", "tiny", "allow()")])
    assert by_rule(allowed)["AS101"].allowed_by == OptOut("AS101", "tiny", "allow()")
    again = checker.check(index())
    assert by_rule(again)["AS101"].allowed_by is None
    bad = checker.check(index(), extra_optouts=[OptOut("AS101", "", "allow()")])
    assert "AS002" in by_rule(bad)


def test_reasonless_optout_never_silences_even_with_as002_ignored() -> None:
    findings = run([index("alembic-safe: allow AS101")], settings=Settings(ignore=("AS002",)))
    assert "AS002" not in by_rule(findings)
    assert by_rule(findings)["AS101"].allowed_by is None


def test_select_by_code_or_name() -> None:
    for select in (("AS101",), ("create-index-not-concurrent",)):
        findings = run([index()], settings=Settings(select=select))
        assert {f.rule for f in findings} == {"AS101"}


def test_select_keeps_parse_errors() -> None:
    broken = stmt(kind="PARSE ERROR", parse_error="syntax error at or near \"x\"")
    assert [f.rule for f in run([broken], settings=Settings(select=("AS101",)))] == ["AS001"]


def test_ignore_by_code_or_name() -> None:
    for ignore in (("AS801",), ("missing-lock-timeout",)):
        assert {f.rule for f in run([index()], settings=Settings(ignore=ignore))} == {"AS101"}


def test_severity_overrides() -> None:
    findings = run([index()], settings=Settings(severity={"AS101": "warning",
                                                          "missing-lock-timeout": "error"}))
    assert by_rule(findings)["AS101"].severity is Severity.WARNING
    assert by_rule(findings)["AS801"].severity is Severity.ERROR
    off = run([index()], settings=Settings(severity={"AS101": "off"}))
    assert "AS101" not in by_rule(off)


@pytest.mark.parametrize(("settings", "key"), [
    (Settings(select=("AS999",)), "select"),
    (Settings(ignore=("create-index",)), "ignore"),
    (Settings(severity={"AS1O1": "off"}), "severity.AS1O1"),
])
def test_unknown_rules_in_settings_are_config_errors(settings: Settings, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{key}: unknown rule"):
        Checker(settings, AnalysisContext())


def test_did_you_mean() -> None:
    with pytest.raises(ConfigError, match="did you mean 'create-index-not-concurrent'"):
        Checker(Settings(ignore=("create-index-not-concurent",)), AnalysisContext())


def test_parse_error_yields_as001_only() -> None:
    broken = stmt(kind="PARSE ERROR", parse_error="syntax error at or near \";\"",
                  locks=(lock(T),))
    findings = run([broken])
    assert [f.rule for f in findings] == ["AS001"]
    assert "syntax error" in findings[0].message


def test_checker_remembers_earlier_statements() -> None:
    checker = Checker(Settings(ignore=("AS801",)), AnalysisContext())
    definition = ConstraintDef(ConstraintKind.FOREIGN_KEY, "fk", ("user_id",), not_valid=True,
                               references=USERS)
    assert checker.check(stmt(TransactionControl(None, command="BEGIN"), txn=1)) == []
    checker.check(stmt(AddConstraint(T, constraint=definition), txn=1))
    findings = checker.check(stmt(ValidateConstraint(T, name="fk"), txn=1))
    assert [f.rule for f in findings] == ["AS305"]


def test_warnings_alone_do_not_fail() -> None:
    findings = run([index("alembic-safe: allow AS101 because tiny")])
    assert any(f.rule == "AS801" and f.severity is Severity.WARNING for f in findings)
    assert not has_errors(findings)


def begin_stmt(*comments: str) -> StatementFacts:
    return stmt(TransactionControl(None, command="BEGIN"), kind="BEGIN", txn=1, comments=comments)


def commit_stmt(command: str = "COMMIT") -> StatementFacts:
    return stmt(TransactionControl(None, command=command), kind=command, txn=1)


def test_uncommitted_transaction_reported_at_the_begin() -> None:
    findings = run([index(), begin_stmt(), index()])
    [finding] = [f for f in findings if f.rule == "AS809"]
    assert finding.line == 2 and "line 2" in finding.message
    assert has_errors(findings)


@pytest.mark.parametrize("command", ["COMMIT", "ROLLBACK", "END"])
def test_closed_transaction_is_fine(command: str) -> None:
    findings = run([begin_stmt(), index(), commit_stmt(command)])
    assert "AS809" not in by_rule(findings)


def test_uncommitted_transaction_not_reported_when_the_runner_wraps_the_input() -> None:
    checker = Checker(Settings(), AnalysisContext(in_transaction=True))
    assert "AS809" not in by_rule(checker.check_all([begin_stmt(), index()]))


def test_uncommitted_transaction_can_be_allowed_on_the_begin() -> None:
    findings = run([begin_stmt("alembic-safe: allow AS809 because the runner commits"), index()])
    assert by_rule(findings)["AS809"].allowed_by is not None


def test_finish_reports_once() -> None:
    checker = Checker(Settings(), AnalysisContext())
    checker.check(begin_stmt())
    assert [f.rule for f in checker.finish()] == ["AS809"]
    assert checker.finish() == []
