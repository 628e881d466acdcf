"""One rendering of a finding: ``alembic-safe lint``, the runtime guard's refusal of ``alembic
upgrade`` and ``alembic check`` print the same finding the same way (rule, message, statement,
the safe way in words, as SQL and as op code, how to opt out), through the real commands on a
real PostgreSQL server; only where it is differs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest
from check_project import ENV_CONFIGURE, Project, make_project
from sqlalchemy.engine import make_url

UNSAFE = '''\
"""a volatile default and an index"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("claims", sa.Column("token", sa.Uuid(),
                                      server_default=sa.text("gen_random_uuid()")))
    op.create_index("ix_claims_status", "claims", ["status"])


def downgrade():
    pass
'''
_HEADER = re.compile(r"^(?P<where>\S+:\d+(:\d+)?): (?P<rule>AS\d{3} .*)$")


def _blocks(text: str) -> dict[str, list[str]]:
    """Each finding's lines by its rule and message, without its place (``path:line:``)."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        line = line.removeprefix("warning: revision 0002: ")
        header = _HEADER.match(line)
        if header is not None:
            current = blocks.setdefault(header["rule"], [])
        elif current is not None and line.startswith("  "):
            current.append(line)
        else:
            current = None
    return blocks


def _run(project: Project, *args: str) -> str:
    result: subprocess.CompletedProcess[str] = project.python(*args)
    text = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in text, text
    return text


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> Project:
    made = make_project(tmp_path / "app", pg_url, ENV_CONFIGURE)
    result = made.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    with psycopg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as conn:
        conn.execute("INSERT INTO claims (status) SELECT 'open' FROM generate_series(1, 10)")
    made.migration("0002_index", UNSAFE)
    return made


def test_lint_guard_and_check_print_a_finding_alike(project: Project) -> None:
    lint = _blocks(_run(project, "-m", "alembic_safe.cli.main", "lint", "migrations/versions"))
    guard = _blocks(_run(project, "-m", "alembic", "upgrade", "head"))
    check = _blocks(_run(project, "-m", "alembic", "check"))
    errors = {rule for rule in lint if rule[:5] in ("AS101", "AS202")}
    assert len(errors) == 2 and errors <= guard.keys() and errors <= check.keys()
    for rule in errors:
        assert lint[rule] == guard[rule] == check[rule], rule
    (index,) = [rule for rule in lint if rule.startswith("AS101")]
    lines = "\n".join(lint[index])
    assert "  help: Build the index concurrently" in lines
    assert "    SQL:\n      -- outside a transaction block" in lines
    assert "CREATE INDEX CONCURRENTLY ix_claims_status ON claims (status);" in lines
    assert ("    Alembic:\n      with op.get_context().autocommit_block():\n"
            '          op.create_index("ix_claims_status", "claims", ["status"], '
            "postgresql_concurrently=True)") in lines
    assert lines.endswith('  opt out: with alembic_safe.allow("AS101", reason="<why it is '
                          'safe here>"): around the op')
