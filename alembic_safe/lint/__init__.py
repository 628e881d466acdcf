"""``alembic-safe lint``: .sql files and Alembic migration scripts through analyzer and checker."""

from alembic_safe.lint.changed import changed_files
from alembic_safe.lint.discover import collect, is_migration_script
from alembic_safe.lint.runner import LintResult, display_path, lint_files, lint_paths

__all__ = [
    "LintResult",
    "changed_files",
    "collect",
    "display_path",
    "is_migration_script",
    "lint_files",
    "lint_paths",
]
