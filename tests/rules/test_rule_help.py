"""A rule's safe way is its fix (data, rendered by every front end) or, where it has none, words:
no rule spells SQL or op code of its own in a help text or in a hand-written safe example."""

from __future__ import annotations

import re

import pytest

from alembic_safe.rules import all_rules
from alembic_safe.rules.base import Rule
from alembic_safe.rules.examples import example_fix, findings_of

RULES = all_rules()
#: the beginning of a SQL statement, or of Alembic / SQLAlchemy code
_CODE = re.compile(r"\bop\.\w+\(|\bsa\.\w+\(|"
                   r"\b(ALTER|CREATE|DROP) (TABLE|INDEX|TYPE|DOMAIN|VIEW|SEQUENCE) \S")


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_help_is_words(rule: Rule) -> None:
    for finding in findings_of(rule, rule.sql_example[0]):
        assert not _CODE.search(finding.help), (rule.code, finding.help)
        assert finding.advice, rule.code  # the safe way in words, from the rule or its fix
        if finding.fix is not None:
            assert finding.fix.summary, rule.code


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_a_rule_with_a_fix_writes_no_safe_example_by_hand(rule: Rule) -> None:
    if example_fix(rule) is not None:
        assert rule.sql_example[1] == "" and rule.op_example[1] == "", rule.code
    else:
        assert rule.sql_example[1] and rule.op_example[1], rule.code
