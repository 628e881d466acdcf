"""``alembic check`` with alembic-safe, through the real alembic CLI on a real PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

from check_project import ENV_CONFIGURE, SAFE_INDEX, UNSAFE_INDEX, Project, make_project

CLEAN = "No new upgrade operations detected."


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, output(result)


def assert_failed(result: subprocess.CompletedProcess[str]) -> str:
    text = output(result)
    assert result.returncode != 0, text
    assert "Traceback" not in text
    return text


def test_clean_project_passes_and_calls_the_user_hook(project: Project) -> None:
    assert_ok(project.alembic("upgrade", "head"))
    result = project.alembic("check")
    assert_ok(result)
    assert CLEAN in output(result)
    assert "user hook called" in result.stdout
    assert "alembic-safe: linted 0 migration(s) (pending): 0 error(s)" in result.stderr


def test_model_drift_fails_with_alembics_message(project: Project) -> None:
    assert_ok(project.alembic("upgrade", "head"))
    project.models(extra="    payer: Mapped[str | None] = mapped_column(Text)\n")
    text = assert_failed(project.alembic("check"))
    assert "New upgrade operations detected" in text
    assert "'add_column'" in text and "payer" in text


def test_unsafe_pending_migration_fails_with_file_line_and_rule(project: Project) -> None:
    assert_ok(project.alembic("upgrade", "head"))
    project.models(index=True)
    path = project.migration("0002_index", UNSAFE_INDEX, revision="0002", down="0001")
    text = assert_failed(project.alembic("check"))
    line = path.read_text().splitlines().index(
        '    op.create_index("ix_claims_status", "claims", ["status"])'
    ) + 1
    assert f"migrations/versions/0002_index.py:{line}: AS101 create-index-not-concurrent" in text
    assert text.count("AS101 create-index-not-concurrent") == 1  # the report once
    assert "FAILED: alembic-safe check failed: 1 error finding(s) in the migrations checked" in text
    assert "help:" in text and "CONCURRENTLY" in text
    # Alembic could not compare models against a database that is not up to date: said so
    assert "Target database is not up to date." in text


def test_applied_migration_is_checked_only_after_the_baseline(project: Project) -> None:
    project.models(index=True)
    project.migration("0002_index", UNSAFE_INDEX, revision="0002", down="0001")
    assert_ok(project.alembic("upgrade", "head"))
    # applied, no baseline: history is trusted
    assert CLEAN in output(project.alembic("check"))
    # a baseline before it: checked even though applied
    project.settings(baseline="0001")
    text = assert_failed(project.alembic("check"))
    assert "0002_index.py" in text and "AS101" in text
    assert "0001_claims.py" not in text
    assert "alembic-safe: linted 1 migration(s) (after baseline 0001): 1 error(s)" in text
    # the baseline moved past it: passes again
    project.settings(baseline="0002")
    result = project.alembic("check")
    assert_ok(result)
    assert CLEAN in output(result)


def test_fixed_migration_passes_once_applied(project: Project) -> None:
    assert_ok(project.alembic("upgrade", "head"))
    project.models(index=True)
    project.migration("0002_index", SAFE_INDEX, revision="0002", down="0001")
    pending = assert_failed(project.alembic("check"))
    assert "AS1" not in pending  # the safe form has no finding ...
    assert "Target database is not up to date." in pending  # ... alembic still wants it applied
    assert_ok(project.alembic("upgrade", "head"))
    project.settings(baseline="0001")  # even when checked as new work, it is clean
    result = project.alembic("check")
    assert_ok(result)
    assert CLEAN in output(result)


def test_multiple_heads_fail_with_the_merge_command(project: Project) -> None:
    assert_ok(project.alembic("upgrade", "head"))
    project.models(index=True)
    project.migration("0002_a", SAFE_INDEX, revision="0002a", down="0001")
    project.migration("0002_b", '''\
        """noop"""
        revision = "0002b"
        down_revision = "0001"

        def upgrade():
            pass

        def downgrade():
            pass
        ''')
    assert_ok(project.alembic("upgrade", "heads"))
    text = assert_failed(project.alembic("check"))
    assert "multiple heads: 0002a, 0002b" in text
    assert 'alembic merge -m "merge heads" 0002a 0002b' in text


def test_bad_baseline_is_one_clear_line(project: Project) -> None:
    assert_ok(project.alembic("upgrade", "head"))
    project.settings(baseline="nope")
    text = assert_failed(project.alembic("check"))
    assert "baseline = 'nope' (alembic-safe settings) is not a revision of" in text


def test_revision_autogenerate_is_untouched(project: Project) -> None:
    project.models(index=True)
    project.migration("0002_index", UNSAFE_INDEX, revision="0002", down="0001")
    assert_ok(project.alembic("upgrade", "head"))
    project.settings(baseline="0001")
    assert_failed(project.alembic("check"))
    project.models(index=True, extra="    payer: Mapped[str | None] = mapped_column(Text)\n")
    result = project.alembic("revision", "--autogenerate", "-m", "payer", "--rev-id", "0003")
    assert_ok(result)
    assert "AS101" not in output(result)
    assert "user hook called" in result.stdout
    assert "add_column" in (project.root / "migrations/versions/0003_payer.py").read_text()


def test_check_from_python_is_recognised(project: Project) -> None:
    """``alembic.command.check(config)`` (no CLI options) gets the same check."""
    assert_ok(project.alembic("upgrade", "head"))
    project.migration("0002_a", SAFE_INDEX, revision="0002a", down="0001")
    project.migration("0002_b", SAFE_INDEX, revision="0002b", down="0001")
    script = (
        "from alembic import command\n"
        "from alembic.config import Config\n"
        "from alembic.util import CommandError\n"
        "try:\n"
        "    command.check(Config('alembic.ini'))\n"
        "except CommandError as exc:\n"
        "    print('refused:', exc)\n"
    )
    result = project.python(script)
    assert_ok(result)
    assert "refused: alembic-safe check failed: multiple heads: 0002a, 0002b; models were not " \
        "compared: Target database is not up to date (details above)" in result.stdout
    assert 'alembic merge -m "merge heads" 0002a 0002b' in result.stderr  # the report


def test_through_alembic_safe_configure(tmp_path: Path, pg_url: str) -> None:
    """env.py as users write it: ``alembic_safe.configure`` wires the same check."""
    project = make_project(tmp_path / "app", pg_url, ENV_CONFIGURE)
    assert_ok(project.alembic("upgrade", "head"))
    clean = project.alembic("check")
    assert_ok(clean)
    assert CLEAN in output(clean) and "user hook called" in clean.stdout
    project.models(index=True)
    project.migration("0002_index", UNSAFE_INDEX, revision="0002", down="0001")
    text = assert_failed(project.alembic("check"))
    assert "migrations/versions/0002_index.py:" in text
    assert "AS101 create-index-not-concurrent" in text


ENV_WITH_INCLUDE_NAME = ENV_CONFIGURE.replace(
    "        process_revision_directives=user_hook,\n",
    "        process_revision_directives=user_hook,\n"
    "        include_name=lambda name, type_, parents: name != 'legacy_audit',\n")


def test_backfill_progress_table_is_not_drift(tmp_path: Path, pg_url: str) -> None:
    project = make_project(tmp_path / "app", pg_url, ENV_WITH_INCLUDE_NAME)
    assert_ok(project.alembic("upgrade", "head"))
    assert_ok(project.python(
        "import os\nimport alembic_safe\n"
        "alembic_safe.backfill(os.environ['DATABASE_URL'], table='claims',\n"
        "                      set='status = status')\n"))
    # a table of the user's, hidden by the user's own include_name hook
    assert_ok(project.python(
        "import os, sqlalchemy as sa\n"
        "with sa.create_engine(os.environ['DATABASE_URL']).begin() as c:\n"
        "    c.exec_driver_sql('CREATE TABLE legacy_audit (id int)')\n"))
    result = project.alembic("check")
    assert_ok(result)
    assert CLEAN in output(result)
    # without the user's hook, their extra table is drift; the progress table still is not
    project.write("migrations/env.py", ENV_CONFIGURE)
    text = assert_failed(project.alembic("check"))
    assert "legacy_audit" in text
    assert "alembic_safe_backfill_progress" not in text
