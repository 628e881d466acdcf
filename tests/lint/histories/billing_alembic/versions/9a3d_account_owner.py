"""account owner

Revision ID: 9a3d
Revises: 2b7c
"""
import sqlalchemy as sa
from alembic import op

revision = "9a3d"
down_revision = "2b7c"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("owner_id", sa.BigInteger()))
    op.create_foreign_key("fk_accounts_owner", "accounts", "users", ["owner_id"], ["id"],
                          postgresql_not_valid=True)


def downgrade() -> None:
    op.drop_constraint("fk_accounts_owner", "accounts", type_="foreignkey")
    op.drop_column("accounts", "owner_id")
