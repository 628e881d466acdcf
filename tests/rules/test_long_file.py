"""Look-back rules on a long file: the 500th transaction gets the same verdict as the first.

The checker keeps running state for rules that look at earlier statements (lock_timeout set,
locks held and NOT VALID constraints added in the transaction, transactions open); these tests
check that state on a file of more than 5,000 statements, through the real analyzer.
"""

from __future__ import annotations

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding

#: one block; every look-back rule fires in it, and the state it leaves must not leak into the next
BLOCK = """\
BEGIN;
SET LOCAL lock_timeout = '2s';
ALTER TABLE claims ADD CONSTRAINT claims_amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE claims VALIDATE CONSTRAINT claims_amount_positive;
UPDATE claims SET region = 'eu';
CREATE INDEX ix_users_email ON users (email);
BEGIN;
COMMIT;
ALTER TABLE claims VALIDATE CONSTRAINT claims_amount_positive;
ALTER TABLE users ADD COLUMN nickname text;
SET lock_timeout = '1s';
ALTER TABLE users ADD COLUMN nickname2 text;
SET lock_timeout = 0;
"""
BLOCK_LINES = BLOCK.count("\n")
REPEATS = 400  # 5,200 statements

#: (line in the block, rule) of every finding in one block, in order
EXPECTED = [
    (4, "AS305"),  # VALIDATE in the transaction that added the constraint NOT VALID
    (4, "AS808"),  # first statement after the ACCESS EXCLUSIVE lock of line 3
    (5, "AS601"),  # UPDATE of the table locked at line 3, same transaction
    (5, "AS602"),
    (6, "AS101"),  # AS808 only once per transaction
    (6, "AS810"),  # the index build on users while claims is locked (line 3)
    (7, "AS807"),  # BEGIN inside the open transaction
    (10, "AS801"),  # SET LOCAL ended at COMMIT; the session SET comes at line 11
]


def _check(sql: str, *, in_transaction: bool) -> list[Finding]:
    context = AnalysisContext(in_transaction=in_transaction)
    statements = analyze(sql, context)
    assert len(statements) == REPEATS * BLOCK_LINES
    return Checker(Settings(), context, path="long.sql").check_all(statements)


def _blocks(findings: list[Finding]) -> list[list[tuple[int, str, str]]]:
    """Findings per block: (line within the block, rule, message with line numbers shifted)."""
    blocks: list[list[tuple[int, str, str]]] = [[] for _ in range(REPEATS)]
    for f in findings:
        block, line = divmod(f.line - 1, BLOCK_LINES)
        shift = block * BLOCK_LINES
        message = f.message
        for old in range(shift + BLOCK_LINES, shift, -1):
            message = message.replace(f"line {old}", f"line {old - shift}")
        blocks[block].append((line + 1, f.rule, message))
    return blocks


def _assert_every_block_alike(findings: list[Finding]) -> None:
    blocks = _blocks(findings)
    first = blocks[0]
    assert [(line, rule) for line, rule, _ in first] == EXPECTED
    messages = dict(((line, rule), message) for line, rule, message in first)
    assert "taken at line 3" in messages[4, "AS808"]
    assert "statement at line 3" in messages[5, "AS601"]
    for number, block in enumerate(blocks):
        assert block == first, f"block {number} differs"


def test_look_back_rules_on_a_long_file() -> None:
    _assert_every_block_alike(_check(BLOCK * REPEATS, in_transaction=False))


def test_look_back_rules_on_a_long_file_run_in_one_transaction() -> None:
    _assert_every_block_alike(_check(BLOCK * REPEATS, in_transaction=True))
