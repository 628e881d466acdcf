"""Lint's report formats, by the name ``--format`` takes."""

from __future__ import annotations

from alembic_safe.report.github import github_report
from alembic_safe.report.json_report import json_report
from alembic_safe.report.text import text_report

FORMATS = {"text": text_report, "json": json_report, "github": github_report}
