"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding, its
message the finding's compact form (:func:`alembic_safe.report.finding.compact`).

Escaping follows the Actions toolkit: in the message ``%``, ``\\r`` and ``\\n``; in property
values also ``:`` and ``,``.
"""

from __future__ import annotations

from alembic_safe.lint.runner import LintResult
from alembic_safe.report.finding import compact
from alembic_safe.report.text import summary_line


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(result: LintResult) -> str:
    lines = [script_error_annotation(p.path, p.line, p.problem) for p in result.problems]
    for f in result.findings:
        path = escape_property(f.path or "")
        if f.allowed_by is None:
            title = escape_property(f"{f.rule} {f.name}")
            message = escape_data(compact(f))
            lines.append(f"::{f.severity.value} file={path},line={f.line},col={f.column},"
                         f"title={title}::{message}")
        else:
            title = escape_property(f"allowed {f.rule} {f.name}")
            lines.append(f"::notice file={path},line={f.line},title={title}::"
                         f"{escape_data(f.allowed_by.reason)}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def script_error_annotation(path: str, line: int | None, problem: str) -> str:
    """An ``::error`` annotation for a file that could not be linted."""
    where = f"file={escape_property(path)}" + (f",line={line}" if line is not None else "")
    return f"::error {where},title=alembic-safe cannot lint this file::{escape_data(problem)}"
