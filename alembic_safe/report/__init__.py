"""Lint reports: text (like ruff), JSON and GitHub Actions workflow commands."""

from alembic_safe.report.github import github_report
from alembic_safe.report.json_report import json_report
from alembic_safe.report.text import summary_line, text_report

FORMATS = {"text": text_report, "json": json_report, "github": github_report}

__all__ = ["FORMATS", "github_report", "json_report", "summary_line", "text_report"]
