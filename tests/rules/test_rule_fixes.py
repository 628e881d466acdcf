"""Rules give their safe way as a Fix, and that fix passes the same rules: rendered to SQL and
run through the analyzer and checker (each step inside or outside the migration's transaction
as the fix says), it has no error finding."""

from __future__ import annotations

import pytest

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding, Severity
from alembic_safe.fix import sql
from alembic_safe.fix.model import (
    AddColumn,
    AddConstraint,
    BuildIndex,
    ConstraintType,
    DropIndex,
    Fix,
    Preflight,
    PreflightKind,
    SetNotNull,
    ValidateConstraint,
    runs_in_transaction,
)

UNSAFE = [
    ("AS101", "CREATE INDEX ix_claims_status ON claims (status)"),
    ("AS101", 'CREATE UNIQUE INDEX "Ix" ON "Bill"."Claims" ("Number", code)'),
    ("AS101", "CREATE INDEX ON claims USING gin (lower(note) gin_trgm_ops) WHERE note <> ''"),
    ("AS101", "CREATE INDEX ix ON claims (status) INCLUDE (amount) WHERE amount > 0"),
    ("AS102", "DROP INDEX billing.ix_claims_status"),
    ("AS301", "ALTER TABLE claims ADD CONSTRAINT claims_user_fk FOREIGN KEY (user_id) "
              "REFERENCES users (id) ON DELETE CASCADE"),
    ("AS301", 'ALTER TABLE "Cl""aims" ADD FOREIGN KEY (a, b) REFERENCES s.u MATCH FULL '
              "DEFERRABLE INITIALLY DEFERRED"),
    ("AS302", "ALTER TABLE claims ADD CONSTRAINT positive CHECK (amount > 0 AND note <> 'x')"),
    ("AS303", "ALTER TABLE claims ADD CONSTRAINT claims_number_key UNIQUE (number)"),
    ("AS303", "ALTER TABLE claims ADD UNIQUE (a, b) INCLUDE (c)"),
    ("AS303", "ALTER TABLE claims ADD UNIQUE NULLS NOT DISTINCT (a)"),
    ("AS303", "ALTER TABLE claims ADD PRIMARY KEY (id)"),
    ("AS206", "ALTER TABLE claims ALTER COLUMN region SET NOT NULL"),
    ("AS206", 'ALTER TABLE "S"."T" ALTER COLUMN "Re""gion" SET NOT NULL'),
    ("AS201", "ALTER TABLE claims ADD COLUMN region varchar(20) NOT NULL"),
    ("AS205", "ALTER TABLE claims ALTER COLUMN amount TYPE numeric(12, 2)"),
]


def _findings(text: str, pg_version: int = 15) -> list[Finding]:
    context = AnalysisContext(pg_version=pg_version, in_transaction=True,
                              lock_timeout_managed=True)
    checker = Checker(Settings(pg_version=pg_version), context)
    return [f for stmt in Analyzer(context).feed(text) for f in checker.check(stmt)]


def _fix(code: str, text: str, pg_version: int = 15) -> Fix:
    (finding,) = [f for f in _findings(text, pg_version) if f.rule == code]
    assert finding.fix is not None, finding
    return finding.fix


def _errors_of(fix: Fix, pg_version: int) -> list[Finding]:
    context = AnalysisContext(pg_version=pg_version, in_transaction=True,
                              lock_timeout_managed=True)
    analyzer = Analyzer(context)
    checker = Checker(Settings(pg_version=pg_version), context)
    found = []
    for step in fix.steps:
        for stmt in analyzer.feed(sql.statement(step), in_transaction=runs_in_transaction(step)):
            found += [f for f in checker.check(stmt) if f.severity is Severity.ERROR]
    return found


@pytest.mark.parametrize(("code", "text"), UNSAFE, ids=[f"{c} {t}" for c, t in UNSAFE])
@pytest.mark.parametrize("pg_version", [12, 15, 17])
def test_the_fix_passes_the_rules(code: str, text: str, pg_version: int) -> None:
    fix = _fix(code, text, pg_version)
    if fix.alternative:
        return  # another plan (expand/contract): its steps do not replace the statement
    assert _errors_of(fix, pg_version) == []


def test_index_fix_keeps_the_whole_definition_and_names_unnamed_indexes() -> None:
    fix = _fix("AS101", "CREATE INDEX ON claims USING gin (lower(note) gin_trgm_ops) "
                        "WHERE note <> ''")
    (build,) = fix.steps
    assert build == BuildIndex(build.table, "claims_expr_idx", (),
                               definition="USING gin ((lower(note)) gin_trgm_ops) "
                                          "WHERE note <> ''", where="note <> ''")


def test_unique_index_fix_checks_duplicates_first() -> None:
    fix = _fix("AS101", 'CREATE UNIQUE INDEX "Ix" ON "Bill"."Claims" ("Number", code)')
    preflight, build = fix.steps
    assert preflight == Preflight(PreflightKind.UNIQUE, build.table, ("Number", "code"),
                                  protects="Ix")
    assert sql.statement(build) == ('CREATE UNIQUE INDEX CONCURRENTLY "Ix" ON "Bill"."Claims" '
                                    '("Number", code)')


def test_drop_index_fix_is_concurrent_and_rerunnable() -> None:
    (drop,) = _fix("AS102", "DROP INDEX billing.ix_claims_status").steps
    assert isinstance(drop, DropIndex)
    assert sql.statement(drop) == "DROP INDEX CONCURRENTLY IF EXISTS billing.ix_claims_status"


def test_foreign_key_fix_keeps_every_clause_and_pg_default_name() -> None:
    add, validate = _fix("AS301", 'ALTER TABLE "Cl""aims" ADD FOREIGN KEY (a, b) REFERENCES '
                                  "s.u MATCH FULL DEFERRABLE INITIALLY DEFERRED").steps
    assert isinstance(add, AddConstraint) and add.name == 'Cl"aims_a_b_fkey'
    assert sql.statement(add) == (
        'ALTER TABLE "Cl""aims" ADD CONSTRAINT "Cl""aims_a_b_fkey" FOREIGN KEY (a, b) '
        "REFERENCES s.u MATCH FULL DEFERRABLE INITIALLY DEFERRED NOT VALID")
    assert validate == ValidateConstraint(add.table, add.name)


def test_unique_fix_attaches_the_concurrent_index() -> None:
    steps = _fix("AS303", "ALTER TABLE claims ADD UNIQUE (a, b) INCLUDE (c)").steps
    assert [sql.statement(s) for s in steps[1:]] == [
        "CREATE UNIQUE INDEX CONCURRENTLY claims_a_b_key ON claims (a, b) INCLUDE (c)",
        "ALTER TABLE claims ADD CONSTRAINT claims_a_b_key UNIQUE USING INDEX claims_a_b_key",
    ]


@pytest.mark.parametrize("pg_version", [12, 17])
def test_not_null_fix_goes_through_a_validated_check(pg_version: int) -> None:
    steps = _fix("AS206", "ALTER TABLE claims ALTER COLUMN region SET NOT NULL", pg_version).steps
    assert [type(s).__name__ for s in steps] == [
        "AddConstraint", "Preflight", "ValidateConstraint", "SetNotNull", "DropConstraint"]
    assert sql.statement(steps[0]) == ("ALTER TABLE claims ADD CONSTRAINT "
                                       "claims_region_not_null_check CHECK (region IS NOT "
                                       "NULL) NOT VALID")


def test_new_not_null_column_is_added_nullable_and_not_null_comes_later() -> None:
    fix = _fix("AS201", "ALTER TABLE claims ADD COLUMN region varchar(20) NOT NULL")
    assert fix.steps == (AddColumn(fix.steps[0].table, "region",  # type: ignore[attr-defined]
                                   "varchar(20)"),)
    assert any(isinstance(s, SetNotNull) for s in fix.later)


def test_type_rewrite_fix_is_an_expand_contract_alternative() -> None:
    fix = _fix("AS205", "ALTER TABLE claims ALTER COLUMN amount TYPE numeric(12, 2)")
    assert fix.alternative
    assert sql.statement(fix.steps[0]) == (
        "ALTER TABLE claims ADD COLUMN amount_new numeric(12, 2)")


def test_constraint_types_cover_pg18_not_null() -> None:
    assert ConstraintType.NOT_NULL.value == "NOT NULL"


def test_a_concurrent_build_inside_a_transaction_moves_out_of_it() -> None:
    fix = _fix("AS103", "CREATE INDEX CONCURRENTLY ix ON claims (status)")
    (build,) = fix.steps
    assert isinstance(build, BuildIndex) and not build.transactional
    (drop,) = _fix("AS103", "DROP INDEX CONCURRENTLY ix").steps
    assert isinstance(drop, DropIndex)


def test_pg18_not_null_is_a_not_valid_constraint_then_its_validation() -> None:
    from alembic_safe.analysis.facts import Relation
    from alembic_safe.rules.fixes import set_not_null

    steps = set_not_null(Relation("claims"), "region", 18).steps
    assert [sql.statement(s) for s in steps[::2]] == [
        "ALTER TABLE claims ADD CONSTRAINT claims_region_not_null NOT NULL region NOT VALID",
        "ALTER TABLE claims VALIDATE CONSTRAINT claims_region_not_null",
    ]
