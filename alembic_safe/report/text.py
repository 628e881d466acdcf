"""The text report: each finding as :func:`alembic_safe.report.finding.render` prints it (like
ruff: ``path:line:col: CODE slug message``, then the statement, the safe way and how to opt
out), the allowed findings, a summary."""

from __future__ import annotations

from alembic_safe.findings import Severity
from alembic_safe.lint.runner import LintResult
from alembic_safe.report.finding import render


def summary_line(result: LintResult) -> str:
    """``N errors, M warnings in F files (S statements)`` (allowed findings not counted), and
    how many files could not be linted, if any."""
    active = [f for f in result.findings if f.allowed_by is None]
    errors = sum(f.severity is Severity.ERROR for f in active)
    warnings = len(active) - errors
    unlinted = (f"; {len(result.problems)} of them could not be linted"
                if result.problems else "")
    return (f"{errors} errors, {warnings} warnings in {result.files} files "
            f"({result.statements} statements){unlinted}")


def text_report(result: LintResult) -> str:
    lines = [render(f, f"{f.path}:{f.line}:{f.column}")
             for f in result.findings if f.allowed_by is None]
    for f in result.findings:
        if f.allowed_by is not None:
            lines.append(f"{f.path}:{f.line}: allowed {f.rule} {f.name}: {f.allowed_by.reason}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"
