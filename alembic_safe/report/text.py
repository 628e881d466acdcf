"""The text report: ``path:line:col: CODE slug message``, a help line, opt-outs, a summary."""

from __future__ import annotations

from alembic_safe.lint.runner import LintResult
from alembic_safe.rules.base import Severity


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
    lines: list[str] = []
    for f in result.findings:
        if f.allowed_by is None:
            lines.append(f"{f.path}:{f.line}:{f.column}: {f.rule} {f.name} {f.message}")
            help_lines = f.help.splitlines() or [""]
            lines.append(f"  help: {help_lines[0]}")
            lines += [f"        {line}" for line in help_lines[1:]]
    allowed = [f for f in result.findings if f.allowed_by is not None]
    for f in allowed:
        assert f.allowed_by is not None
        lines.append(f"{f.path}:{f.line}: allowed {f.rule} {f.name}: {f.allowed_by.reason}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"
