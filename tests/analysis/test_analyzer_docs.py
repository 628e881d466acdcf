"""docs/analyzer.md stays in step with the code."""

from __future__ import annotations

from pathlib import Path

from alembic_safe.analysis.locks import lock_table_markdown
from alembic_safe.analysis.volatility import STABLE_FUNCTIONS, VOLATILE_FUNCTIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "analyzer.md").read_text(encoding="utf-8")


def test_lock_table_is_the_generated_one() -> None:
    assert lock_table_markdown() in DOC


def test_functions_named_in_the_docs_are_in_the_tables() -> None:
    for name in ("random", "gen_random_uuid", "uuid_generate_v4", "clock_timestamp", "nextval",
                 "txid_current"):
        assert f"`{name}()`" in DOC and name in VOLATILE_FUNCTIONS
    for name in ("now", "statement_timestamp", "to_char"):
        assert f"`{name}()`" in DOC and name in STABLE_FUNCTIONS
