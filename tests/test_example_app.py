"""The example billing app on a real PostgreSQL: upgrade, schema == models, check, downgrade."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

from alembic_safe.demo_catalog import seed_claims, seed_untrimmed_payers, untrimmed_payers

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "billing"
TABLES = ["accounts", "alembic_version", "claim_line_items", "claims", "patients", "payers"]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A private copy of the example app (Python caches and test edits stay out of the repo)."""
    copy = tmp_path / "billing"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="module")
def target_metadata() -> Iterator[MetaData]:
    sys.path.insert(0, str(EXAMPLE))
    try:
        from billing.models import Base

        yield Base.metadata
    finally:
        sys.path.remove(str(EXAMPLE))


def alembic(app: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=app, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )


def upgrade_ok(app: Path, url: str, target: str = "head") -> None:
    result = alembic(app, url, "upgrade", target)
    assert result.returncode == 0, result.stdout + result.stderr


def scalars(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params).scalars())
    finally:
        engine.dispose()


def test_upgrade_head_builds_the_schema(app: Path, pg_url: str) -> None:
    upgrade_ok(app, pg_url)
    assert scalars(pg_url, "SELECT version_num FROM alembic_version") == ["0002"]
    assert scalars(
        pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ) == TABLES
    assert scalars(
        pg_url,
        "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
        " WHERE t.typname = 'claim_status' ORDER BY e.enumsortorder",
    ) == ["draft", "submitted", "accepted", "denied", "paid"]
    # the index of 0002 was built concurrently and is valid
    assert scalars(
        pg_url,
        "SELECT x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE i.relname = 'ix_claims_status'",
    ) == [True]


def test_schema_matches_the_models(app: Path, pg_url: str, target_metadata: MetaData) -> None:
    upgrade_ok(app, pg_url)
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, target_metadata) == []
    finally:
        engine.dispose()
    check = alembic(app, pg_url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def test_check_reports_a_missing_migration(app: Path, pg_url: str) -> None:
    (app / "migrations" / "versions" / "0002_index_claims_status.py").unlink()
    upgrade_ok(app, pg_url)  # to 0001: the models have ix_claims_status, the migrations not
    check = alembic(app, pg_url, "check")
    assert check.returncode != 0
    assert "ix_claims_status" in check.stdout + check.stderr


def test_downgrade_base_removes_everything(app: Path, pg_url: str) -> None:
    upgrade_ok(app, pg_url)
    result = alembic(app, pg_url, "downgrade", "base")
    assert result.returncode == 0, result.stdout + result.stderr
    assert scalars(
        pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    ) == ["alembic_version"]
    assert scalars(pg_url, "SELECT count(*) FROM alembic_version") == [0]
    assert scalars(pg_url, "SELECT count(*) FROM pg_type WHERE typname = 'claim_status'") == [0]
    upgrade_ok(app, pg_url)  # and back up again
    assert scalars(pg_url, "SELECT version_num FROM alembic_version") == ["0002"]


def test_plain_postgresql_url_is_accepted(app: Path, pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    upgrade_ok(app, "postgresql://" + pg_url.removeprefix("postgresql+psycopg://"))
    assert scalars(pg_url, "SELECT version_num FROM alembic_version") == ["0002"]


def test_missing_database_url_is_one_clear_line(app: Path) -> None:
    result = alembic(app, None, "upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "DATABASE_URL" in line]
    assert lines == [
        "DATABASE_URL is not set: set it to the database to migrate, "
        "e.g. DATABASE_URL=postgresql://user@localhost/billing"
    ]


def test_offline_sql_needs_no_database(app: Path) -> None:
    result = alembic(app, None, "upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert "CREATE TYPE claim_status AS ENUM" in result.stdout
    assert "CREATE TABLE claim_line_items" in result.stdout
    assert "CREATE INDEX CONCURRENTLY ix_claims_status ON claims (status)" in result.stdout


def test_unsafe_example_is_refused_and_fixed_one_applies(app: Path, pg_url: str) -> None:
    upgrade_ok(app, pg_url)
    seed_claims(pg_url, 50)  # on empty tables the guard allows the plain CREATE INDEX
    target = app / "migrations" / "versions" / "0003_add_index.py"
    shutil.copy(app / "unsafe_examples" / "add_index_unsafe.py", target)
    refused = alembic(app, pg_url, "upgrade", "head")
    assert refused.returncode != 0
    assert "AS101" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert scalars(pg_url, "SELECT version_num FROM alembic_version") == ["0002"]
    index = "SELECT count(*) FROM pg_class WHERE relname = 'ix_claim_line_items_cpt_code'"
    assert scalars(pg_url, index) == [0]

    shutil.copy(app / "unsafe_examples" / "add_index_fixed.py", target)
    upgrade_ok(app, pg_url)
    assert scalars(pg_url, "SELECT version_num FROM alembic_version") == ["0003"]
    assert scalars(pg_url, index) == [1]


def test_backfill_example_lints_checks_and_runs_from_sql(app: Path, pg_url: str) -> None:
    """The documented backfill: lint and `alembic check` render it, `alembic upgrade --sql`
    writes batches that the real psql runs."""
    upgrade_ok(app, pg_url)
    seed_untrimmed_payers(pg_url, 1200)
    shutil.copy(app / "unsafe_examples" / "trim_payer_names_fixed.py",
                app / "migrations" / "versions" / "0003_trim_payer_names.py")
    lint = subprocess.run([str(Path(sys.executable).with_name("alembic-safe")), "lint",
                           "migrations/versions"], cwd=app, capture_output=True, text=True,
                          timeout=300, check=False)
    assert (lint.returncode, lint.stderr) == (0, ""), lint.stdout
    pending = alembic(app, pg_url, "check")
    assert "alembic-safe: linted 1 migration(s) (pending): 0 error(s)" in pending.stderr
    assert "Target database is not up to date" in pending.stdout  # Alembic's own, pending
    script = alembic(app, None, "upgrade", "0002:0003", "--sql")
    assert script.returncode == 0, script.stderr
    assert "names trimmed" not in script.stdout  # the example prints only when it ran
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    run = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn],
                         input=script.stdout, capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert "finished, 1200 rows in 3 batches" in run.stderr
    assert untrimmed_payers(pg_url) == 0
    assert scalars(pg_url, "SELECT version_num FROM alembic_version") == ["0003"]
    with (app / "pyproject.toml").open("a") as settings:
        settings.write('baseline = "0002"\n')
    check = alembic(app, pg_url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "linted 1 migration(s) (after baseline 0002): 0 error(s)" in check.stderr
