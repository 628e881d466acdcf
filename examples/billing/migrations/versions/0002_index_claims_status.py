"""Index claims by status for the work queues (built without blocking writes).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-09 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CREATE INDEX CONCURRENTLY cannot run in a transaction block: the autocommit
    # block commits the migration's transaction first and runs the build on its own.
    with op.get_context().autocommit_block():
        op.create_index("ix_claims_status", "claims", ["status"],
                        postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_claims_status", table_name="claims",
                      postgresql_concurrently=True)
