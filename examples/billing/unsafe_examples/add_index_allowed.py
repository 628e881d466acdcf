"""Index payers by name: a plain CREATE INDEX, allowed with a reason (for the demo).

``payers`` is a reference table of a few dozen insurers: the SHARE lock of a plain
CREATE INDEX lasts milliseconds there, so the migration opts out of AS101 and says why.
The guard prints the opt-out and its reason each time it is used.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

import alembic_safe

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with alembic_safe.allow("AS101", reason="payers is a reference table of a few dozen rows"):
        op.create_index("ix_payers_name", "payers", ["name"])


def downgrade() -> None:
    with alembic_safe.allow("AS102", reason="payers is a reference table of a few dozen rows"):
        op.drop_index("ix_payers_name", table_name="payers")
