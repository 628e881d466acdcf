"""The histories of ``tests/lint/histories`` (see its README): each false alarm of issue 14 is
gone, each harm that went unflagged is reported, and the real findings are kept."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_helpers import Run

Lint = Callable[..., Run]
HISTORIES = Path(__file__).parent / "histories"
STYLE = "AS802,AS803,AS804,AS805,AS806"

SHOP = [
    ("V2__orders.sql", "AS801", 1),
    ("V5__order_indexes.sql", "AS101", 3),
    ("V7__note_not_null.sql", "AS206", 3),
    ("V7__note_not_null.sql", "AS601", 3),
    ("V7__note_not_null.sql", "AS801", 3),
    ("V8__order_rule.sql", "AS801", 1),
    ("V9__customer_search.sql", "AS101", 2),
    ("V9__customer_search.sql", "AS005", 8),
    ("V10__order_amounts.sql", "AS205", 3),
]
BILLING = [
    ("2b7c_account_contact.py", "AS801", 14),
    ("2b7c_account_contact.py", "AS101", 17),
    ("2b7c_account_contact.py", "AS808", 17),
    ("9a3d_account_owner.py", "AS801", 14),
    ("9a3d_account_owner.py", "AS801", 15),
    ("9a3d_account_owner.py", "AS808", 15),
    ("7c5e_account_phone.py", "AS206", 15),
    ("7c5e_account_phone.py", "AS601", 15),
    ("7c5e_account_phone.py", "AS801", 15),
    ("5f2a_invoice_totals.py", "AS101", 14),
    ("5f2a_invoice_totals.py", "AS005", 22),
]


@pytest.fixture
def histories(project: Path) -> Path:
    target = project / "histories"
    shutil.copytree(HISTORIES, target)
    return target


def found(run: Run) -> list[tuple[str, str, int]]:
    return sorted((Path(f["path"]).name, f["rule"], f["line"]) for f in run.json()["findings"])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_shop_sql(lint: Lint, histories: Path, jobs: str) -> None:
    run = lint("histories/shop_sql", "--format", "json", "--ignore", STYLE, "--jobs", jobs)
    assert found(run) == sorted(SHOP)
    messages = {(Path(f["path"]).name, f["rule"]): f["message"] for f in run.json()["findings"]}
    assert "CREATE RULE requests ACCESS EXCLUSIVE on orders" in messages[
        ("V8__order_rule.sql", "AS801")]
    assert "UPDATE at line 2 changed its rows" in messages[("V7__note_not_null.sql", "AS601")]
    assert "from integer to bigint" in messages[("V10__order_amounts.sql", "AS205")]


def test_billing_alembic(lint: Lint, histories: Path) -> None:
    run = lint("histories/billing_alembic/versions", "--format", "json", "--ignore", STYLE)
    assert found(run) == sorted(BILLING)
    owner = [f["message"] for f in run.json()["findings"]
             if f["rule"] == "AS801" and f["line"] == 15 and "9a3d" in f["path"]]
    assert owner == ["ALTER TABLE requests SHARE ROW EXCLUSIVE on users with no lock_timeout: "
                     "while it waits, later queries on the table queue behind it"]


@pytest.mark.parametrize(("path", "rule"), [
    ("histories/shop_sql/V3__widen_email.sql", "AS205"),
    ("histories/shop_sql/V4__order_status_text.sql", "AS205"),
    ("histories/shop_sql/V10__order_amounts.sql", "AS205"),
    ("histories/billing_alembic/versions/2b7c_account_contact.py", "AS205"),
])
def test_without_the_earlier_files_the_old_type_is_unknown(lint: Lint, histories: Path,
                                                            path: str, rule: str) -> None:
    alone = lint(path, "--format", "json", "--select", rule).json()["findings"]
    assert alone, "linted alone, the change is taken for a rewrite"
    whole = lint(str(Path(path).parent), "--format", "json", "--select", rule).json()
    assert len([f for f in whole["findings"] if f["path"] == path]) < len(alone)
