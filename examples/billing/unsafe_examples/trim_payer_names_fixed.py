"""Trim payer names in batches: alembic_safe.backfill (the safe way; for the demo).

Each batch of keys is updated and committed on its own, with its progress recorded, so
writers wait at most for one short batch and a failed run resumes where it stopped.
Batches commit one by one, so the backfill runs inside ``autocommit_block()``. Offline
(``alembic upgrade --sql``) it is written to the script as SQL that runs the same batches
when psql runs it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

import alembic_safe

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        result = alembic_safe.backfill(
            op.get_bind(), table="payers", set="name = btrim(name)",
            where="name <> btrim(name)", key="id", batch_size=500,
        )
    if not context.is_offline_mode():  # offline nothing has run yet: the SQL is the script
        print(f"payers: {result.rows} names trimmed in {result.batches} batches")


def downgrade() -> None:
    pass  # the old spacing is not worth restoring
