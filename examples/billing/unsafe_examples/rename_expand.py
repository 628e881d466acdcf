"""Rename payers.name to display_name without downtime, step 1 of 2 (expand).

Deployed together with the application version that reads and writes ``display_name``; the
version still running writes ``name``. A trigger keeps the two columns equal whichever one a
statement writes, and the existing rows are copied in batches. ``rename_contract.py`` drops
``name`` once no running version uses it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alembic_safe

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNC = """
CREATE FUNCTION payers_display_name_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.display_name := coalesce(NEW.display_name, NEW.name);
        NEW.name := coalesce(NEW.name, NEW.display_name);
    ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
        NEW.display_name := NEW.name;
    ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN
        NEW.name := NEW.display_name;
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.execute(SYNC)
    op.execute("CREATE TRIGGER payers_display_name_sync BEFORE INSERT OR UPDATE ON payers "
               "FOR EACH ROW EXECUTE FUNCTION payers_display_name_sync()")
    op.add_column("payers", sa.Column("display_name", sa.Text(), nullable=True))
    with op.get_context().autocommit_block():
        alembic_safe.backfill(op.get_bind(), table="payers", set="display_name = name",
                              where="display_name IS NULL")


def downgrade() -> None:
    op.execute("DROP TRIGGER payers_display_name_sync ON payers")
    op.execute("DROP FUNCTION payers_display_name_sync()")
    with alembic_safe.allow("drop-column", reason="display_name is a copy of name"):
        op.drop_column("payers", "display_name")
