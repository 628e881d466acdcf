"""A history grown the way real apps grow, replayed through the guard with no opt-out.

From an empty database it applies (a fresh install). On a database whose tables hold rows, the
same unsafe revision is refused with every finding in one run, also when the database lags
several revisions behind; on one whose tables are empty it applies with a note per finding.
Every test runs under each supported driver (psycopg 3, psycopg2, asyncpg through Alembic's
async template and ``run_sync``), with the same outcome on each.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from histories import HERE, install
from runtime_project import DRIVERS, Project, make_project

#: revision 0007's error findings on tables with rows
REFUSED_0007 = ("AS206 set-not-null", "AS101 create-index-not-concurrent",
                "AS303 add-unique-without-index", "AS302 add-check-without-not-valid",
                "AS101 create-index-not-concurrent", "AS810 long-work-after-access-exclusive")
ROWS = ("INSERT INTO users (id, username, email, name, created_at) "
        "SELECT g, 'user' || g, 'u' || g || '@example.com', 'User ' || g, now() "
        "FROM generate_series(1, 200) g;"
        "INSERT INTO posts (id, user_id, title, body, created_at) "
        "SELECT g, 1 + mod(g, 200), 'Post ' || g, 'text', now() FROM generate_series(1, 500) g")


@pytest.fixture(params=DRIVERS)
def app(request: pytest.FixtureRequest, tmp_path: Path,
        pg_url: str) -> tuple[Project, list[str]]:
    """A project holding the growing_app history, on an empty database, with the env.py of
    each driver's users."""
    project = make_project(tmp_path, pg_url, str(request.param))
    return project, install("growing_app", project.root / "migrations" / "versions")


def test_the_history_has_no_opt_out() -> None:
    scripts = sorted((HERE / "growing_app").glob("*.py"))
    assert 15 <= len(scripts) <= 25
    for script in scripts:
        assert "alembic_safe" not in script.read_text()


def test_replays_from_an_empty_database(app: tuple[Project, list[str]]) -> None:
    project, revisions = app
    result = project.alembic("upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert "alembic-safe: fresh install" in result.stderr
    assert result.stderr.count(" (upgrade) applied in ") == len(revisions)
    assert "refused to run" not in result.stderr and "warning" not in result.stderr
    assert " allowed: " not in result.stderr and " allowed by " not in result.stderr
    assert project.version() == revisions[-1]
    assert project.scalar("SELECT count(*) FROM tags") == 3
    assert project.scalar("SELECT to_regclass('post_tag_links') IS NOT NULL") is True
    assert project.scalar("SELECT 'scheduled'::post_status::text") == "scheduled"


def refused_rules(stderr: str) -> list[str]:
    """The rules of the refusal report, in order ("AS101 create-index-not-concurrent")."""
    return [f"{code} {name}" for code, name in re.findall(
        r"^\S+:\d+: (AS\d{3}) ([a-z-]+) ", stderr, flags=re.MULTILINE)]


def test_lagging_populated_database_is_refused_with_every_finding(
        app: tuple[Project, list[str]]) -> None:
    project, _ = app
    assert project.alembic("upgrade", "0002").returncode == 0
    project.execute(ROWS)
    result = project.alembic("upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "fresh install" not in result.stderr
    assert refused_rules(result.stderr) == list(REFUSED_0007)
    assert result.stderr.count("FAILED: alembic-safe refused revision 0007: ") == 1
    # 0003-0006 ran: tags was created in this run, so its index (0005) is no finding
    assert project.version() == "0006"
    assert project.scalar("SELECT to_regclass('ix_tags_name') IS NOT NULL") is True
    assert "allowed" not in result.stderr
    assert project.scalar("SELECT to_regclass('ix_posts_created_at')") is None


def test_up_to_date_populated_database_is_refused_the_same(
        app: tuple[Project, list[str]]) -> None:
    project, _ = app
    assert project.alembic("upgrade", "0006").returncode == 0
    project.execute(ROWS)
    result = project.alembic("upgrade", "0007")
    assert result.returncode != 0
    assert refused_rules(result.stderr) == list(REFUSED_0007)
    assert project.version() == "0006"


def test_empty_tables_of_an_installed_app_get_a_note_per_finding(
        app: tuple[Project, list[str]]) -> None:
    project, _ = app
    assert project.alembic("upgrade", "0006").returncode == 0
    result = project.alembic("upgrade", "0011")
    assert result.returncode == 0, result.stderr
    assert "fresh install" not in result.stderr
    assert "AS206 (set-not-null) allowed: posts has no rows" in result.stderr
    assert "AS101 (create-index-not-concurrent) allowed: users has no rows" in result.stderr
    assert "AS201 (add-column-not-null-without-default) allowed: posts has no rows" \
        in result.stderr
    assert "AS205 (alter-column-type) allowed: posts has no rows" in result.stderr
    assert "AS301 (add-foreign-key-without-not-valid) allowed: posts has no rows" \
        in result.stderr
    assert project.version() == "0011"
    # renames break the running code whatever the rows: still refused
    renamed = project.alembic("upgrade", "0012")
    assert renamed.returncode != 0 and "AS506 rename-column" in renamed.stderr
