"""import batches

Revision ID: 1d9b
Revises: 7c5e
"""
import sqlalchemy as sa
from alembic import op

revision = "1d9b"
down_revision = "7c5e"


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("legacy", sa.Text()),
        sa.Column("ref", sa.Text()),
    )
    op.drop_column("import_batches", "legacy")
    op.alter_column("import_batches", "ref", new_column_name="reference")


def downgrade() -> None:
    op.drop_table("import_batches")
