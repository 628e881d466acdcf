"""Index line items by procedure code: the safe way (for the demo; not in versions/).

CREATE INDEX CONCURRENTLY builds the index without blocking writes; it cannot run
in a transaction block, so it runs inside ``autocommit_block()``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-16 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_claim_line_items_cpt_code", "claim_line_items", ["cpt_code"],
                        postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_claim_line_items_cpt_code", table_name="claim_line_items",
                      postgresql_concurrently=True)
