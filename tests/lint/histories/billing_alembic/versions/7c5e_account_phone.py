"""every account has a phone number

Revision ID: 7c5e
Revises: 9a3d
"""
import sqlalchemy as sa
from alembic import op

revision = "7c5e"
down_revision = "9a3d"


def upgrade() -> None:
    op.execute("UPDATE accounts SET phone = '' WHERE phone IS NULL")
    op.alter_column("accounts", "phone", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    op.alter_column("accounts", "phone", existing_type=sa.Text(), nullable=True)
