"""The JSON report: ``{"findings": [...], "allowed": [...], "files": N, "statements": N,
"errors": [...]}`` (``errors``: the files that could not be linted).

A finding's ``help`` is the safe way as the text report shows it (words, SQL, op code); its
``fix`` is the same safe way as data (:func:`alembic_safe.report.finding.fix_data`), or null
when the rule has none."""

from __future__ import annotations

import json
from typing import Any

from alembic_safe.findings import Finding
from alembic_safe.lint.runner import LintResult
from alembic_safe.report.finding import fix_data, safe_way


def _finding(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "name": f.name, "severity": f.severity.value, "path": f.path,
            "line": f.line, "column": f.column, "statement": f.statement,
            "message": f.message, "help": safe_way(f),
            "fix": fix_data(f.fix) if f.fix is not None else None}


def json_report(result: LintResult) -> str:
    allowed = []
    for f in result.findings:
        if f.allowed_by is not None:
            allowed.append({**_finding(f), "reason": f.allowed_by.reason,
                            "source": f.allowed_by.source})
    document = {
        "findings": [_finding(f) for f in result.findings if f.allowed_by is None],
        "allowed": allowed,
        "files": result.files,
        "statements": result.statements,
        "errors": [{"path": p.path, "line": p.line, "message": p.problem}
                   for p in result.problems],
    }
    # one line: json's C encoder (indent= would fall back to the pure-Python one, which took a
    # third of the run time of a 20,000-statement lint)
    return json.dumps(document, ensure_ascii=False) + "\n"
