"""A fresh install: a run that starts with no applied revision on a database without tables.

Nothing there can be locked out, rewritten slowly or lost: every table the run touches is one
it created. The guard then refuses only what fails whatever the data (see
:attr:`~alembic_safe.rules.base.Category.fails_regardless`). Alembic's version table and
alembic-safe's backfill progress table do not count, nor do tables that belong to an
extension (PostGIS's ``spatial_ref_sys``) or the system schemas.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from alembic_safe.batched_backfill import PROGRESS_TABLE

#: tables, partitioned tables, materialized views and foreign tables outside the system
#: schemas (pg_catalog, information_schema, pg_toast, pg_temp_N) and not an extension's
_TABLES = text("""
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'f')
  AND n.nspname <> 'information_schema' AND left(n.nspname, 3) <> 'pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                    AND d.deptype = 'e')
LIMIT 10
""")

ANNOUNCEMENT = ("fresh install: the database has no applied revision and no tables, so only "
                "statements that fail whatever the data are refused (lock, rewrite and "
                "data-loss findings are allowed for this run)")


def is_fresh_install(connection: Connection, heads: tuple[str, ...], version_table: str,
                     version_schema: str | None) -> bool:
    """No applied revision (``heads`` empty) and no table but the bookkeeping ones."""
    if heads:
        return False
    for schema, name in connection.execute(_TABLES):
        version = name == version_table and version_schema in (None, schema)
        if not version and name != PROGRESS_TABLE:
            return False
    return True
