"""Rename payers.name to display_name without downtime, step 2 of 2 (contract).

Deployed once every running version of the application reads and writes ``display_name``
only (the models no longer have ``name``): the trigger of ``rename_expand.py`` goes,
``display_name`` becomes NOT NULL the safe way (a CHECK added NOT VALID, validated without
blocking writes, then SET NOT NULL uses it), and ``name`` is dropped. There is no way back
but a new expand step: the downgrade says so.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alembic_safe

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP TRIGGER payers_display_name_sync ON payers")
    op.execute("DROP FUNCTION payers_display_name_sync()")
    # op.f(): the name as written, not run through the naming convention
    op.create_check_constraint(op.f("payers_display_name_not_null"), "payers",
                               "display_name IS NOT NULL", postgresql_not_valid=True)
    with op.get_context().autocommit_block():
        op.preflight_not_null("payers", "display_name",
                              protects="payers_display_name_not_null")
        op.validate_constraint("payers_display_name_not_null", "payers")
    op.alter_column("payers", "display_name", existing_type=sa.Text(), nullable=False)
    op.drop_constraint(op.f("payers_display_name_not_null"), "payers")
    with alembic_safe.allow("drop-column", reason="no running version uses payers.name since "
                            "the release that reads display_name"):
        op.drop_column("payers", "name")


def downgrade() -> None:
    raise RuntimeError("the contract step dropped payers.name; going back means a new expand "
                       "step from display_name")
