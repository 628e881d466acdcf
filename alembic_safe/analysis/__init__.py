"""The SQL analyzer: PostgreSQL's own parser (pglast) turns SQL into :mod:`facts`."""

from alembic_safe.analysis.analyzer import Analyzer, analyze

__all__ = ["Analyzer", "analyze"]
