"""``backfill()`` inside a real Alembic migration's autocommit block (alembic CLI, PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, text

ENV_PY = """\
import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["DATABASE_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
"""

MIGRATION = '''\
import sqlalchemy as sa
from alembic import op

from alembic_safe import backfill

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("claims", sa.Column("status_code", sa.Text()))
    with op.get_context().autocommit_block():
        backfill(
            op.get_bind(), table="claims", set="status_code = upper(status)",
            where="status_code IS NULL", batch_size={batch_size}, name="claims-status-code",
            progress=lambda p: print(f"backfilled {{p.rows}} rows", flush=True),
        )
        {fail}


def downgrade():
    op.drop_column("claims", "status_code")
'''

INITIAL = """\
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.execute("CREATE TABLE claims (id bigint PRIMARY KEY, status text NOT NULL)")
    op.execute("INSERT INTO claims SELECT g, 'open' FROM generate_series(1, 25) g")


def downgrade():
    op.execute("DROP TABLE claims")
"""

VERSION = "SELECT version_num FROM alembic_version"


def alembic(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "alembic", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_backfill_in_autocommit_block_commits_batches_and_resumes(
    tmp_path: Path, pg_url: str, pg_engine: Engine
) -> None:
    (tmp_path / "migrations/versions").mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (tmp_path / "migrations/env.py").write_text(ENV_PY)
    (tmp_path / "migrations/versions/0001.py").write_text(INITIAL)
    second = tmp_path / "migrations/versions/0002.py"
    # first attempt: the backfill commits its batches, then the migration fails after it
    second.write_text(MIGRATION.format(batch_size=10, fail='raise RuntimeError("deploy cut")'))
    failed = alembic(tmp_path, pg_url, "upgrade", "head")
    assert failed.returncode != 0
    assert "backfilled 25 rows" in failed.stdout
    with pg_engine.connect() as connection:
        assert connection.execute(text(VERSION)).scalar() == "0001"
        done = "SELECT count(*) FROM claims WHERE status_code = 'OPEN'"
        assert connection.execute(text(done)).scalar() == 25
    # the column stays (autocommit_block committed it): make the add idempotent and rerun
    second.write_text(
        MIGRATION.format(batch_size=10, fail="")
        .replace('op.add_column("claims", sa.Column("status_code", sa.Text()))',
                 'op.execute("ALTER TABLE claims ADD COLUMN IF NOT EXISTS status_code text")')
    )
    rerun = alembic(tmp_path, pg_url, "upgrade", "head")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "backfilled" not in rerun.stdout  # finished earlier: the rerun is a no-op
    with pg_engine.connect() as connection:
        assert connection.execute(text(VERSION)).scalar() == "0002"
        row = connection.execute(text(
            "SELECT batches, updated_rows, finished_at IS NOT NULL "
            "FROM alembic_safe_backfill_progress WHERE name = 'claims-status-code'"
        )).one()
    assert tuple(row) == (3, 25, True)
