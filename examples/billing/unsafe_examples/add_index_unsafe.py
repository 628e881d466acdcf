"""Index line items by procedure code: the UNSAFE way (for the demo; not in versions/).

A plain CREATE INDEX holds a SHARE lock on claim_line_items for the whole build:
every INSERT/UPDATE/DELETE of line items waits until the index is built.
alembic-safe refuses it; add_index_fixed.py is the safe version.

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
    op.create_index("ix_claim_line_items_cpt_code", "claim_line_items", ["cpt_code"])


def downgrade() -> None:
    op.drop_index("ix_claim_line_items_cpt_code", table_name="claim_line_items")
