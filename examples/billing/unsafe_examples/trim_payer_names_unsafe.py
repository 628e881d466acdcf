"""Trim payer names: one UPDATE of the whole table (the UNSAFE way; for the demo).

A single UPDATE holds a row lock on every payer until the migration commits, and rewrites
every row in one go; on a big table that is a long outage for writers (AS602).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE payers SET name = btrim(name)")


def downgrade() -> None:
    pass  # the old spacing is not worth restoring
