"""The generated rules reference and the catalog look-ups."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic_safe.rules import all_rules, find_rule
from alembic_safe.rules.docs import render_rules_markdown
from alembic_safe.rules.examples import safe_example

ROOT = Path(__file__).resolve().parents[2]


def test_committed_rules_page_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_rules_markdown(), (
        "docs/rules.md is stale: run python -m alembic_safe.rules.docs docs/rules.md"
    )


def test_module_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "rules.md"
    subprocess.run([sys.executable, "-m", "alembic_safe.rules.docs", str(out)], check=True)
    assert out.read_text(encoding="utf-8") == render_rules_markdown()


def test_page_documents_every_rule() -> None:
    page = render_rules_markdown()
    for rule in all_rules():
        assert f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) |" in page
        assert f"### {rule.code} {rule.name}" in page
        assert safe_example(rule).sql.splitlines()[0] in page
        assert safe_example(rule).op.splitlines()[0] in page


def test_catalog_is_sorted_and_unique() -> None:
    codes = [r.code for r in all_rules()]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert len({r.name for r in all_rules()}) == len(codes)
    assert all(r.code[:2] == "AS" and len(r.code) == 5 for r in all_rules())


def test_find_rule() -> None:
    rule = find_rule("AS101")
    assert rule is not None and rule.name == "create-index-not-concurrent"
    assert find_rule("as101") is rule and find_rule("create-index-not-concurrent") is rule
    assert find_rule("AS999") is None and find_rule("create-index") is None


def test_numbered_steps_render_as_lists() -> None:
    page = render_rules_markdown()
    assert "On PostgreSQL 12+:\n\n1. `ADD CONSTRAINT" in page
    assert "\n\n2. " not in page  # items of one list stay together
