"""Initial schema: clinics, patients, payers, claims and their line items.

Revision ID: 0001
Revises:
Create Date: 2026-11-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Reasoned opt-outs of alembic-safe for this migration: its downgrade drops everything.
alembic_safe_allow = {
    "drop-table": "downgrade of the initial schema: only run on development databases",
    "drop-type": "downgrade of the initial schema: the tables using claim_status are dropped first",
}

claim_status = sa.Enum("draft", "submitted", "accepted", "denied", "paid", name="claim_status")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("npi", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("npi", name=op.f("uq_accounts_npi")),
    )
    op.create_table(
        "payers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("payer_code", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payers")),
        sa.UniqueConstraint("payer_code", name=op.f("uq_payers_payer_code")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("member_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_patients_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    op.create_index(op.f("ix_patients_account_id"), "patients", ["account_id"])
    op.create_table(
        "claims",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("patient_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", claim_status, server_default="draft", nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), server_default="0",
                  nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_claims_account_id_accounts")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_claims_patient_id_patients")),
        sa.ForeignKeyConstraint(["payer_id"], ["payers.id"],
                                name=op.f("fk_claims_payer_id_payers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_index(op.f("ix_claims_account_id"), "claims", ["account_id"])
    op.create_index(op.f("ix_claims_patient_id"), "claims", ["patient_id"])
    op.create_index(op.f("ix_claims_payer_id"), "claims", ["payer_id"])
    op.create_table(
        "claim_line_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("claim_id", sa.BigInteger(), nullable=False),
        sa.Column("cpt_code", sa.Text(), nullable=False),
        sa.Column("units", sa.Integer(), server_default="1", nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("units > 0", name=op.f("ck_claim_line_items_units_positive")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], ondelete="CASCADE",
                                name=op.f("fk_claim_line_items_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_line_items")),
    )
    op.create_index(op.f("ix_claim_line_items_claim_id"), "claim_line_items", ["claim_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it.
    op.drop_table("claim_line_items")
    op.drop_table("claims")
    op.drop_table("patients")
    op.drop_table("payers")
    op.drop_table("accounts")
    op.execute("DROP TYPE claim_status")
