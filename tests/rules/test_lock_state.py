"""AS801 and the locks a transaction already holds: PostgreSQL's lock conflict table, on SQL."""

from __future__ import annotations

import pytest

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext, LockMode
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding

M = LockMode
#: PostgreSQL's "Conflicting Lock Modes" table (docs, "Explicit Locking"), row by row
CONFLICTS = {
    M.ACCESS_SHARE: {M.ACCESS_EXCLUSIVE},
    M.ROW_SHARE: {M.EXCLUSIVE, M.ACCESS_EXCLUSIVE},
    M.ROW_EXCLUSIVE: {M.SHARE, M.SHARE_ROW_EXCLUSIVE, M.EXCLUSIVE, M.ACCESS_EXCLUSIVE},
    M.SHARE_UPDATE_EXCLUSIVE: {M.SHARE_UPDATE_EXCLUSIVE, M.SHARE, M.SHARE_ROW_EXCLUSIVE,
                               M.EXCLUSIVE, M.ACCESS_EXCLUSIVE},
    M.SHARE: {M.ROW_EXCLUSIVE, M.SHARE_UPDATE_EXCLUSIVE, M.SHARE_ROW_EXCLUSIVE, M.EXCLUSIVE,
              M.ACCESS_EXCLUSIVE},
    M.SHARE_ROW_EXCLUSIVE: {M.ROW_EXCLUSIVE, M.SHARE_UPDATE_EXCLUSIVE, M.SHARE,
                            M.SHARE_ROW_EXCLUSIVE, M.EXCLUSIVE, M.ACCESS_EXCLUSIVE},
    M.EXCLUSIVE: set(M) - {M.ACCESS_SHARE},
    M.ACCESS_EXCLUSIVE: set(M),
}


def _mask(modes: set[LockMode]) -> int:
    return sum(1 << mode for mode in modes)


@pytest.mark.parametrize("mode", list(M), ids=[m.label for m in M])
def test_conflicts_follow_the_table(mode: LockMode) -> None:
    assert mode.conflicts == _mask(CONFLICTS[mode])
    assert all((mode.conflicts >> other & 1) == (other.conflicts >> mode & 1) for other in M)


@pytest.mark.parametrize("held", list(M), ids=[m.label for m in M])
@pytest.mark.parametrize("wanted", list(M), ids=[m.label for m in M])
def test_a_held_mode_covers_a_request_when_it_conflicts_with_all_the_request_does(
    held: LockMode, wanted: LockMode
) -> None:
    # another transaction can hold only modes compatible with ``held``; the request waits
    # when one of those conflicts with it
    others = set(M) - CONFLICTS[held]
    can_wait = bool(others & CONFLICTS[wanted])
    assert wanted.covered_by(held.conflicts) is not can_wait


def test_access_exclusive_covers_everything_and_share_does_not_cover_sue() -> None:
    assert all(mode.covered_by(M.ACCESS_EXCLUSIVE.conflicts) for mode in M)
    assert not M.SHARE_UPDATE_EXCLUSIVE.covered_by(M.SHARE.conflicts)  # another CREATE INDEX
    assert M.SHARE.covered_by(M.SHARE_ROW_EXCLUSIVE.conflicts)


def lint(sql: str, **context: object) -> list[Finding]:
    ctx = AnalysisContext(**context)  # type: ignore[arg-type]
    return Checker(Settings(), ctx, path="m.sql").check_all(analyze(sql, ctx))


def as801(sql: str, **context: object) -> dict[int, str]:
    return {f.line: f.message for f in lint(sql, **context) if f.rule == "AS801"}


def test_statements_whose_lock_the_transaction_holds_are_not_reported() -> None:
    found = as801(
        "BEGIN;\n"
        "ALTER TABLE claims ADD COLUMN a int;\n"              # 2: can wait
        "ALTER TABLE claims ADD COLUMN b int;\n"              # 3: ACCESS EXCLUSIVE held
        "CREATE INDEX ix_claims_a ON claims (a);\n"           # 4: held
        "ALTER TABLE claims ALTER COLUMN a SET NOT NULL;\n"   # 5: held
        "COMMIT;\n"
        "ALTER TABLE claims ADD COLUMN c int;\n"              # 7: a new transaction: can wait
    )
    assert sorted(found) == [2, 7]


def test_a_weaker_lock_held_does_not_cover_a_stronger_one() -> None:
    found = as801(
        "BEGIN;\n"
        "CREATE INDEX ix_a ON claims (a);\n"                  # 2: SHARE
        "CREATE INDEX ix_b ON claims (b);\n"                  # 3: SHARE held: covered
        "ALTER TABLE claims ADD COLUMN c int;\n"              # 4: ACCESS EXCLUSIVE: can wait
        "COMMIT;\n"
        "BEGIN;\n"
        "UPDATE claims SET a = 1 WHERE id = 1;\n"             # ROW EXCLUSIVE held
        "CREATE INDEX ix_c ON claims (c);\n"                  # 8: SHARE can still wait
        "COMMIT;"
    )
    assert sorted(found) == [2, 4, 8]


def test_in_an_alembic_migration_only_the_first_lock_of_a_table_is_reported() -> None:
    found = as801("ALTER TABLE claims ADD COLUMN a int;\n"
                  "ALTER TABLE claims ADD COLUMN b int;\n"
                  "ALTER TABLE users ADD COLUMN c int;", in_transaction=True)
    assert sorted(found) == [1, 3]


def test_a_foreign_key_names_both_tables_whose_lock_can_wait() -> None:
    found = as801("ALTER TABLE claims ADD CONSTRAINT fk FOREIGN KEY (user_id) "
                  "REFERENCES users (id) NOT VALID;")
    assert found[1].startswith("ALTER TABLE requests SHARE ROW EXCLUSIVE on claims and users "
                               "with no lock_timeout")
    assert "these tables" in found[1]


def test_a_foreign_key_after_the_tables_lock_names_the_referenced_table_only() -> None:
    found = as801("BEGIN;\nALTER TABLE claims ADD COLUMN user_id bigint;\n"
                  "ALTER TABLE claims ADD CONSTRAINT fk FOREIGN KEY (user_id) "
                  "REFERENCES users (id) NOT VALID;\nCOMMIT;")
    assert "SHARE ROW EXCLUSIVE on users with" in found[3]
    assert "claims" not in found[3]


def test_rollback_to_savepoint_forgets_the_locks_taken() -> None:
    found = as801("BEGIN;\nSAVEPOINT s;\nALTER TABLE claims ADD COLUMN a int;\n"
                  "ROLLBACK TO SAVEPOINT s;\nALTER TABLE claims ADD COLUMN b int;\nCOMMIT;")
    assert sorted(found) == [3, 5]


def test_a_timeout_still_silences_it() -> None:
    assert as801("SET lock_timeout = '2s';\nALTER TABLE claims ADD COLUMN a int;") == {}
