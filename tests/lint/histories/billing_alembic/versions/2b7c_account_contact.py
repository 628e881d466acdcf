"""longer e-mail, contact columns

Revision ID: 2b7c
Revises: 4e1f
"""
import sqlalchemy as sa
from alembic import op

revision = "2b7c"
down_revision = "4e1f"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("phone", sa.Text()))
    op.add_column("accounts", sa.Column("country", sa.Text()))
    op.alter_column("accounts", "email", type_=sa.String(255))
    op.create_index("ix_accounts_country", "accounts", ["country"])


def downgrade() -> None:
    op.drop_index("ix_accounts_country", table_name="accounts")
    op.drop_column("accounts", "country")
    op.drop_column("accounts", "phone")
