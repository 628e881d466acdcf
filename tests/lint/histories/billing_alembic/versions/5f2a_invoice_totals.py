"""invoice totals

Revision ID: 5f2a
Revises: 1d9b
"""
from alembic import op

revision = "5f2a"
down_revision = "1d9b"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '3s'")
    op.execute(
        """
        DO $$
        BEGIN
            EXECUTE 'CREATE INDEX ix_accounts_status ON accounts (status)';
        END $$
        """
    )
    op.execute("SELECT recompute_account_totals()")


def downgrade() -> None:
    op.drop_index("ix_accounts_status", table_name="accounts")
