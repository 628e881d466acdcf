"""Helpers of the lint tests: a CLI run's result and an Alembic script template."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data

    def codes(self) -> list[str]:
        return [f["rule"] for f in self.json()["findings"]]


def migration(body: str, *, header: str = "", downgrade: str = "pass") -> str:
    """An Alembic revision script whose upgrade() is ``body`` (lines count from line 8)."""
    return (
        "import sqlalchemy as sa\n"              # 1
        "from alembic import op\n"               # 2
        f"{header or '# no header'}\n"           # 3
        'revision = "0002"\n'                    # 4
        'down_revision = "0001"\n'               # 5
        "\n"                                     # 6
        "def upgrade():\n"                       # 7
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"  # 8...
        + "\n\ndef downgrade():\n"
        + textwrap.indent(textwrap.dedent(downgrade).strip("\n"), "    ") + "\n"
    )
