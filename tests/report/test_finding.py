"""The one rendering of a finding (alembic_safe.report.finding): the text every front end prints,
the compact form of annotations, and the fix as JSON data."""

from __future__ import annotations

import ast
import json
from dataclasses import replace

from alembic_safe.analysis import Analyzer
from alembic_safe.analysis.facts import AnalysisContext
from alembic_safe.checking import Checker
from alembic_safe.config import Settings
from alembic_safe.findings import Finding
from alembic_safe.fix import ops, sql
from alembic_safe.report.finding import compact, fix_data, opt_out, render, safe_way


def _finding(text: str, code: str, path: str | None = "m.sql") -> Finding:
    context = AnalysisContext(pg_version=15, in_transaction=True, lock_timeout_managed=True)
    checker = Checker(Settings(pg_version=15), context, path=path)
    (finding,) = [f for stmt in Analyzer(context).feed(text) for f in checker.check(stmt)
                  if f.rule == code]
    return finding


def test_a_finding_with_a_fix_shows_words_sql_and_op_code_once() -> None:
    finding = _finding('CREATE UNIQUE INDEX "Ix" ON "Bill"."Cl""aims" (number)', "AS101")
    assert render(finding, "m.sql:3") == "\n".join([
        'm.sql:3: AS101 create-index-not-concurrent CREATE UNIQUE INDEX Ix on Bill.Cl"aims '
        "takes a SHARE lock that blocks all writes to the table until the build ends",
        '  statement: CREATE UNIQUE INDEX "Ix" ON "Bill"."Cl""aims" (number)',
        "  help: Build the index concurrently, outside a transaction: writes go on while it "
        "builds",
        "    SQL:",
        "      -- outside a transaction block (after COMMIT; in Alembic: autocommit_block())",
        "      -- pre-flight check before Ix: must find no row",
        '      SELECT number, count(*) FROM "Bill"."Cl""aims" WHERE number IS NOT NULL GROUP BY '
        "number HAVING count(*) > 1 LIMIT 5;",
        '      CREATE UNIQUE INDEX CONCURRENTLY "Ix" ON "Bill"."Cl""aims" (number);',
        "    Alembic:",
        "      with op.get_context().autocommit_block():",
        '          op.preflight_unique(\'Cl"aims\', ["number"], schema="Bill", protects="Ix")',
        '          op.create_index("Ix", \'Cl"aims\', ["number"], unique=True, schema="Bill", '
        "postgresql_concurrently=True)",
        "  opt out: -- alembic-safe: allow AS101 because <why it is safe here>  (a comment on "
        "the statement)",
    ])
    ast.parse(ops.render(finding.fix))  # type: ignore[arg-type]


def test_a_finding_without_a_fix_shows_its_words() -> None:
    finding = _finding("ALTER TABLE claims DROP COLUMN legacy", "AS502", path="m.py")
    assert finding.fix is None
    text = render(finding, "m.py:9")
    assert "\n  help: Remove legacy from the model and deploy first" in text
    assert "SQL:" not in text and "Alembic:" not in text
    assert text.endswith('  opt out: with alembic_safe.allow("AS502", reason="<why it is safe '
                         'here>"): around the op')


def test_compact_form_speaks_the_language_of_the_file() -> None:
    sql_file = _finding("ALTER TABLE claims ALTER COLUMN region SET NOT NULL", "AS206")
    py_file = replace(sql_file, path="versions/0002.py")
    assert sql_file.fix is not None
    assert compact(sql_file).endswith(sql.render(sql_file.fix, brief=True))
    assert compact(py_file).endswith(ops.render(sql_file.fix))
    assert compact(sql_file).startswith(sql_file.message + "\nhelp: Prove the column")


def test_fix_as_data_lists_each_step_with_its_sql_and_op_code() -> None:
    finding = _finding("ALTER TABLE claims ADD COLUMN region text NOT NULL", "AS201")
    assert finding.fix is not None
    data = json.loads(json.dumps(fix_data(finding.fix)))
    assert [s["kind"] for s in data["steps"]] == ["add-column"]
    assert [s["kind"] for s in data["later"]] == [
        "add-constraint", "preflight", "validate-constraint", "set-not-null", "drop-constraint"]
    assert [s["transactional"] for s in data["later"]] == [True, False, False, True, True]
    assert data["steps"][0] == {"kind": "add-column", "transactional": True,
                                "sql": "ALTER TABLE claims ADD COLUMN region text",
                                "op": 'op.execute("ALTER TABLE claims ADD COLUMN region text")'}
    assert data["sql"] == sql.render(finding.fix) and data["op"] == ops.render(finding.fix)
    assert data["alternative"] is False and data["summary"] == finding.fix.summary
    raw = _finding("ALTER TABLE claims ADD COLUMN note text; DELETE FROM claims "
                   "WHERE note = 'x'", "AS601")
    assert raw.fix is not None and fix_data(raw.fix)["steps"][0]["kind"] == "raw-sql"


def test_help_of_json_is_the_whole_safe_way() -> None:
    finding = _finding("REFRESH MATERIALIZED VIEW claim_totals", "AS407")
    assert safe_way(finding).splitlines() == [
        finding.advice, "SQL:", "  REFRESH MATERIALIZED VIEW CONCURRENTLY claim_totals;",
        "Alembic:", '  op.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY claim_totals")']


def test_input_findings_have_no_opt_out() -> None:
    finding = _finding("-- alembic-safe: allow AS101\nCREATE INDEX ix ON claims (a)", "AS002")
    assert opt_out(finding) is None
    assert "opt out" not in render(finding, "m.sql:1")
