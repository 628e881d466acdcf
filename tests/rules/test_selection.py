"""Which rules run: the default selection, select / extend_select / ignore / severity selectors."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from alembic_safe.analysis import analyze
from alembic_safe.analysis.facts import AnalysisContext
from alembic_safe.checking import Checker
from alembic_safe.config import Settings, merge
from alembic_safe.errors import ConfigError
from alembic_safe.findings import Severity
from alembic_safe.rules import all_rules
from alembic_safe.rules.policy import Category
from alembic_safe.rules.selection import ALWAYS_SELECTED, resolve, select

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: an index build (AS101 error, AS801 warning) on a table whose new column is varchar (AS803)
SQL = ("ALTER TABLE claims ADD COLUMN number varchar(20);\n"
       "CREATE INDEX ix_claims_number ON claims (number);")
STYLE = {r.code for r in all_rules() if r.category is Category.STYLE}


def findings(**settings: Any) -> dict[str, Severity]:
    context = AnalysisContext()
    checker = Checker(Settings(**settings), context, path="m.sql")
    return {f.rule: f.severity for f in checker.check_all(analyze(SQL, context))}


def test_style_rules_do_not_run_by_default() -> None:
    assert set(findings()) == {"AS101", "AS801"}
    assert not select(Settings()).enabled & STYLE
    assert select(Settings()).enabled == {r.code for r in all_rules()} - STYLE


@pytest.mark.parametrize("selector", ["style", "STYLE", "AS803", "prefer-text-over-varchar",
                                      "AS80"])
def test_extend_select_adds_to_the_default(selector: str) -> None:
    assert set(findings(extend_select=(selector,))) == {"AS101", "AS801", "AS803"}


def test_select_replaces_the_default() -> None:
    assert set(findings(select=("style",))) == {"AS803"}
    assert set(findings(select=("AS101", "style"))) == {"AS101", "AS803"}
    assert set(findings(select=("ALL",))) == {"AS101", "AS801", "AS803"}
    assert set(findings(select=("lock",), extend_select=("AS801",))) == {"AS101", "AS801"}
    assert select(Settings(select=("AS101",))).enabled == {"AS101"} | ALWAYS_SELECTED


def test_prefixes_select_every_code_they_start() -> None:
    assert resolve(["AS8"], "select") == {r.code for r in all_rules() if r.code[:3] == "AS8"}
    assert resolve(["as10"], "select") == {"AS101", "AS102", "AS103", "AS104"}


def test_ignore_always_wins() -> None:
    assert set(findings(ignore=("brief-lock",))) == {"AS101"}
    assert set(findings(select=("ALL",), ignore=("style", "AS101"))) == {"AS801"}
    assert set(findings(extend_select=("AS803",), ignore=("AS803",))) == {"AS101", "AS801"}
    assert "AS803" not in findings(severity={"AS803": "error"}, ignore=("style",))


def test_severity_runs_the_rules_it_levels() -> None:
    # a style rule promoted in `severity` runs, as it did when every rule ran by default
    assert findings(severity={"AS803": "error"})["AS803"] is Severity.ERROR
    assert findings(severity={"style": "warning"})["AS803"] is Severity.WARNING
    assert "AS801" not in findings(severity={"brief-lock": "off"})


def test_the_most_specific_severity_wins() -> None:
    levels = {"AS803": "warning", "ALL": "error", "style": "off", "AS8": "error"}
    result = findings(severity=levels)
    assert result["AS101"] is Severity.ERROR  # ALL
    assert result["AS801"] is Severity.ERROR  # AS8 over ALL
    assert result["AS803"] is Severity.WARNING  # the code over AS8 and style
    assert findings(severity={"lock": "warning", "AS101": "error"})["AS101"] is Severity.ERROR
    assert findings(severity={"AS101": "error", "lock": "warning"})["AS101"] is Severity.ERROR


@pytest.mark.parametrize(("settings", "message"), [
    ({"extend_select": ("styl",)}, r"^extend_select: unknown rule 'styl' \(did you mean 'style'"),
    ({"select": ("AS9",)}, r"^select: unknown rule 'AS9'"),
    ({"ignore": ("lok",)}, r"^ignore: unknown rule 'lok' \(did you mean 'lock'"),
    ({"severity": {"stlye": "off"}}, r"^severity.stlye: unknown rule 'stlye'"),
])
def test_unknown_selectors_are_config_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Checker(Settings(**settings), AnalysisContext())


def test_categories_are_written_with_dashes_or_underscores() -> None:
    assert resolve(["data_loss"], "select") == resolve(["data-loss"], "select") != set()


def _documented_examples() -> list[dict[str, Any]]:
    """The [tool.alembic_safe] tables of the TOML examples in docs/configuration.md."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    start = page.index("\n## Selecting rules\n")
    section = page[start:page.index("\n## ", start + 1)]
    blocks = re.findall(r"^```toml\n(.*?)^```", section, re.S | re.M)
    return [tomllib.loads(block)["tool"]["alembic_safe"] for block in blocks]


def test_documented_examples_select_what_they_say() -> None:
    style_too, safety_only = _documented_examples()
    settings = merge(Settings(), style_too, "docs")
    chosen = select(settings)
    assert chosen.enabled == ({r.code for r in all_rules()} - {"AS806"})
    assert chosen.severity == {"AS802": Severity.ERROR}
    enabled = select(merge(Settings(), safety_only, "docs")).enabled
    assert enabled == {r.code for r in all_rules() if r.category in (
        Category.LOCK, Category.REWRITE, Category.WILL_FAIL)} | ALWAYS_SELECTED
